/* depth for the tasklet engine: depth.async2.c built by rtac for it (the
 * source as written: the chain is plain C recursion on the task's stack). */
#include <sched.h>
#include <time.h>

#include "../common/tasklet_util.h"
#include "depth.h"

/* Issue 21: memory per parked task measured at once (stacks resident) and
 * after IDLE_MS of idleness (the worker has compacted them: stacks copied
 * out, pages given back; rta_config.idle_compact_ms, default 200). */
#define IDLE_MS 500

static void bytes_per_task(const bench_opts *o)
{
    int n = wl_depth_hold_tasks(o->quick);
    bench_sample s = {0}, idle = {0};
    for (int run = 0; run < o->runs; run++) {
        /* A fresh runtime per run, like every other contestant's fresh
         * process: regions and caches a previous run left warm would hide
         * memory this run needs (issue 9). */
        tasklet_bench_init();
        rta_task **gates = malloc(sizeof(rta_task *) * (size_t)n);
        rta_task **ts = malloc(sizeof(rta_task *) * (size_t)n);
        for (int i = 0; i < n; i++)
            gates[i] = rta_promise_new();
        rta_stats st;
        rta_stats_get(&st);
        uint64_t parked0 = st.suspensions;
        long before = bench_rss_settled_kib();
        for (int i = 0; i < n; i++)
            ts[i] = depth_tasklet.hold(gates[i]);
        /* All are parked once the worker counted n more suspensions. */
        do {
            sched_yield();
            rta_stats_get(&st);
        } while (st.suspensions - parked0 < (uint64_t)n);
        long after = bench_rss_kib();
        bench_sample_add(&s, (double)(after - before) * 1024.0 / n);
        struct timespec nap = {IDLE_MS / 1000, (IDLE_MS % 1000) * 1000000L};
        nanosleep(&nap, NULL);
        /* malloc_trim as for `before`: heap the run freed is not held. */
        long later = bench_rss_settled_kib();
        bench_sample_add(&idle, (double)(later - before) * 1024.0 / n);
        for (int i = 0; i < n; i++)
            rta_promise_resolve(gates[i], 1);
        for (int i = 0; i < n; i++) {
            if (rta_task_wait(ts[i], NULL) != 10)
                abort();
            rta_task_release(ts[i]);
            rta_task_release(gates[i]);
        }
        free(ts);
        free(gates);
        rta_shutdown();
    }
    char params[64];
    snprintf(params, sizeof params, "{\"depth\":10,\"tasks\":%d}", n);
    bench_emit(o, "depth", "tasklet", params, "bytes_per_task", &s, "bytes");
    snprintf(params, sizeof params, "{\"depth\":10,\"tasks\":%d,\"idle_ms\":%d}", n, IDLE_MS);
    bench_emit(o, "depth", "tasklet", params, "bytes_per_task_idle", &idle, "bytes");
}

void bench_depth_tasklet(const bench_opts *o)
{
    if (!&depth_tasklet) {
        fprintf(stderr, "bench_depth_tasklet: not built (rtac missing: python3-clang)\n");
        return;
    }
    tasklet_bench_init();
    static const int depths[] = {1, 10, 100, 1000};
    int yields = wl_depth_yields(o->quick);
    for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        bench_sample s = {0};
        for (int run = 0; run < o->runs; run++)
            BENCH_REPEAT
            {
                depth_run r = {.depth = depths[i], .yields = yields};
                depth_tasklet.run(&r);
                bench_sample_add(&s, (double)r.ns / yields);
            }
        char params[64];
        snprintf(params, sizeof params, "{\"depth\":%d,\"yields\":%d}", depths[i], yields);
        bench_emit(o, "depth", "tasklet", params, "ns_per_roundtrip", &s, "ns");
    }
    int chains = wl_depth_chains(o->quick);
    for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        bench_sample s = {0};
        for (int run = 0; run < o->runs; run++)
            BENCH_REPEAT
            {
                depth_run r = {.depth = depths[i], .yields = 1, .chains = chains};
                if (depth_tasklet.run(&r) != (int64_t)depths[i] * chains)
                    abort();
                bench_sample_add(&s, (double)r.full_ns / chains);
            }
        char params[64];
        snprintf(params, sizeof params, "{\"depth\":%d,\"chains\":%d}", depths[i], chains);
        bench_emit(o, "depth", "tasklet", params, "ns_per_chain", &s, "ns");
    }
    rta_shutdown();
    bytes_per_task(o);
}
