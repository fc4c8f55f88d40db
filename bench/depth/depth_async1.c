/*
 * depth for the async1 engine (WORKLOADS.md section 2): chain(d) is an async1
 * method awaiting chain(d-1); the bottom one awaits Task.Yield R times.
 *   async1-task  default task builder (rta_task *)
 *   async1-pool  pooling value-task builder, 64 boxes per thread and method
 * The chain runs synchronously on the stack until the first yield; then
 * every machine of the chain moves to a heap box, once. Each later yield
 * re-queues only the bottom method's box through the worker's run queue.
 * The root method first yields once, so that it and everything it calls run
 * on the (single) worker, as the other engines' tasks do; the main thread
 * only starts the root and waits for its task.
 * bytes_per_task: roots parked at depth 10 on promises (root + 10 machines
 * in boxes), started from a parker method on the worker; a fresh runtime per
 * run, so pools kept from an earlier run do not hide memory.
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/bench.h"
#include "../common/workloads.h"

#define POOL 64

typedef struct depth_run {
    int depth, yields;
    uint64_t ns;
    int chains;       /* full-chain series: chains built, suspended once, completed */
    uint64_t full_ns; /* time of all of them */
} depth_run;

typedef struct chain_sm {
    rta_async1_sm hdr;
    int d, i;
    depth_run *r;
    uint64_t t0;
    int64_t v;
    rta_task *t;
    rta_vtask vt;
} chain_sm;

static void fail(const char *what)
{
    fprintf(stderr, "depth_async1: %s\n", what);
    exit(1);
}

/* ---- default task builder ---- */

RTA_ASYNC1_METHOD(chain_task, rta_task *);
static void chain_task_move_next(rta_async1_sm *m);
static rta_task *chain_task(int d, depth_run *r)
{
    chain_sm sm;
    sm.d = d;
    sm.r = r;
    RTA_ASYNC1_START(chain_task, &sm, chain_task_move_next);
    return RTA_ASYNC1_TASK(chain_task, &sm);
}
static void chain_task_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(chain_task, chain_sm, sm, m);
    if (sm->d > 1) {
        RTA_AWAIT1_TASK(sm->t, chain_task(sm->d - 1, sm->r), sm->v);
        RTA_ASYNC1_RETURN(sm->v + 1);
    }
    sm->t0 = bench_now_ns();
    for (sm->i = 0; sm->i < sm->r->yields; sm->i++)
        RTA_AWAIT1_YIELD();
    /* the full shape times whole chains (full_ns), not this loop */
    sm->r->ns = sm->r->chains ? bench_now_ns() - sm->t0 : bench_since(sm->t0);
    RTA_ASYNC1_RETURN(1);
    RTA_ASYNC1_END();
}

RTA_ASYNC1_METHOD(root_task, rta_task *);
static void root_task_move_next(rta_async1_sm *m);
static rta_task *root_task(depth_run *r)
{
    chain_sm sm;
    sm.r = r;
    RTA_ASYNC1_START(root_task, &sm, root_task_move_next);
    return RTA_ASYNC1_TASK(root_task, &sm);
}
static void root_task_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(root_task, chain_sm, sm, m);
    RTA_AWAIT1_YIELD(); /* onto the worker */
    RTA_AWAIT1_TASK(sm->t, chain_task(sm->r->depth, sm->r), sm->v);
    RTA_ASYNC1_RETURN(sm->v);
    RTA_ASYNC1_END();
}

/* ---- pooling value-task builder ---- */

RTA_ASYNC1_METHOD(chain_pool, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, POOL));
static void chain_pool_move_next(rta_async1_sm *m);
static rta_vtask chain_pool(int d, depth_run *r)
{
    chain_sm sm;
    sm.d = d;
    sm.r = r;
    RTA_ASYNC1_START(chain_pool, &sm, chain_pool_move_next);
    return RTA_ASYNC1_TASK(chain_pool, &sm);
}
static void chain_pool_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(chain_pool, chain_sm, sm, m);
    if (sm->d > 1) {
        RTA_AWAIT1_VTASK(sm->vt, chain_pool(sm->d - 1, sm->r), sm->v);
        RTA_ASYNC1_RETURN(sm->v + 1);
    }
    sm->t0 = bench_now_ns();
    for (sm->i = 0; sm->i < sm->r->yields; sm->i++)
        RTA_AWAIT1_YIELD();
    /* the full shape times whole chains (full_ns), not this loop */
    sm->r->ns = sm->r->chains ? bench_now_ns() - sm->t0 : bench_since(sm->t0);
    RTA_ASYNC1_RETURN(1);
    RTA_ASYNC1_END();
}

