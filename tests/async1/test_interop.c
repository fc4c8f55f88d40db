/* async1 <-> tasklet, both ways, values and errors:
 *  - async1 awaits a tasklet function through its task-returning thunk
 *    (rta_spawn), suspending until the tasklet finishes;
 *  - a tasklet calls async1 methods (task and value-task builders) and awaits
 *    what they return with rta_await / rta_vtask_await. */
#include <rta.h>

#include "check.h"

#define ECODE (RTA_EUSER - 3)

static int64_t tl_double(void *arg)
{
    rta_sleep_ms(1); /* really suspends */
    return (int64_t)(intptr_t)arg * 2;
}

static int64_t tl_fail(void *arg)
{
    (void)arg;
    rta_yield();
    rta_throw(ECODE, "tasklet failed");
}

typedef struct call_sm {
    rta_async1_sm hdr;
    int x, fail;
    int64_t v;
    rta_task *t;
    rta_vtask vt;
} call_sm;

/* async1 -> tasklet: await the thunk's task. */
RTA_ASYNC1_METHOD(call_tl, rta_task *);
static void call_tl_move_next(rta_async1_sm *m);
static rta_task *call_tl(int x, int fail)
{
    call_sm sm = {.x = x, .fail = fail};
    RTA_ASYNC1_START(call_tl, &sm, call_tl_move_next);
    return RTA_ASYNC1_TASK(call_tl, &sm);
}
static void call_tl_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(call_tl, call_sm, sm, m);
    RTA_AWAIT1_TASK(sm->t, rta_spawn(sm->fail ? tl_fail : tl_double, (void *)(intptr_t)sm->x), sm->v);
    RTA_ASYNC1_RETURN(sm->v + 1);
    RTA_ASYNC1_END();
}

/* A value-task method that suspends (yield) before answering. */
RTA_ASYNC1_METHOD(vlater, rta_vtask);
static void vlater_move_next(rta_async1_sm *m);
static rta_vtask vlater(int x, int fail)
{
    call_sm sm = {.x = x, .fail = fail};
    RTA_ASYNC1_START(vlater, &sm, vlater_move_next);
    return RTA_ASYNC1_TASK(vlater, &sm);
}
static void vlater_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(vlater, call_sm, sm, m);
    RTA_AWAIT1_YIELD();
    if (sm->fail)
        rta_throw(ECODE, "async1 failed");
    RTA_ASYNC1_RETURN(sm->x * 10);
    RTA_ASYNC1_END();
}

/* tasklet -> async1. */
static int64_t tl_root(void *arg)
{
    (void)arg;
    int64_t total = 0;
    rta_task *t = call_tl(20, 0); /* async1 that awaits a tasklet */
    total += rta_await(t);        /* 41 */
    rta_task_release(t);
    total += rta_vtask_await(vlater(3, 0)); /* 30 */
    volatile int code = 0;
    RTA_TRY {
        rta_vtask_await(vlater(1, 1));
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
    }
    RTA_END_TRY;
    CHECK_EQ(code, ECODE);
    code = 0;
    t = call_tl(1, 1);
    RTA_TRY {
        rta_await(t);
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
    }
    RTA_END_TRY;
    rta_task_release(t);
    CHECK_EQ(code, ECODE);
    return total;
}

int main(void)
{
    rta_config cfg = {.workers = 2};
    CHECK_OK(rta_init(&cfg));

    /* async1 from plain code, awaiting a tasklet. */
    rta_task *t = call_tl(5, 0);
    CHECK_EQ(rta_task_wait(t, NULL), 11);
    rta_task_release(t);
    t = call_tl(5, 1);
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(t, &err), 0);
    CHECK(err && rta_error_code(err) == ECODE);
    CHECK_STREQ(rta_error_message(err), "tasklet failed");
    rta_error_free(err);
    rta_task_release(t);

    /* A tasklet calling async1 methods, values and errors. */
    t = rta_spawn(tl_root, NULL);
    err = NULL;
    CHECK_EQ(rta_task_wait(t, &err), 71);
    CHECK(err == NULL);
    rta_task_release(t);

    rta_shutdown();
    return 0;
}
