/*
 * async1 fib figures: fib.async2.c built by rtac for the async1 engine, once
 * per builder (RTA_BUILDER, the builder-override spec), so the classic
 * state-machine model runs with each of its three builders:
 *   async1-task   default task builder (rta_task *, cached tasks for -1..8)
 *   async1-vtask  value-task builder (nothing allocated when synchronous)
 *   async1-pool   pooling value-task builder, pool of 64 boxes per thread
 * Without suspension every call completes on the caller's stack. With
 * yield_every = k, every k-th leaf awaits rta_async1_yield_awaiter, which
 * re-queues the leaf through the scheduler; every caller above a suspended
 * leaf then suspends too, so its machine moves to the heap (a box) once.
 * The root (an async1 method, timed inside) is started on this non-async
 * thread; if it suspended, the thread blocks on its task. A runtime started
 * here has one worker, so that per-leaf times are a cost, not a parallel
 * speed-up.
 */
#include <rta.h>

#include <stdio.h>
#include <stdlib.h>

#include "fib.h"

enum { B_TASK, B_VTASK, B_POOL };
static const char *const engine_names[] = {"async1-task", "async1-vtask", "async1-pool"};

/* fib.async2.c built by rtac once per builder. */
static void (*const runs[])(fib_run *) = {fib_run_async1_task, fib_run_async1_vtask, fib_run_async1_pool};

typedef struct fig {
    bench_sample ns, allocs;
    long peak;
    uint64_t calls; /* counted (checking build) over `reps` runs */
    int reps;
} fig;

/* Runs fib(n) `runs` times, per unit = calls or leaves: one run per sample
 * and the harness's warm-up, the same sampling as every other contestant
 * (issue 9; this used to repeat a run until it had taken 20 ms and add a
 * warm-up run of its own). */
static void measure(const bench_opts *o, int which, int n, unsigned k, double units, fig *f)
{
    char cg[80]; /* the figure being measured, for callgrind's label */
    snprintf(cg, sizeof cg, "{\"n\":%d,\"yield_every\":%u}", n, k);
    f->ns = f->allocs = (bench_sample){.n = 0};
    f->calls = 0;
    f->reps = 0;
    bench_reset_peak_rss();
    for (int r = 0; r < o->runs; r++)
        BENCH_REPEAT
        {
            uint64_t c0 = bench_calls_now();
            fib_run run = {.n = n, .yield_every = (int)k, .cg_params = cg};
            uint64_t a0 = bench_allocs();
            runs[which](&run);
            uint64_t dt = run.ns;
            if (run.result != fib_ref(n)) {
                fprintf(stderr, "fib_async1: wrong result %lld\n", (long long)run.result);
                exit(1);
            }
            uint64_t a1 = bench_allocs();
            f->calls += bench_calls_now() - c0;
            f->reps++;
            bench_sample_add(&f->ns, (double)dt / units);
            bench_sample_add(&f->allocs, (double)(a1 - a0) / units);
        }
    f->peak = bench_peak_rss_kib();
}

void bench_fib_async1(const bench_opts *o)
{
    bool own = rta_worker_count() == 0;
    if (own) {
        rta_config cfg = {.workers = 1};
        if (rta_init(&cfg) != 0) {
            fprintf(stderr, "fib_async1: rta_init failed\n");
            return;
        }
    }
    int n = wl_fib_n_yield(o->quick), nbig = wl_fib_n_plain(o->quick);
    double calls = (double)(2 * fib_ref(n + 1) - 1), leaves = (double)fib_ref(n + 1);
    double calls_big = (double)(2 * fib_ref(nbig + 1) - 1);
    char params[64];
    for (int which = B_TASK; which <= B_POOL; which++) {
        const char *eng = engine_names[which];
        if (!bench_want(o, eng))
            continue;
        if (!runs[which]) {
            fprintf(stderr, "fib_async1: %s not built (rtac missing: python3-clang)\n", eng);
            continue;
        }
        fig f;
        measure(o, which, n, 0, calls, &f);
        snprintf(params, sizeof params, "{\"n\":%d,\"yield_every\":0}", n);
        bench_emit(o, "fib", eng, params, "ns_per_call", &f.ns, "ns");
        bench_emit(o, "fib", eng, params, "allocs_per_call", &f.allocs, "allocs");
        bench_emit_calls(o, "fib", eng, params, f.calls, f.reps);
        measure(o, which, nbig, 0, calls_big, &f);
        snprintf(params, sizeof params, "{\"n\":%d,\"yield_every\":0}", nbig);
        bench_emit(o, "fib", eng, params, "ns_per_call", &f.ns, "ns");
        bench_emit_calls(o, "fib", eng, params, f.calls, f.reps);
        static const unsigned ks[] = {1, 10, 100};
        for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
            double units = leaves; /* per leaf: every k-th one suspends */
            measure(o, which, n, ks[i], units, &f);
            snprintf(params, sizeof params, "{\"n\":%d,\"yield_every\":%u}", n, ks[i]);
            bench_emit(o, "fib", eng, params, "ns_per_leaf", &f.ns, "ns");
            bench_emit_calls(o, "fib", eng, params, f.calls, f.reps);
            if (ks[i] == 1) {
                bench_emit(o, "fib", eng, params, "allocs_per_leaf", &f.allocs, "allocs");
                bench_emit1(o, "fib", eng, params, "peak_rss_kib", (double)f.peak, "KiB");
            }
        }
    }
    if (own)
        rta_shutdown();
}
