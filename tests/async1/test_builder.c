/* Builders: a user-written builder (wrapping the task builder, counting its
 * calls) picked per method by the override; a builder that does not fit its
 * method is refused at first call with RTA_EBUILDER, every call; the building
 * blocks (rta_async1_start/suspend/complete/builder_task) work for it. A
 * builder whose task type is not the method's return type does not compile
 * (the _Static_assert in RTA_ASYNC1_METHOD; see docs/async1.md). */
#include <rta.h>

#include "check.h"

static int n_create, n_set_result, n_await, n_task;

static void cnt_create(rta_async1_builder *b, rta_async1_method *m)
{
    n_create++;
    b->obj = NULL;
    b->value = 0;
    b->method = m;
    b->flags = 0;
}
static void cnt_start(rta_async1_builder *b, rta_async1_sm *sm)
{
    (void)b;
    rta_async1_start(sm);
}
static void cnt_set_result(rta_async1_builder *b, int64_t v)
{
    n_set_result++;
    rta_async1_complete(b, v, NULL);
}
static void cnt_set_error(rta_async1_builder *b, rta_error *e)
{
    rta_async1_complete(b, 0, e);
}
static void cnt_await(rta_async1_builder *b, rta_async1_sm *sm, const rta_awaiter_ops *aw, void *self)
{
    (void)b;
    n_await++;
    rta_async1_suspend(sm, aw, self, true, false);
}
static void cnt_task(rta_async1_builder *b, void *out)
{
    n_task++;
    *(rta_task **)out = rta_async1_builder_task(b);
}

/* An open builder named counting_builder: ops + task type. */
static const rta_async1_builder_ops counting_builder_ops = {
    "counting",     RTA_ASYNC1_RET_TASK, 0,         cnt_create, cnt_start,
    cnt_set_result, cnt_set_error,       cnt_await, cnt_await,  cnt_task};
typedef rta_task *counting_builder_task_t;

/* A broken one: no task op, and it claims to build value tasks while its
 * task type says rta_task * (so it compiles, and is refused at run time). */
static const rta_async1_builder_ops broken_builder_ops = {
    "broken",       RTA_ASYNC1_RET_VTASK, 0,         cnt_create, cnt_start,
    cnt_set_result, cnt_set_error,        cnt_await, cnt_await,  NULL};
typedef rta_task *broken_builder_task_t;

typedef struct y_sm {
    rta_async1_sm hdr;
    int yield;
} y_sm;

#define DEFINE_M(NAME, RET, ...)                                                                             \
    RTA_ASYNC1_METHOD(NAME, RET __VA_ARGS__);                                                                \
    static void NAME##_move_next(rta_async1_sm *m)                                                           \
    {                                                                                                        \
        RTA_ASYNC1_BEGIN(NAME, y_sm, sm, m);                                                                 \
        if (sm->yield)                                                                                       \
            RTA_AWAIT1_YIELD();                                                                              \
        RTA_ASYNC1_RETURN(77);                                                                               \
        RTA_ASYNC1_END();                                                                                    \
    }                                                                                                        \
    static RET NAME(int yield)                                                                               \
    {                                                                                                        \
        y_sm sm = {.yield = yield};                                                                          \
        RTA_ASYNC1_START(NAME, &sm, NAME##_move_next);                                                       \
        return RTA_ASYNC1_TASK(NAME, &sm);                                                                   \
    }

DEFINE_M(counted, rta_task *, , RTA_ASYNC_METHOD_BUILDER(counting_builder))
DEFINE_M(broken, rta_task *, , RTA_ASYNC_METHOD_BUILDER(broken_builder))
DEFINE_M(badpool, rta_vtask, , RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, 0))
DEFINE_M(bigpool, rta_vtask, , RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, 5000))

static int call_code(int which)
{
    volatile int code = 0;
    RTA_TRY {
        if (which == 0)
            rta_task_release(broken(0));
        else if (which == 1)
            rta_vtask_wait(badpool(0), NULL);
        else
            rta_vtask_wait(bigpool(0), NULL);
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
        CHECK(strstr(rta_error_message(e), "async1 method") != NULL);
    }
    RTA_END_TRY;
    return code;
}

int main(void)
{
    rta_config cfg = {.workers = 2};
    CHECK_OK(rta_init(&cfg));

    /* The override picked the user builder: synchronous and suspending calls. */
    rta_task *t = counted(0);
    CHECK_EQ(rta_task_wait(t, NULL), 77);
    rta_task_release(t);
    t = counted(1);
    CHECK_EQ(rta_task_wait(t, NULL), 77);
    rta_task_release(t);
    CHECK_EQ(n_create, 2);
    CHECK_EQ(n_set_result, 2);
    CHECK_EQ(n_await, 1);
    CHECK_EQ(n_task, 2);

    /* Builders that do not fit: refused at first call, and every call after. */
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(call_code(0), RTA_EBUILDER);
        CHECK_EQ(call_code(1), RTA_EBUILDER);
        CHECK_EQ(call_code(2), RTA_EBUILDER);
    }
    CHECK_EQ(n_create, 2); /* never got as far as create */

    rta_shutdown();
    return 0;
}
