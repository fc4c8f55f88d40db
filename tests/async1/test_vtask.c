/* Value tasks: a user-written pooled source on rta_vtask_core, and misuse
 * caught with the right codes: awaiting twice (sequentially or concurrently)
 * is RTA_EDOUBLEAWAIT, using a token after its source was reused is
 * RTA_ESTALE; the pooling builder's boxes are protected the same way. */
#include <rta.h>

#include "check.h"

/* A user source: one reusable operation object. */
typedef struct my_op {
    rta_vtask_source src; /* first: the value task points here */
    rta_vtask_core core;
} my_op;

static rta_status op_status(void *s, uint32_t tok)
{
    return rta_vtask_core_get_status(&((my_op *)s)->core, tok);
}
static void op_on_completed(void *s, uint32_t tok, rta_waiter *w)
{
    rta_vtask_core_on_completed(&((my_op *)s)->core, tok, w);
}
static int64_t op_result(void *s, uint32_t tok)
{
    return rta_vtask_core_get_result(&((my_op *)s)->core, tok);
}
static const rta_vtask_source_ops op_ops = {op_status, op_on_completed, op_result};

static int wait_code(rta_vtask vt, int64_t *v)
{
    rta_error *e = NULL;
    *v = rta_vtask_wait(vt, &e);
    int code = rta_error_code(e);
    rta_error_free(e);
    return code;
}

/* An async1 method that awaits a value task it is given, catching. */
typedef struct aw_sm {
    rta_async1_sm hdr;
    rta_vtask in, slot;
    int64_t v;
    rta_error *err;
} aw_sm;
RTA_ASYNC1_METHOD(await_it, rta_task *);
static void await_it_move_next(rta_async1_sm *m);
static rta_task *await_it(rta_vtask in)
{
    aw_sm sm = {.in = in};
    RTA_ASYNC1_START(await_it, &sm, await_it_move_next);
    return RTA_ASYNC1_TASK(await_it, &sm);
}
static void await_it_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(await_it, aw_sm, sm, m);
    RTA_AWAIT1_VTASK_CATCH(sm->slot, sm->in, sm->v, sm->err);
    if (sm->err) {
        int code = rta_error_code(sm->err);
        rta_error_free(sm->err);
        RTA_ASYNC1_RETURN(code);
    }
    RTA_ASYNC1_RETURN(sm->v);
    RTA_ASYNC1_END();
}

/* A pooled method that waits for a gate. */
static rta_task *g_gate;
typedef struct gate_sm {
    rta_async1_sm hdr;
    int64_t v;
} gate_sm;
RTA_ASYNC1_METHOD(gated, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, 4));
static void gated_move_next(rta_async1_sm *m);
static rta_vtask gated(void)
{
    gate_sm sm = {.v = 0};
    RTA_ASYNC1_START(gated, &sm, gated_move_next);
    return RTA_ASYNC1_TASK(gated, &sm);
}
static void gated_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(gated, gate_sm, sm, m);
    RTA_AWAIT1(&rta_task_awaiter, g_gate, sm->v);
    RTA_ASYNC1_RETURN(sm->v * 3);
    RTA_ASYNC1_END();
}

int main(void)
{
    rta_config cfg = {.workers = 2};
    CHECK_OK(rta_init(&cfg));
    my_op op = {.src = {&op_ops}};
    rta_vtask_core_init(&op.core);
    int64_t v;

    /* Normal use, then a second await of the same value task. */
    uint32_t a = rta_vtask_core_reset(&op.core);
    CHECK_EQ(rta_vtask_core_version(&op.core), a);
    rta_vtask vta = rta_vtask_from_source(&op.src, a);
    CHECK(rta_vtask_is_source(vta));
    CHECK_EQ(rta_vtask_status(vta), RTA_PENDING);
    rta_vtask_core_set_result(&op.core, 42);
    CHECK_EQ(rta_vtask_status(vta), RTA_SUCCEEDED);
    CHECK_EQ(wait_code(vta, &v), 0);
    CHECK_EQ(v, 42);
    CHECK_EQ(wait_code(vta, &v), RTA_EDOUBLEAWAIT);

    /* Reuse: the new operation works, the old token is stale. */
    uint32_t b = rta_vtask_core_reset(&op.core);
    CHECK(b != a);
    rta_vtask vtb = rta_vtask_from_source(&op.src, b);
    rta_vtask_core_set_error(&op.core, rta_error_new(RTA_EUSER - 1, "op failed"));
    CHECK_EQ(wait_code(vtb, &v), RTA_EUSER - 1); /* errors flow through sources */
    CHECK_EQ(wait_code(vta, &v), RTA_ESTALE);
    volatile int code = 0;
    RTA_TRY {
        rta_vtask_status(vta);
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
    }
    RTA_END_TRY;
    CHECK_EQ(code, RTA_ESTALE);

    /* Two async1 methods await one pending value task at once: the second
     * is told RTA_EDOUBLEAWAIT, the first gets the value. */
    uint32_t c = rta_vtask_core_reset(&op.core);
    rta_vtask vtc = rta_vtask_from_source(&op.src, c);
    rta_task *t1 = await_it(vtc);
    rta_task *t2 = await_it(vtc);
    CHECK_EQ(rta_task_wait(t2, NULL), RTA_EDOUBLEAWAIT);
    CHECK_EQ(rta_task_status(t1), RTA_PENDING);
    rta_vtask_core_set_result(&op.core, 9);
    CHECK_EQ(rta_task_wait(t1, NULL), 9);
    rta_task_release(t1);
    rta_task_release(t2);
    rta_vtask_core_fini(&op.core);

    /* The pooling builder's value tasks: once is fine, twice is caught. */
    g_gate = rta_promise_new();
    rta_vtask pv = gated();
    CHECK(rta_vtask_is_source(pv));
    rta_promise_resolve(g_gate, 5);
    CHECK_EQ(wait_code(pv, &v), 0);
    CHECK_EQ(v, 15);
    code = wait_code(pv, &v);
    CHECK(code == RTA_EDOUBLEAWAIT || code == RTA_ESTALE); /* ESTALE if rented again */
    CHECK_EQ(code, RTA_EDOUBLEAWAIT);                      /* nothing rented it again here */
    rta_task_release(g_gate);

    /* Task-backed and immediate value tasks. */
    rta_task *p = rta_promise_new();
    rta_vtask tv = rta_vtask_from_task(rta_task_retain(p));
    CHECK(!rta_vtask_is_source(tv) && !rta_vtask_is_immediate(tv));
    rta_promise_resolve(p, 8);
    rta_task *back = rta_vtask_as_task(tv);
    CHECK(back == p);
    CHECK_EQ(rta_task_wait(back, NULL), 8);
    rta_task_release(back);
    rta_task_release(p);
    CHECK_EQ(wait_code(rta_vtask_from_value(3), &v), 0);
    CHECK_EQ(v, 3);

    rta_shutdown();
    return 0;
}
