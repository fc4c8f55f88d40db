/* Misuse in cont code gets an error naming the call: tasklet-only calls
 * (rta_await, rta_yield, rta_sleep_ms) inside a cont function say which call
 * and that cont code awaits through the RTA_CONT_* macros; awaiting a NULL
 * task handle faults with -EINVAL; rta_task_wait inside a cont root on a
 * worker refuses to block (RTA_EBLOCKING). */
#include <rta.h>

#include <errno.h>

#include "check.h"

enum { USE_AWAIT, USE_YIELD, USE_SLEEP, NUSES };
static const char *const use_names[] = {"rta_await", "rta_yield", "rta_sleep_ms"};

RTA_CONT_FN(uses_tasklet_call, void *, arg)
{
    RTA_CONT_FRAME(uses_tasklet_call, int64_t which;);
    F.which = (intptr_t)arg; /* parameters are zero after a resume */
    RTA_CONT_YIELD();        /* now on a worker, resumed by the dispatcher */
    switch ((int)F.which) {
    case USE_AWAIT:
        rta_await(NULL);
        break;
    case USE_YIELD:
        rta_yield();
        break;
    case USE_SLEEP:
        rta_sleep_ms(1);
        break;
    }
    RTA_CONT_RETURN(1);
}

/* The same before the first suspension (on the thread that called the thunk). */
RTA_CONT_FN(uses_tasklet_call_sync, void *, arg)
{
    RTA_CONT_FRAME(uses_tasklet_call_sync, int64_t r;);
    (void)arg;
    rta_yield();
    RTA_CONT_RETURN(1);
}

RTA_CONT_FN(awaits_null, void *, arg)
{
    RTA_CONT_FRAME(awaits_null, int64_t r;);
    (void)arg;
    RTA_CONT_YIELD();
    RTA_CONT_AWAIT_TASK(F.r, (rta_task *)NULL);
    RTA_CONT_RETURN(F.r);
}

RTA_CONT_FN(blocks, void *, arg)
{
    RTA_CONT_FRAME(blocks, rta_task * p; int64_t r;);
    F.p = arg;
    RTA_CONT_YIELD();
    RTA_CONT_RETURN(rta_task_wait(F.p, NULL));
}

static void expect_fault(rta_task *t, int code, const char *a, const char *b)
{
    CHECK(t != NULL);
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(t, &err), 0);
    CHECK_EQ(rta_task_status(t), RTA_FAULTED);
    CHECK_EQ(rta_error_code(err), code);
    if (!strstr(rta_error_message(err), a) || (b && !strstr(rta_error_message(err), b))) {
        fprintf(stderr, "unexpected message (want %s / %s): %s\n", a, b ? b : "", rta_error_message(err));
        abort();
    }
    rta_error_free(err);
    rta_task_release(t);
}

int main(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    /* rta_await(NULL) is checked before the task's own context: the cont
     * message is about the call being tasklet-only. */
    for (int u = 0; u < NUSES; u++)
        expect_fault(rta_cont_spawn(uses_tasklet_call, (void *)(intptr_t)u), RTA_ENOTASYNC, use_names[u],
                     "cont function");
    expect_fault(rta_cont_call(uses_tasklet_call_sync, NULL), RTA_ENOTASYNC, "rta_yield", "RTA_CONT_YIELD");
    expect_fault(rta_cont_spawn(awaits_null, NULL), -EINVAL, "NULL task", NULL);
    rta_task *p = rta_promise_new();
    expect_fault(rta_cont_spawn(blocks, p), RTA_EBLOCKING, "rta_task_wait", "rta_await");
    rta_promise_resolve(p, 1);
    rta_task_release(p);
    rta_shutdown();
    return 0;
}
