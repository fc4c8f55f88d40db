/*
 * thunk for the async1 engine (WORKLOADS.md section 4), both directions:
 *  - calling an async1 method that does nothing (returns 0): its state
 *    machine runs on the caller's stack and completes at once; the default
 *    task builder hands out a cached completed task for 0 (nothing
 *    allocated), the pooling value-task builder an immediate value task.
 *    Called from non-async code (main thread: the peers' row) and from async
 *    code (an async1 method on the worker that awaits it);
 *  - an async1 method awaiting a task-returning function that completed at
 *    once (rta_task_from_value, as the tasklet file does).
 *   async1-task  default task builder;  async1-pool  pooling value-task builder
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/bench.h"
#include "../common/workloads.h"

typedef struct nop_sm {
    rta_async1_sm hdr;
} nop_sm;

RTA_ASYNC1_METHOD(nop_task, rta_task *);
static void nop_task_move_next(rta_async1_sm *m);
__attribute__((noinline)) static rta_task *nop_task(void)
{
    nop_sm sm;
    RTA_ASYNC1_START(nop_task, &sm, nop_task_move_next);
    return RTA_ASYNC1_TASK(nop_task, &sm);
}
static void nop_task_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(nop_task, nop_sm, sm, m);
    (void)sm;
    RTA_ASYNC1_RETURN(0);
    RTA_ASYNC1_END();
}

RTA_ASYNC1_METHOD(nop_pool, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, 64));
static void nop_pool_move_next(rta_async1_sm *m);
__attribute__((noinline)) static rta_vtask nop_pool(void)
{
    nop_sm sm;
    RTA_ASYNC1_START(nop_pool, &sm, nop_pool_move_next);
    return RTA_ASYNC1_TASK(nop_pool, &sm);
}
static void nop_pool_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(nop_pool, nop_sm, sm, m);
    (void)sm;
    RTA_ASYNC1_RETURN(0);
    RTA_ASYNC1_END();
}

/* A task-returning function that completes synchronously. */
__attribute__((noinline)) static rta_task *completed_nop(void)
{
    return rta_task_from_value(0);
}

typedef struct loop {
    int calls, kind; /* kind: 0 nop_task, 1 nop_pool, 2 completed_nop */
    uint64_t ns, allocs;
    int bad;
} loop;

typedef struct loop_sm {
    rta_async1_sm hdr;
    loop *l;
    int i;
    uint64_t a0, t0;
    rta_task *t;
    rta_vtask vt;
} loop_sm;

RTA_ASYNC1_METHOD(loop_m, rta_task *);
static void loop_m_move_next(rta_async1_sm *m);
static rta_task *loop_m(loop *l)
{
    loop_sm sm;
    sm.l = l;
    RTA_ASYNC1_START(loop_m, &sm, loop_m_move_next);
    return RTA_ASYNC1_TASK(loop_m, &sm);
}
static void loop_m_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(loop_m, loop_sm, sm, m);
    RTA_AWAIT1_YIELD(); /* onto the worker */
    sm->a0 = bench_allocs();
    sm->t0 = bench_now_ns();
    if (sm->l->kind == 0) {
        for (sm->i = 0; sm->i < sm->l->calls; sm->i++) {
            RTA_AWAIT1_TASK(sm->t, nop_task(), v);
            sm->l->bad |= v != 0;
        }
    } else if (sm->l->kind == 1) {
        for (sm->i = 0; sm->i < sm->l->calls; sm->i++) {
            RTA_AWAIT1_VTASK(sm->vt, nop_pool(), v);
            sm->l->bad |= v != 0;
        }
    } else {
        for (sm->i = 0; sm->i < sm->l->calls; sm->i++) {
            RTA_AWAIT1_TASK(sm->t, completed_nop(), v);
            sm->l->bad |= v != 0;
        }
    }
    sm->l->ns = bench_since(sm->t0);
    sm->l->allocs = bench_allocs() - sm->a0;
    RTA_ASYNC1_RETURN(0);
    RTA_ASYNC1_END();
}

static void fail(const char *what)
{
    fprintf(stderr, "thunk_async1: %s\n", what);
    exit(1);
}

static void emit(const bench_opts *o, const char *eng, const char *params, bench_sample *ns, bench_sample *al)
{
    bench_emit(o, "thunk", eng, params, "ns_per_call", ns, "ns");
    bench_emit(o, "thunk", eng, params, "allocs_per_call", al, "allocs");
}

static void run_loop(loop *l)
{
    rta_task *t = loop_m(l);
    rta_error *e = NULL;
    rta_task_wait(t, &e);
    if (e)
        fail(rta_error_message(e));
    if (l->bad)
        fail("wrong result from async");
    rta_task_release(t);
}

void bench_thunk_async1(const bench_opts *o)
{
    if (rta_init(&(rta_config){.workers = 1}) != 0)
        fail("rta_init failed");
    static const char *const engines[] = {"async1-task", "async1-pool"};
    int calls = wl_thunk_calls(o->quick);
    char params[160];
    for (int pool = 0; pool <= 1; pool++) {
        const char *eng = engines[pool];
        if (!bench_want(o, eng))
            continue;
        /* From non-async code: the method runs on this thread. */
        bench_sample ns = {0}, al = {0};
        for (int run = 0; run < o->runs; run++)
            BENCH_REPEAT
            {
                int bad = 0;
                uint64_t a0 = bench_allocs(), t0 = bench_now_ns();
                if (pool) {
                    for (int i = 0; i < calls; i++) {
                        rta_vtask vt = nop_pool();
                        bad |= rta_vtask_wait(vt, NULL) != 0;
                    }
                } else {
                    for (int i = 0; i < calls; i++) {
                        rta_task *t = nop_task();
                        bad |= rta_task_wait(t, NULL) != 0;
                        rta_task_release(t);
                    }
                }
                bench_sample_add(&ns, (double)bench_since(t0) / calls);
                bench_sample_add(&al, (double)(bench_allocs() - a0) / calls);
                if (bad)
                    fail("wrong result from main");
            }
        snprintf(
            params, sizeof params,
            "{\"calls\":%d,\"note\":\"%s from main: the machine runs on the caller's stack and completes "
            "at once\"}",
            calls, pool ? "call + rta_vtask_wait" : "call + rta_task_wait + release");
        emit(o, eng, params, &ns, &al);

        /* From async code: awaited by an async1 method on the worker. */
        const char *names[] = {"task_returning", "await_task"};
        for (int k = 0; k < 2; k++) {
            if (k == 1 && pool)
                continue; /* awaiting a completed task does not involve the builder */
            bench_sample n2 = {0}, a2 = {0};
            for (int run = 0; run < o->runs; run++)
                BENCH_REPEAT
                {
                    loop l = {.calls = calls, .kind = k == 1 ? 2 : pool};
                    run_loop(&l);
                    bench_sample_add(&n2, (double)l.ns / calls);
                    bench_sample_add(&a2, (double)l.allocs / calls);
                }
            snprintf(params, sizeof params, "{\"calls\":%d,\"direction\":\"%s\",\"from\":\"async\"}", calls,
                     names[k]);
            emit(o, eng, params, &n2, &a2);
        }
    }
    rta_shutdown();
}
