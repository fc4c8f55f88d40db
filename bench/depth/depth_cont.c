/*
 * depth for the cont engine: d cont frames live, R yields at the bottom.
 * Each round trip suspends only the bottom frame (the frames above stay
 * linked continuations: one frame resumed at a time), so the cost should not
 * grow with d; what grows is the one-time suspension of the chain.
 * bytes_per_task: 10,000 roots parked at depth 10 on promises, RSS delta per
 * root (promises allocated before the first reading, as for the tasklet).
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/bench.h"
#include "../common/workloads.h"

typedef struct depth_run {
    int depth, yields;
    uint64_t ns;
    int chains;       /* full-chain series: chains built, suspended once, completed */
    uint64_t full_ns; /* time of all of them */
} depth_run;

RTA_CONT_FN(chain, int64_t, d, depth_run *, r)
{
    RTA_CONT_FRAME(chain, depth_run *r; int i; uint64_t t0;);
    F.r = r;
    if (d > 1) {
        int64_t v;
        RTA_CONT_CALL(v, chain, d - 1, F.r);
        RTA_CONT_RETURN(v + 1);
    }
    F.t0 = bench_now_ns();
    for (F.i = 0; F.i < F.r->yields; F.i++)
        RTA_CONT_YIELD();
    /* the full shape times whole chains (full_ns), not this loop */
    F.r->ns = F.r->chains ? bench_now_ns() - F.t0 : bench_since(F.t0);
    RTA_CONT_RETURN(1);
}

RTA_CONT_FN(depth_root, void *, arg)
{
    RTA_CONT_FRAME(depth_root, char none;);
    depth_run *r = arg;
    int64_t v;
    RTA_CONT_CALL(v, chain, r->depth, r);
    RTA_CONT_RETURN(v);
}

/* The full shape (issue 9): r->chains fresh chains of r->depth frames, each
 * suspended once at its leaf (r->yields = 1) and completed. */
RTA_CONT_FN(full_root, void *, arg)
{
    RTA_CONT_FRAME(full_root, depth_run *r; int i; int64_t s; uint64_t t0;);
    F.r = arg;
    F.s = 0;
    F.t0 = bench_now_ns();
    for (F.i = 0; F.i < F.r->chains; F.i++) {
        int64_t v;
        RTA_CONT_CALL(v, chain, F.r->depth, F.r);
        F.s += v;
    }
    F.r->full_ns = bench_since(F.t0);
    RTA_CONT_RETURN(F.s);
}

static int64_t run_root(rta_cont_fn fn, void *arg)
{
    rta_task *t = rta_cont_spawn(fn, arg);
    rta_error *e = NULL;
    int64_t v = rta_task_wait(t, &e);
    if (e) {
        fprintf(stderr, "depth_cont: task failed: %s\n", rta_error_message(e));
        exit(1);
    }
    rta_task_release(t);
    return v;
}

/* ---- bytes per task parked at depth 10 ---- */

RTA_CONT_FN(hold_chain, int64_t, d, rta_task *, gate)
{
    RTA_CONT_FRAME(hold_chain, char none;);
    int64_t v;
    if (d > 1) {
        RTA_CONT_CALL(v, hold_chain, d - 1, gate);
        RTA_CONT_RETURN(v + 1);
    }
    RTA_CONT_AWAIT_TASK(v, gate);
    RTA_CONT_RETURN(v);
}

RTA_CONT_FN(hold_root, void *, arg)
{
    RTA_CONT_FRAME(hold_root, char none;);
    int64_t v;
    RTA_CONT_CALL(v, hold_chain, 10, (rta_task *)arg);
    RTA_CONT_RETURN(v);
}

typedef struct park {
    int n;
    rta_task **gates, **ts;
} park;

/* Parks n roots from a worker (so their frames come from its slabs); each
 * rta_cont_call returns once its root is suspended. */
RTA_CONT_FN(parker, void *, arg)
{
    RTA_CONT_FRAME(parker, char none;);
    park *p = arg;
    for (int i = 0; i < p->n; i++)
        p->ts[i] = rta_cont_call(hold_root, p->gates[i]);
    RTA_CONT_RETURN(0);
}

static void bytes_per_task(const bench_opts *o)
{
    int n = wl_depth_hold_tasks(o->quick);
    bench_sample s = {0};
    for (int run = 0; run < o->runs; run++) {
        /* A fresh runtime per run: slabs and free lists from earlier runs
         * would hide the memory this one needs. */
        rta_shutdown();
        if (rta_init(&(rta_config){.workers = 1}) != 0)
            exit(1);
        park p = {.n = n, .gates = malloc(sizeof(rta_task *) * (size_t)n),
                  .ts = malloc(sizeof(rta_task *) * (size_t)n)};
        for (int i = 0; i < n; i++)
            p.gates[i] = rta_promise_new();
        long before = bench_rss_settled_kib();
        run_root(parker, &p);
        long after = bench_rss_kib();
        bench_sample_add(&s, (double)(after - before) * 1024.0 / n);
        for (int i = 0; i < n; i++)
            rta_promise_resolve(p.gates[i], 1);
        for (int i = 0; i < n; i++) {
            if (rta_task_wait(p.ts[i], NULL) != 10)
                abort();
            rta_task_release(p.ts[i]);
            rta_task_release(p.gates[i]);
        }
        free(p.ts);
        free(p.gates);
    }
    char params[64];
    snprintf(params, sizeof params, "{\"depth\":10,\"tasks\":%d}", n);
    bench_emit(o, "depth", "cont", params, "bytes_per_task", &s, "bytes");
}

void bench_depth_cont(const bench_opts *o)
{
    if (rta_init(&(rta_config){.workers = 1}) != 0) {
        fprintf(stderr, "bench_depth_cont: rta_init failed\n");
        exit(1);
    }
    static const int depths[] = {1, 10, 100, 1000};
    int yields = wl_depth_yields(o->quick);
    for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        bench_sample s = {0};
        for (int run = 0; run < o->runs; run++) BENCH_REPEAT {
            depth_run r = {.depth = depths[i], .yields = yields};
            if (run_root(depth_root, &r) != depths[i]) {
                fprintf(stderr, "depth_cont: wrong result\n");
                exit(1);
            }
            bench_sample_add(&s, (double)r.ns / yields);
        }
        char params[64];
        snprintf(params, sizeof params, "{\"depth\":%d,\"yields\":%d}", depths[i], yields);
        bench_emit(o, "depth", "cont", params, "ns_per_roundtrip", &s, "ns");
    }
    int chains = wl_depth_chains(o->quick);
    for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        bench_sample s = {0};
        for (int run = 0; run < o->runs; run++) BENCH_REPEAT {
            depth_run r = {.depth = depths[i], .yields = 1, .chains = chains};
            if (run_root(full_root, &r) != (int64_t)depths[i] * chains) {
                fprintf(stderr, "depth_cont: wrong result\n");
                exit(1);
            }
            bench_sample_add(&s, (double)r.full_ns / chains);
        }
        char params[64];
        snprintf(params, sizeof params, "{\"depth\":%d,\"chains\":%d}", depths[i], chains);
        bench_emit(o, "depth", "cont", params, "ns_per_chain", &s, "ns");
    }
    bytes_per_task(o);
    rta_shutdown();
}
