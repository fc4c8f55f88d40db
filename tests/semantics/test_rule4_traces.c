/* Rule 4, async stack traces, one check body run against every engine: a
 * three-level chain level1 -> level2 -> level3 of the engine's own functions,
 * with a suspension (a sleep and a yield) in level2 before it calls level3,
 * which throws. The error of the faulted root lists, innermost first, exactly:
 *   tasklet: the C frames, walked through the frame pointers of the resumed
 *            tasklet (its frames are back at their addresses);
 *   cont:    the frame that threw and its C callers down to the resumed
 *            frame, then the continuation chain (each frame's name from its
 *            descriptor) up to the root function;
 *   async1:  each move-next that saw the error: an async1 await rethrows a
 *            copy extended with the awaiting move-next's C stack, so the
 *            methods show as their move-next functions, innermost first.
 * The runtime's own frames (dispatch, the worker loop) never show and the
 * trace ends at the root: asserted exactly for every engine. */
#include "sem_engines.h"

#define CODE (RTA_EUSER - 4)

/* ---- tasklet ---- */

static TEST_NOINLINE int64_t tl_level3(int64_t x)
{
    if (x > 0)
        rta_throw(CODE, "level3 failed at %lld", (long long)x);
    KEEP_FRAME();
    return x;
}

static TEST_NOINLINE int64_t tl_level2(int64_t x)
{
    rta_sleep_ms(1);
    rta_yield();
    int64_t v = tl_level3(x);
    KEEP_FRAME();
    return v + 1;
}

static TEST_NOINLINE int64_t tl_level1(void *arg)
{
    int64_t v = tl_level2((int64_t)(intptr_t)arg);
    KEEP_FRAME();
    return v + 1;
}

/* ---- cont ---- */

RTA_CONT_FN(c_level3, int64_t, x)
{
    RTA_CONT_FRAME(c_level3, int64_t unused;);
    if (x > 0)
        rta_throw(CODE, "level3 failed at %lld", (long long)x);
    RTA_CONT_RETURN(x);
}

RTA_CONT_FN(c_level2, int64_t, x)
{
    RTA_CONT_FRAME(c_level2, int64_t x; int64_t v;);
    F.x = x;
    RTA_CONT_SLEEP_MS(1);
    RTA_CONT_YIELD();
    RTA_CONT_CALL(F.v, c_level3, F.x);
    RTA_CONT_RETURN(F.v + 1);
}

RTA_CONT_FN(c_level1, void *, arg)
{
    RTA_CONT_FRAME(c_level1, int64_t v;);
    RTA_CONT_CALL(F.v, c_level2, (int64_t)(intptr_t)arg);
    RTA_CONT_RETURN(F.v + 1);
}

/* ---- async1 ---- */

typedef struct a1_sm {
    rta_async1_sm hdr;
    int64_t x, v;
    rta_task *t;
} a1_sm;

RTA_ASYNC1_METHOD(a1_level3, rta_task *);
RTA_ASYNC1_METHOD(a1_level2, rta_task *);
RTA_ASYNC1_METHOD(a1_level1, rta_task *);
static void a1_level3_mn(rta_async1_sm *m);
static void a1_level2_mn(rta_async1_sm *m);
static void a1_level1_mn(rta_async1_sm *m);

#define A1_STUB(name)                                                                                        \
    static rta_task *name(int64_t x)                                                                         \
    {                                                                                                        \
        a1_sm sm = {.x = x};                                                                                 \
        RTA_ASYNC1_START(name, &sm, name##_mn);                                                              \
        return RTA_ASYNC1_TASK(name, &sm);                                                                   \
    }
A1_STUB(a1_level3)
A1_STUB(a1_level2)
A1_STUB(a1_level1)

static TEST_NOINLINE void a1_level3_mn(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(a1_level3, a1_sm, sm, m);
    if (sm->x > 0)
        rta_throw(CODE, "level3 failed at %lld", (long long)sm->x);
    RTA_ASYNC1_RETURN(sm->x);
    RTA_ASYNC1_END();
}

static TEST_NOINLINE void a1_level2_mn(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(a1_level2, a1_sm, sm, m);
    RTA_AWAIT1_TASK(sm->t, sem_pending(), sm->v); /* the suspension in the middle */
    RTA_AWAIT1_YIELD();
    RTA_AWAIT1_TASK(sm->t, a1_level3(sm->x), sm->v);
    RTA_ASYNC1_RETURN(sm->v + 1);
    RTA_ASYNC1_END();
}

static TEST_NOINLINE void a1_level1_mn(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(a1_level1, a1_sm, sm, m);
    RTA_AWAIT1_TASK(sm->t, a1_level2(sm->x), sm->v);
    RTA_ASYNC1_RETURN(sm->v + 1);
    RTA_ASYNC1_END();
}

/* ---- the one body ---- */

static rta_task *start_chain(int e, int64_t x)
{
    switch (e) {
    case SEM_TASKLET:
        return rta_spawn(tl_level1, (void *)(intptr_t)x);
    case SEM_CONT:
        return rta_cont_spawn(c_level1, (void *)(intptr_t)x);
    default:
        return a1_level1(x);
    }
}

static const char *const want[SEM_NENGINES][3] = {
    {"tl_level3", "tl_level2", "tl_level1"},
    {"c_level3", "c_level2", "c_level1"},
    {"a1_level3_mn", "a1_level2_mn", "a1_level1_mn"},
};

static void check_chain(int e)
{
    rta_task *t = start_chain(e, 3);
    CHECK(t);
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(t, &err), 0);
    CHECK(err);
    CHECK_EQ(rta_error_code(err), CODE);
    CHECK_STREQ(rta_error_message(err), "level3 failed at 3");
    const char *names[16];
    for (int copy = 0; copy < 2; copy++) { /* the waiter's copy and the task's own */
        const rta_error *ce = copy ? rta_task_error(t) : err;
        size_t n = rta_error_trace(ce, names, 16);
        int ok = n == 3;
        for (size_t i = 0; ok && i < 3; i++)
            ok = strcmp(names[i], want[e][i]) == 0;
        if (!ok) {
            fprintf(stderr, "[%s engine] trace has %zu frames, expected %s %s %s:\n", sem_engine_name[e], n,
                    want[e][0], want[e][1], want[e][2]);
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
