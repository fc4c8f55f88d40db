/*
 * The tasklet engine's fib figures: fib.async2.c built by rtac for the
 * tasklet engine (the source as written: plain C functions, a yield is a
 * plain call to rta_yield() at the leaves). One worker, so every figure is
 * one thread's cost.
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "fib.h"

static uint64_t calls;     /* counted calls since the figure began (checking build) */
static char cg_params[80]; /* the figure being measured, for callgrind's label */

static fib_run run_in_task(int n, int yield_every)
{
    fib_run r = {.n = n, .yield_every = yield_every, .cg_params = cg_params};
    uint64_t c0 = bench_calls_now();
    fib_run_tasklet(&r);
    calls += bench_calls_now() - c0;
    if (r.result != fib_ref(n)) {
        fprintf(stderr, "bench_fib_tasklet: wrong result %lld, want %lld\n", (long long)r.result,
                (long long)fib_ref(n));
        exit(1);
    }
    return r;
}

void bench_fib_tasklet(const bench_opts *o)
{
    if (!fib_run_tasklet) {
        fprintf(stderr, "bench_fib_tasklet: not built (rtac missing: python3-clang)\n");
        return;
    }
    rta_config cfg = {.workers = 1};
    if (rta_init(&cfg) != 0) {
        fprintf(stderr, "bench_fib_tasklet: rta_init failed\n");
        return;
    }
    char params[80];
    int n = fib_n_plain(o);

    bench_sample s = {0};
    calls = 0;
    snprintf(cg_params, sizeof cg_params, "{\"n\":%d,\"yield_every\":0}", n);
    for (int i = 0; i < o->runs; i++)
        BENCH_REPEAT
    bench_sample_add(&s, (double)run_in_task(n, 0).ns / (double)fib_calls(n));
    snprintf(params, sizeof params, "{\"n\":%d,\"yield_every\":0}", n);
    bench_emit(o, "fib", "tasklet", params, "ns_per_call", &s, "ns");
    bench_emit_calls(o, "fib", "tasklet", params, calls, o->runs);

    static const int every[] = {1, 10, 100};
    n = fib_n_yield(o);
    for (size_t k = 0; k < sizeof every / sizeof every[0]; k++) {
        bench_sample ns = {0}, allocs = {0};
        calls = 0;
        snprintf(cg_params, sizeof cg_params, "{\"n\":%d,\"yield_every\":%d}", n, every[k]);
        rta_stats before, after;
        rta_stats_get(&before);
        bench_reset_peak_rss();
        for (int i = 0; i < o->runs; i++)
            BENCH_REPEAT
            {
                uint64_t a0 = bench_allocs();
                fib_run r = run_in_task(n, every[k]);
                uint64_t a1 = bench_allocs();
                int64_t leaves = fib_leaves(n);
                bench_sample_add(&ns, (double)r.ns / (double)leaves);
                bench_sample_add(&allocs, (double)(a1 - a0) / (double)(leaves / every[k]));
            }
        rta_stats_get(&after);
        snprintf(params, sizeof params, "{\"n\":%d,\"yield_every\":%d}", n, every[k]);
        bench_emit(o, "fib", "tasklet", params, "ns_per_leaf", &ns, "ns");
        bench_emit_calls(o, "fib", "tasklet", params, calls, o->runs);
        if (every[k] == 1) {
            bench_emit(o, "fib", "tasklet", params, "allocs_per_leaf", &allocs, "allocs");
            bench_emit1(o, "fib", "tasklet", params, "peak_rss_kib", (double)bench_peak_rss_kib(), "KiB");
            uint64_t resident = after.resumes_resident - before.resumes_resident;
            uint64_t restored = after.resumes_restored - before.resumes_restored;
            bench_emit1(o, "fib", "tasklet", params, "resumes_no_copy_pct",
                        100.0 * (double)resident / (double)(resident + restored ? resident + restored : 1),
                        "%");
        }
    }

    rta_shutdown();
}
