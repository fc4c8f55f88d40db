/* Rule 4, async stack traces, one check body run against every engine: a
 * three-level chain level1 -> level2 -> level3, one async2 source
 * (rule4_traces.async2.c) that rtac builds for every engine, with a
 * suspension (a sleep and a yield) in level2 before it calls level3, which
 * throws. The error of the faulted root lists, innermost first, exactly the
 * user's functions level3 level2 level1:
 *   tasklet: the C frames, walked through the frame pointers of the resumed
 *            tasklet (its frames are back at their addresses);
 *   cont:    the frame that threw and its C callers down to the resumed
 *            frame, then the continuation chain (each frame's name from its
 *            descriptor) up to the root function;
 *   async1:  each move-next that saw the error (rtac gives it the user's
 *            name): an async1 await rethrows a copy extended with the
 *            awaiting move-next's C stack, so the methods show as their
 *            move-next functions, innermost first; the stubs rtac writes
 *            (rtac1__level3...), on the C stack between two move-nexts when
 *            not inlined, are left out like the runtime's frames.
 * The runtime's own frames (dispatch, the worker loop) never show and the
 * trace ends at the root: asserted exactly for every engine. */
#include "rule4_traces.h"
#include "sem_engines.h"

static rta_task *start_chain(int e, int64_t x)
{
    switch (e) {
    case SEM_TASKLET:
        return tasklet_rule4_chain(x);
    case SEM_CONT:
        return cont_rule4_chain(x);
    default:
        return async1_rule4_chain(x);
    }
}

static const char *const want[3] = {"level3", "level2", "level1"};

static void check_chain(int e)
{
    rta_task *t = start_chain(e, 3);
    CHECK(t);
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(t, &err), 0);
    CHECK(err);
    CHECK_EQ(rta_error_code(err), RULE4_CODE);
    CHECK_STREQ(rta_error_message(err), "level3 failed at 3");
    const char *names[16];
    for (int copy = 0; copy < 2; copy++) { /* the waiter's copy and the task's own */
        const rta_error *ce = copy ? rta_task_error(t) : err;
        size_t n = rta_error_trace(ce, names, 16);
        int ok = n == 3;
        for (size_t i = 0; ok && i < 3; i++)
            ok = strcmp(names[i], want[i]) == 0;
        if (!ok) {
            fprintf(stderr, "[%s engine] trace has %zu frames, expected %s %s %s:\n", sem_engine_name[e], n,
                    want[0], want[1], want[2]);
            for (size_t i = 0; i < n && i < 16; i++)
                fprintf(stderr, "  %s\n", names[i]);
            abort();
        }
    }
    rta_error_free(err);
    rta_task_release(t);
    /* no throw: the same chain returns normally */
    t = start_chain(e, 0);
    CHECK(t);
    CHECK_EQ(rta_task_wait(t, NULL), 2);
    rta_task_release(t);
    printf("  %-8s traces ok\n", sem_engine_name[e]);
}

int main(void)
{
    sem_engines_init(2);
    for (int e = 0; e < SEM_NENGINES; e++)
        check_chain(e);
    rta_shutdown();
    sem_engines_fini();
    printf("rule 4 (async stack traces) holds on every engine\n");
    return 0;
}