RTA_ASYNC1_METHOD(root_pool, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, POOL));
static void root_pool_move_next(rta_async1_sm *m);
static rta_vtask root_pool(depth_run *r)
{
    chain_sm sm;
    sm.r = r;
    RTA_ASYNC1_START(root_pool, &sm, root_pool_move_next);
    return RTA_ASYNC1_TASK(root_pool, &sm);
}
static void root_pool_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(root_pool, chain_sm, sm, m);
    RTA_AWAIT1_YIELD(); /* onto the worker */
    RTA_AWAIT1_VTASK(sm->vt, chain_pool(sm->r->depth, sm->r), sm->v);
    RTA_ASYNC1_RETURN(sm->v);
    RTA_ASYNC1_END();
}

/* The full shape (issue 9): r->chains fresh chains of r->depth machines,
 * each suspended once at its leaf (r->yields = 1) and completed. */
RTA_ASYNC1_METHOD(full_task, rta_task *);
static void full_task_move_next(rta_async1_sm *m);
static rta_task *full_task(depth_run *r)
{
    chain_sm sm;
    sm.r = r;
    RTA_ASYNC1_START(full_task, &sm, full_task_move_next);
    return RTA_ASYNC1_TASK(full_task, &sm);
}
static void full_task_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(full_task, chain_sm, sm, m);
    RTA_AWAIT1_YIELD(); /* onto the worker */
    sm->v = 0;
    sm->t0 = bench_now_ns();
    for (sm->i = 0; sm->i < sm->r->chains; sm->i++) {
        RTA_AWAIT1_TASK(sm->t, chain_task(sm->r->depth, sm->r), v);
        sm->v += v;
    }
    sm->r->full_ns = bench_since(sm->t0);
    RTA_ASYNC1_RETURN(sm->v);
    RTA_ASYNC1_END();
}

RTA_ASYNC1_METHOD(full_pool, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, POOL));
static void full_pool_move_next(rta_async1_sm *m);
static rta_vtask full_pool(depth_run *r)
{
    chain_sm sm;
    sm.r = r;
    RTA_ASYNC1_START(full_pool, &sm, full_pool_move_next);
    return RTA_ASYNC1_TASK(full_pool, &sm);
}
static void full_pool_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(full_pool, chain_sm, sm, m);
    RTA_AWAIT1_YIELD(); /* onto the worker */
    sm->v = 0;
    sm->t0 = bench_now_ns();
    for (sm->i = 0; sm->i < sm->r->chains; sm->i++) {
        RTA_AWAIT1_VTASK(sm->vt, chain_pool(sm->r->depth, sm->r), v);
        sm->v += v;
    }
    sm->r->full_ns = bench_since(sm->t0);
    RTA_ASYNC1_RETURN(sm->v);
    RTA_ASYNC1_END();
}

static int64_t run_full(bool pool, depth_run *r)
{
    rta_error *e = NULL;
    int64_t v;
    if (pool) {
        v = rta_vtask_wait(full_pool(r), &e);
    } else {
        rta_task *t = full_task(r);
        v = rta_task_wait(t, &e);
        rta_task_release(t);
    }
    if (e)
        fail(rta_error_message(e));
    return v;
}

static int64_t run_depth(bool pool, depth_run *r)
{
    rta_error *e = NULL;
    int64_t v;
    if (pool) {
        v = rta_vtask_wait(root_pool(r), &e);
    } else {
        rta_task *t = root_task(r);
        v = rta_task_wait(t, &e);
        rta_task_release(t);
    }
    if (e)
        fail(rta_error_message(e));
    return v;
}

/* ---- bytes per task parked at depth 10 ---- */

typedef struct park {
    int n;
    rta_task **gates, **ts;
    rta_vtask *vts;
} park;

