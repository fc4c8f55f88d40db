/*
 * eh for the async1 engine (WORKLOADS.md section 6): thrower(d) is an async1
 * method (default task builder) awaiting thrower(d-1); the bottom one throws
 * (after a yield when suspend = 1). The root catches with the lowered form
 * RTA_AWAIT1_TASK_CATCH (try { v = await thrower(d); } catch into a variable,
 * dispatch after): "async1-catch".
 * Without suspension every machine is on the stack and the error unwinds
 * with longjmp to the root's handler (the awaited methods run without
 * handlers of their own). With suspension the chain is d heap boxes: the
 * bottom's task faults, each awaiting method is resumed, rethrows a copy of
 * the error when it takes the result, and faults its own task in turn, up to
 * the root, which catches it. The root first yields onto the worker, so the
 * whole loop runs there.
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/bench.h"
#include "../common/workloads.h"

typedef struct thrower_sm {
    rta_async1_sm hdr;
    int d, suspend;
    rta_task *t;
} thrower_sm;

RTA_ASYNC1_METHOD(thrower, rta_task *);
static void thrower_move_next(rta_async1_sm *m);
static rta_task *thrower(int d, int suspend)
{
    thrower_sm sm;
    sm.d = d;
    sm.suspend = suspend;
    RTA_ASYNC1_START(thrower, &sm, thrower_move_next);
    return RTA_ASYNC1_TASK(thrower, &sm);
}
static void thrower_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(thrower, thrower_sm, sm, m);
    if (sm->d > 1) {
        RTA_AWAIT1_TASK(sm->t, thrower(sm->d - 1, sm->suspend), v);
        RTA_ASYNC1_RETURN(v + 1);
    }
    if (sm->suspend)
        RTA_AWAIT1_YIELD();
    rta_throw(RTA_EUSER, "thrown at the bottom");
    RTA_ASYNC1_END();
}

typedef struct eh_run {
    int depth, suspend, iters;
    uint64_t ns;
    int caught;
} eh_run;

typedef struct root_sm {
    rta_async1_sm hdr;
    eh_run *r;
    int i;
    uint64_t t0;
    int64_t v;
    rta_task *t;
    rta_error *err;
} root_sm;

RTA_ASYNC1_METHOD(eh_root, rta_task *);
static void eh_root_move_next(rta_async1_sm *m);
static rta_task *eh_root(eh_run *r)
{
    root_sm sm;
    sm.r = r;
    RTA_ASYNC1_START(eh_root, &sm, eh_root_move_next);
    return RTA_ASYNC1_TASK(eh_root, &sm);
}
static void eh_root_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(eh_root, root_sm, sm, m);
    RTA_AWAIT1_YIELD(); /* onto the worker */
    sm->t0 = bench_now_ns();
    for (sm->i = 0; sm->i < sm->r->iters; sm->i++) {
        RTA_AWAIT1_TASK_CATCH(sm->t, thrower(sm->r->depth, sm->r->suspend), sm->v, sm->err);
        if (sm->err) { /* the catch block */
            sm->r->caught++;
            rta_error_free(sm->err);
        } else {
            bench_sink(sm->v);
        }
    }
    sm->r->ns = bench_since(sm->t0);
    RTA_ASYNC1_RETURN(0);
    RTA_ASYNC1_END();
}

void bench_eh_async1(const bench_opts *o)
{
    if (rta_init(&(rta_config){.workers = 1}) != 0) {
        fprintf(stderr, "eh_async1: rta_init failed\n");
        exit(1);
    }
    const char *eng = "async1-task";
    if (!bench_want(o, eng)) {
        rta_shutdown();
        return;
    }
    static const int depths[] = {1, 10, 64};
    int iters = wl_eh_iters(o->quick);
    for (int suspend = 0; suspend <= 1; suspend++) {
        for (size_t i = 0; i < 3; i++) {
            bench_sample s = {0};
            for (int run = 0; run < o->runs; run++)
                BENCH_REPEAT
                {
                    eh_run r = {.depth = depths[i], .suspend = suspend, .iters = iters};
                    rta_task *t = eh_root(&r);
                    rta_error *e = NULL;
                    rta_task_wait(t, &e);
                    if (e || r.caught != iters) {
                        fprintf(stderr, "eh_async1: %s (caught %d of %d)\n",
                                e ? rta_error_message(e) : "wrong count", r.caught, iters);
                        exit(1);
                    }
                    rta_task_release(t);
                    bench_sample_add(&s, (double)r.ns / iters);
                }
            char params[96];
            snprintf(params, sizeof params, "{\"depth\":%d,\"mechanism\":\"async1-catch\",\"suspend\":%d}",
                     depths[i], suspend);
            bench_emit(o, "eh", eng, params, "ns_per_throw", &s, "ns");
        }
    }
    rta_shutdown();
}
