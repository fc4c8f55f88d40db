/*
 * depth for the cont engine: depth.async2.c built by rtac for it, timed
 * paired with the hand-lowered cont chain it replaced (below, engine
 * "cont-hand"; rtac_to_hand = generated / hand per pair, target <= 1.1,
 * issue 12). d cont frames live, R yields at the bottom.
 * Each round trip suspends only the bottom frame (the frames above stay
 * linked continuations: one frame resumed at a time), so the cost should not
 * grow with d; what grows is the one-time suspension of the chain.
 * bytes_per_task: 10,000 roots parked at depth 10 on promises, RSS delta per
 * root (promises allocated before the first reading, as for the tasklet).
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "depth.h"

/* ---- the hand-lowered reference ---- */

RTA_CONT_FN(chain, int64_t, d, depth_run *, r)
{
    RTA_CONT_FRAME(chain, depth_run * r; int i; uint64_t t0;);
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
    RTA_CONT_FRAME(full_root, depth_run * r; int i; int64_t s; uint64_t t0;);
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

/* One pair: the generated code on r, the hand-lowered root fn on h, in
 * alternating order (neither always gets the warmer caches); the common
 * value, or -1 when they differ. */
static int64_t paired(depth_run *r, depth_run *h, rta_cont_fn fn)
{
    static unsigned turn;
    int64_t a, b;
    if (turn++ & 1) {
        b = run_root(fn, h);
        a = depth_cont.run(r);
    } else {
        a = depth_cont.run(r);
        b = run_root(fn, h);
    }
    return a == b ? a : -1;
}

/* ---- bytes per task parked at depth 10 (the generated hold_root) ---- */

typedef struct park {
    int n;
    rta_task **gates, **ts;
} park;

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
        park p = {.n = n,
                  .gates = malloc(sizeof(rta_task *) * (size_t)n),
                  .ts = malloc(sizeof(rta_task *) * (size_t)n)};
        for (int i = 0; i < n; i++)
            p.gates[i] = rta_promise_new();
        long before = bench_rss_settled_kib();
        for (int i = 0; i < n; i++)
            p.ts[i] = depth_cont.hold(p.gates[i]);
        /* One worker runs the starts in order: once a root queued after them
         * has finished, every one of them is parked. */
        depth_run last = {.depth = 1};
        depth_cont.run(&last);
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
    if (!&depth_cont) {
        fprintf(stderr, "bench_depth_cont: not built (rtac missing: python3-clang)\n");
        return;
    }
    if (rta_init(&(rta_config){.workers = 1}) != 0) {
        fprintf(stderr, "bench_depth_cont: rta_init failed\n");
        exit(1);
    }
    static const int depths[] = {1, 10, 100, 1000};
    int yields = wl_depth_yields(o->quick);
    for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        bench_sample s = {0}, hs = {0}, ratio = {0};
        for (int run = 0; run < o->runs; run++)
            BENCH_REPEAT
            {
                depth_run r = {.depth = depths[i], .yields = yields}, h = r;
                if (paired(&r, &h, depth_root) != depths[i]) {
                    fprintf(stderr, "depth_cont: wrong result\n");
                    exit(1);
                }
                bench_sample_add(&s, (double)r.ns / yields);
                bench_sample_add(&hs, (double)h.ns / yields);
                bench_sample_add(&ratio, (double)r.ns / (double)h.ns);
            }
        char params[64];
        snprintf(params, sizeof params, "{\"depth\":%d,\"yields\":%d}", depths[i], yields);
        bench_emit(o, "depth", "cont", params, "ns_per_roundtrip", &s, "ns");
        bench_emit(o, "depth", "cont-hand", params, "ns_per_roundtrip", &hs, "ns");
        bench_emit(o, "depth", "cont", params, "rtac_to_hand", &ratio, "x");
    }
    int chains = wl_depth_chains(o->quick);
    for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        bench_sample s = {0}, hs = {0}, ratio = {0};
        for (int run = 0; run < o->runs; run++)
            BENCH_REPEAT
            {
                depth_run r = {.depth = depths[i], .yields = 1, .chains = chains}, h = r;
                if (paired(&r, &h, full_root) != (int64_t)depths[i] * chains) {
                    fprintf(stderr, "depth_cont: wrong result\n");
                    exit(1);
                }
                bench_sample_add(&s, (double)r.full_ns / chains);
                bench_sample_add(&hs, (double)h.full_ns / chains);
                bench_sample_add(&ratio, (double)r.full_ns / (double)h.full_ns);
            }
        char params[64];
        snprintf(params, sizeof params, "{\"depth\":%d,\"chains\":%d}", depths[i], chains);
        bench_emit(o, "depth", "cont", params, "ns_per_chain", &s, "ns");
        bench_emit(o, "depth", "cont-hand", params, "ns_per_chain", &hs, "ns");
        bench_emit(o, "depth", "cont", params, "rtac_to_hand", &ratio, "x");
    }
    bytes_per_task(o);
    rta_shutdown();
}