/* Each machine holds only what a compiler would hoist: the arguments and the
 * awaited task or value task (the awaited values are not live across an await). */
typedef struct hold_sm {
    rta_async1_sm hdr;
    int d;
    rta_task *gate;
    rta_task *t;
} hold_sm;

typedef struct hold_pool_sm {
    rta_async1_sm hdr;
    int d;
    rta_task *gate;
    rta_vtask vt;
} hold_pool_sm;

typedef struct parker_sm {
    rta_async1_sm hdr;
    park *p;
} parker_sm;

RTA_ASYNC1_METHOD(hold_task, rta_task *);
static void hold_task_move_next(rta_async1_sm *m);
static rta_task *hold_task(int d, rta_task *gate)
{
    hold_sm sm;
    sm.d = d;
    sm.gate = gate;
    RTA_ASYNC1_START(hold_task, &sm, hold_task_move_next);
    return RTA_ASYNC1_TASK(hold_task, &sm);
}
static void hold_task_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(hold_task, hold_sm, sm, m);
    if (sm->d > 1) {
        RTA_AWAIT1_TASK(sm->t, hold_task(sm->d - 1, sm->gate), v);
        RTA_ASYNC1_RETURN(v + 1);
    }
    RTA_AWAIT1(&rta_task_awaiter, sm->gate, v); /* park */
    RTA_ASYNC1_RETURN(v);
    RTA_ASYNC1_END();
}

RTA_ASYNC1_METHOD(hold_root_task, rta_task *);
static void hold_root_task_move_next(rta_async1_sm *m);
static rta_task *hold_root_task(rta_task *gate)
{
    hold_sm sm;
    sm.gate = gate;
    RTA_ASYNC1_START(hold_root_task, &sm, hold_root_task_move_next);
    return RTA_ASYNC1_TASK(hold_root_task, &sm);
}
static void hold_root_task_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(hold_root_task, hold_sm, sm, m);
    RTA_AWAIT1_TASK(sm->t, hold_task(10, sm->gate), v);
    RTA_ASYNC1_RETURN(v);
    RTA_ASYNC1_END();
}

RTA_ASYNC1_METHOD(hold_pool, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, POOL));
static void hold_pool_move_next(rta_async1_sm *m);
static rta_vtask hold_pool(int d, rta_task *gate)
{
    hold_pool_sm sm;
    sm.d = d;
    sm.gate = gate;
    RTA_ASYNC1_START(hold_pool, &sm, hold_pool_move_next);
    return RTA_ASYNC1_TASK(hold_pool, &sm);
}
static void hold_pool_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(hold_pool, hold_pool_sm, sm, m);
    if (sm->d > 1) {
        RTA_AWAIT1_VTASK(sm->vt, hold_pool(sm->d - 1, sm->gate), v);
        RTA_ASYNC1_RETURN(v + 1);
    }
    RTA_AWAIT1(&rta_task_awaiter, sm->gate, v); /* park */
    RTA_ASYNC1_RETURN(v);
    RTA_ASYNC1_END();
}

RTA_ASYNC1_METHOD(hold_root_pool, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, POOL));
static void hold_root_pool_move_next(rta_async1_sm *m);
static rta_vtask hold_root_pool(rta_task *gate)
{
    hold_pool_sm sm;
    sm.gate = gate;
    RTA_ASYNC1_START(hold_root_pool, &sm, hold_root_pool_move_next);
    return RTA_ASYNC1_TASK(hold_root_pool, &sm);
}
static void hold_root_pool_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(hold_root_pool, hold_pool_sm, sm, m);
    RTA_AWAIT1_VTASK(sm->vt, hold_pool(10, sm->gate), v);
    RTA_ASYNC1_RETURN(v);
    RTA_ASYNC1_END();
}

