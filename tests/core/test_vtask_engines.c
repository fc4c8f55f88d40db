/* Value tasks are the core's, not async1's: a user source built on
 * rta_vtask_core is awaited by a tasklet (rta_vtask_await), by a cont
 * function (rta_vtask_awaiter) and waited for by non-async code, with no
 * async1 method anywhere; the misuse rules hold for each consumer (a second
 * await of one token is RTA_EDOUBLEAWAIT, a token older than the source's
 * reset is RTA_ESTALE), whether the await suspended or found it done. */
#include <rta.h>

#include "check.h"

typedef struct op {
    rta_vtask_source src; /* first: the value task points here */
    rta_vtask_core core;
} op;

static rta_status op_status(void *s, uint32_t tok)
{
    return rta_vtask_core_get_status(&((op *)s)->core, tok);
}
static void op_on_completed(void *s, uint32_t tok, rta_waiter *w)
{
    rta_vtask_core_on_completed(&((op *)s)->core, tok, w);
}
static int64_t op_result(void *s, uint32_t tok)
{
    return rta_vtask_core_get_result(&((op *)s)->core, tok);
}
static const rta_vtask_source_ops op_ops = {op_status, op_on_completed, op_result};

static op the_op = {{&op_ops}, {0}};

/* Completes the_op's current operation with (int64_t)arg after a few yields,
 * so that the awaiter usually waits (either order must give the value). */
static int64_t completer(void *arg)
{
    for (int i = 0; i < 3; i++)
        rta_yield();
    rta_vtask_core_set_result(&the_op.core, (int64_t)(intptr_t)arg);
    return 0;
}

/* A tasklet: awaits the operation, then the same token again (misuse). */
static int64_t tasklet_consumer(void *arg)
{
    uint32_t tok = (uint32_t)(uintptr_t)arg;
    int64_t v = rta_vtask_await(rta_vtask_from_source(&the_op.src, tok));
    volatile int code = 0;
    RTA_TRY {
        rta_vtask_await(rta_vtask_from_source(&the_op.src, tok));
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
    }
    RTA_END_TRY;
    CHECK_EQ(code, RTA_EDOUBLEAWAIT);
    return v;
}

/* A cont function: awaits a value task held in its frame, then awaits the
 * same token once more: the second await faults the task. */
RTA_CONT_FN(cont_consumer, void *, arg)
{
    RTA_CONT_FRAME(cont_consumer, rta_vtask vt; int64_t v; int64_t again;);
    F.vt = rta_vtask_from_source(&the_op.src, (uint32_t)(uintptr_t)arg);
    RTA_CONT_AWAIT(F.v, &rta_vtask_awaiter, &F.vt);
    CHECK_EQ(F.v, 22);
    RTA_CONT_AWAIT(F.again, &rta_vtask_awaiter, &F.vt);
    RTA_CONT_RETURN(F.again);
}

static int wait_code(rta_task *t)
{
    rta_error *e = NULL;
    rta_task_wait(t, &e);
    int code = rta_error_code(e);
    rta_error_free(e);
    rta_task_release(t);
    return code;
}

int main(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    rta_vtask_core_init(&the_op.core);

    /* Tasklet consumer. */
    uint32_t tok = rta_vtask_core_reset(&the_op.core);
    rta_task *c = rta_spawn(tasklet_consumer, (void *)(uintptr_t)tok);
    rta_task *p = rta_spawn(completer, (void *)11);
    CHECK(c && p);
    rta_error *e = NULL;
    CHECK_EQ(rta_task_wait(c, &e), 11);
    CHECK(e == NULL);
    CHECK_EQ(rta_task_wait(p, NULL), 0);
    rta_task_release(c);
    rta_task_release(p);

    /* Cont consumer: the value, then the double await faults its task. */
    tok = rta_vtask_core_reset(&the_op.core);
    c = rta_cont_spawn(cont_consumer, (void *)(uintptr_t)tok);
    p = rta_spawn(completer, (void *)22);
    CHECK(c && p);
    CHECK_EQ(wait_code(c), RTA_EDOUBLEAWAIT);
    CHECK_EQ(wait_code(p), 0);

    /* Non-async code: a stale token (an operation never consumed, reset
     * since; the last consumed one would be a double await), then the
     * current one, through rta_vtask_wait and rta_vtask_as_task. */
    uint32_t old = rta_vtask_core_reset(&the_op.core);
    tok = rta_vtask_core_reset(&the_op.core);
    CHECK(old != tok);
    e = NULL;
    CHECK_EQ(rta_vtask_wait(rta_vtask_from_source(&the_op.src, old), &e), 0);
    CHECK_EQ(rta_error_code(e), RTA_ESTALE);
    rta_error_free(e);
    rta_task *t = rta_vtask_as_task(rta_vtask_from_source(&the_op.src, tok));
    CHECK(t != NULL);
    CHECK_EQ(rta_task_status(t), RTA_PENDING);
    rta_vtask_core_set_result(&the_op.core, 33);
    CHECK_EQ(rta_task_wait(t, NULL), 33);
    rta_task_release(t);

    rta_vtask_core_fini(&the_op.core);
    rta_shutdown();
    return 0;
}
