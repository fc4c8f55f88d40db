/*
 * depth for the async1 engine (WORKLOADS.md section 2): depth.async2.c built
 * by rtac for it twice (bench/CMakeLists.txt):
 *   async1-task  default task builder (rta_task *)
 *   async1-pool  pooling value-task builder, 64 boxes per thread and method
 *                (DEPTH_BUILDER_POOL)
 * chain(d) is an async1 method awaiting chain(d-1); the bottom one awaits the
 * yield awaiter R times. The chain runs synchronously on the stack until the
 * first yield; then every machine of the chain moves to a heap box, once.
 * Each later yield re-queues only the bottom method's box through the
 * worker's run queue. The roots first yield once, so that they and
 * everything they call run on the (single) worker, as the other engines'
 * tasks do; the main thread only starts the root and waits for its task.
 * bytes_per_task: roots parked at depth 10 on promises (root + 10 machines
 * in boxes), started from a parker method on the worker; a fresh runtime per
 * run, so pools kept from an earlier run do not hide memory.
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "depth.h"

static void fail(const char *what)
{
    fprintf(stderr, "depth_async1: %s\n", what);
    exit(1);
}

static void init_runtime(void)
{
    if (rta_init(&(rta_config){.workers = 1}) != 0)
        fail("rta_init failed");
}

static void bytes_per_task(const bench_opts *o, const depth_engine *eng, bool pool, const char *name)
{
    int n = wl_depth_hold_tasks(o->quick);
    bench_sample s = {0};
    for (int run = 0; run < o->runs; run++) {
        /* A fresh runtime per run: pools kept by an earlier run would hide memory. */
        rta_shutdown();
        init_runtime();
        depth_park p = {.n = n, .gates = malloc(sizeof(rta_task *) * (size_t)n)};
        if (pool)
            p.vts = calloc((size_t)n, sizeof(rta_vtask));
        else
            p.ts = calloc((size_t)n, sizeof(rta_task *));
        if (!p.gates || !(p.ts || p.vts))
            fail("out of memory");
        for (int i = 0; i < n; i++)
            p.gates[i] = rta_promise_new();
        long before = bench_rss_settled_kib();
        eng->park(&p); /* each start ran its root until it parked */
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
    bench_emit(o, "depth", name, params, "bytes_per_task", &s, "bytes");
}

void bench_depth_async1(const bench_opts *o)
{
    init_runtime();
    static const int depths[] = {1, 10, 100, 1000};
    static const char *const names[] = {"async1-task", "async1-pool"};
    const depth_engine *const engines[] = {&depth_async1_task, &depth_async1_pool};
    int yields = wl_depth_yields(o->quick);
    for (int pool = 0; pool <= 1; pool++) {
        const char *name = names[pool];
        const depth_engine *eng = engines[pool];
        if (!bench_want(o, name))
            continue;
        if (!eng) {
            fprintf(stderr, "bench_depth_async1: %s not built (rtac missing: python3-clang)\n", name);
            continue;
        }
        for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
            bench_sample s = {0};
            for (int run = 0; run < o->runs; run++)
                BENCH_REPEAT
                {
                    depth_run r = {.depth = depths[i], .yields = yields};
                    if (eng->run(&r) != depths[i])
                        fail("wrong result");
                    bench_sample_add(&s, (double)r.ns / yields);
                }
            char params[64];
            snprintf(params, sizeof params, "{\"depth\":%d,\"yields\":%d}", depths[i], yields);
            bench_emit(o, "depth", name, params, "ns_per_roundtrip", &s, "ns");
        }
        int chains = wl_depth_chains(o->quick);
        for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
            bench_sample s = {0};
            for (int run = 0; run < o->runs; run++)
                BENCH_REPEAT
                {
                    depth_run r = {.depth = depths[i], .yields = 1, .chains = chains};
                    if (eng->run(&r) != (int64_t)depths[i] * chains)
                        fail("wrong result (full chain)");
                    bench_sample_add(&s, (double)r.full_ns / chains);
                }
            char params[64];
            snprintf(params, sizeof params, "{\"depth\":%d,\"chains\":%d}", depths[i], chains);
            bench_emit(o, "depth", name, params, "ns_per_chain", &s, "ns");
        }
        bytes_per_task(o, eng, pool, name);
    }
    rta_shutdown();
}