/* Starts the n roots on the worker; each returns once parked at depth 10. */
RTA_ASYNC1_METHOD(parker, rta_task *);
static void parker_move_next(rta_async1_sm *m);
static rta_task *parker(park *p)
{
    parker_sm sm;
    sm.p = p;
    RTA_ASYNC1_START(parker, &sm, parker_move_next);
    return RTA_ASYNC1_TASK(parker, &sm);
}
static void parker_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(parker, parker_sm, sm, m);
    RTA_AWAIT1_YIELD(); /* onto the worker */
    for (int i = 0; i < sm->p->n; i++) {
        if (sm->p->vts)
            sm->p->vts[i] = hold_root_pool(sm->p->gates[i]);
        else
            sm->p->ts[i] = hold_root_task(sm->p->gates[i]);
    }
    RTA_ASYNC1_RETURN(0);
    RTA_ASYNC1_END();
}

static void init_runtime(void)
{
    if (rta_init(&(rta_config){.workers = 1}) != 0)
        fail("rta_init failed");
}

static void bytes_per_task(const bench_opts *o, bool pool, const char *eng)
{
    int n = wl_depth_hold_tasks(o->quick);
    bench_sample s = {0};
    for (int run = 0; run < o->runs; run++) {
        /* A fresh runtime per run: pools kept by an earlier run would hide memory. */
        rta_shutdown();
        init_runtime();
        park p = {.n = n, .gates = malloc(sizeof(rta_task *) * (size_t)n)};
        if (pool)
            p.vts = calloc((size_t)n, sizeof(rta_vtask));
        else
            p.ts = calloc((size_t)n, sizeof(rta_task *));
        for (int i = 0; i < n; i++)
            p.gates[i] = rta_promise_new();
        long before = bench_rss_settled_kib();
        rta_task *pt = parker(&p);
        if (rta_task_wait(pt, NULL) != 0)
            fail("parker failed");
        rta_task_release(pt);
        long after = bench_rss_kib();
        bench_sample_add(&s, (double)(after - before) * 1024.0 / n);
        for (int i = 0; i < n; i++)
            rta_promise_resolve(p.gates[i], 1);
        for (int i = 0; i < n; i++) {
            int64_t v;
            if (pool) {
                v = rta_vtask_wait(p.vts[i], NULL);
            } else {
                v = rta_task_wait(p.ts[i], NULL);
                rta_task_release(p.ts[i]);
            }
            if (v != 10)
                fail("wrong result (bytes_per_task)");
            rta_task_release(p.gates[i]);
        }
        free(p.ts);
        free(p.vts);
        free(p.gates);
    }
    char params[64];
    snprintf(params, sizeof params, "{\"depth\":10,\"tasks\":%d}", n);
    bench_emit(o, "depth", eng, params, "bytes_per_task", &s, "bytes");
}

void bench_depth_async1(const bench_opts *o)
{
    init_runtime();
    static const int depths[] = {1, 10, 100, 1000};
    static const char *const engines[] = {"async1-task", "async1-pool"};
    int yields = wl_depth_yields(o->quick);
    for (int pool = 0; pool <= 1; pool++) {
        const char *eng = engines[pool];
        if (!bench_want(o, eng))
            continue;
        for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
            bench_sample s = {0};
            for (int run = 0; run < o->runs; run++)
                BENCH_REPEAT
                {
                    depth_run r = {.depth = depths[i], .yields = yields};
                    if (run_depth(pool, &r) != depths[i])
                        fail("wrong result");
                    bench_sample_add(&s, (double)r.ns / yields);
                }
            char params[64];
            snprintf(params, sizeof params, "{\"depth\":%d,\"yields\":%d}", depths[i], yields);
            bench_emit(o, "depth", eng, params, "ns_per_roundtrip", &s, "ns");
        }
        int chains = wl_depth_chains(o->quick);
        for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
            bench_sample s = {0};
            for (int run = 0; run < o->runs; run++)
                BENCH_REPEAT
                {
                    depth_run r = {.depth = depths[i], .yields = 1, .chains = chains};
                    if (run_full(pool, &r) != (int64_t)depths[i] * chains)
                        fail("wrong result (full chain)");
                    bench_sample_add(&s, (double)r.full_ns / chains);
                }
            char params[64];
            snprintf(params, sizeof params, "{\"depth\":%d,\"chains\":%d}", depths[i], chains);
            bench_emit(o, "depth", eng, params, "ns_per_chain", &s, "ns");
        }
        bytes_per_task(o, pool, eng);
    }
    rta_shutdown();
}
