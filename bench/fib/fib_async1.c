/*
 * async1 fib: the classic state-machine model with its three builders.
 *   async1-task   default task builder (rta_task *, cached tasks for -1..8)
 *   async1-vtask  value-task builder (nothing allocated when synchronous)
 *   async1-pool   pooling value-task builder, pool of 64 boxes per thread
 * Without suspension every call completes on the caller's stack. With
 * yield_every = k, every k-th leaf awaits rta_async1_yield_awaiter, which
 * re-queues the leaf through the scheduler; every caller above a suspended
 * leaf then suspends too, so its machine moves to the heap (a box) once.
 * The root runs on a non-async thread; if it suspended, the thread blocks on
 * its task. A runtime started here has one worker, so that per-leaf times are
 * a cost, not a parallel speed-up.
 */
#include <rta.h>

#include <stdio.h>
#include <stdlib.h>

#include "../common/bench.h"
#include "../common/workloads.h"

static unsigned yield_every;
static unsigned countdown; /* leaves until the next yield (no division per leaf) */

typedef struct fib_sm {
    rta_async1_sm hdr;
    int n;
    int64_t a, b;
    rta_vtask vt;
    rta_task *t;
} fib_sm;

/* The stub and the leaf are shared; each move-next is written out, since
 * an await's state is its line number (one await per line). */
#define FIB_STUB(NAME, RET)                                                            \
    static void NAME##_move_next(rta_async1_sm *m);                                    \
    static RET NAME(int n)                                                             \
    {                                                                                  \
        fib_sm sm;                                                                     \
        BENCH_COUNT_CALL();                                                            \
        sm.n = n;                                                                      \
        RTA_ASYNC1_START(NAME, &sm, NAME##_move_next);                                 \
        return RTA_ASYNC1_TASK(NAME, &sm);                                             \
    }
#define FIB_LEAF(sm)                                                                   \
    if ((sm)->n < 2) {                                                                 \
        if (yield_every && --countdown == 0) {                                         \
            countdown = yield_every;                                                   \
            RTA_AWAIT1_YIELD();                                                        \
        }                                                                              \
        RTA_ASYNC1_RETURN((sm)->n);                                                    \
    }

RTA_ASYNC1_METHOD(fib_task, rta_task *);
FIB_STUB(fib_task, rta_task *)
static void fib_task_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(fib_task, fib_sm, sm, m);
    FIB_LEAF(sm);
    RTA_AWAIT1_TASK(sm->t, fib_task(sm->n - 1), sm->a);
    RTA_AWAIT1_TASK(sm->t, fib_task(sm->n - 2), sm->b);
    RTA_ASYNC1_RETURN(sm->a + sm->b);
    RTA_ASYNC1_END();
}

RTA_ASYNC1_METHOD(fib_vtask, rta_vtask);
FIB_STUB(fib_vtask, rta_vtask)
static void fib_vtask_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(fib_vtask, fib_sm, sm, m);
    FIB_LEAF(sm);
    RTA_AWAIT1_VTASK(sm->vt, fib_vtask(sm->n - 1), sm->a);
    RTA_AWAIT1_VTASK(sm->vt, fib_vtask(sm->n - 2), sm->b);
    RTA_ASYNC1_RETURN(sm->a + sm->b);
    RTA_ASYNC1_END();
}

RTA_ASYNC1_METHOD(fib_pool, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, 64));
FIB_STUB(fib_pool, rta_vtask)
static void fib_pool_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(fib_pool, fib_sm, sm, m);
    FIB_LEAF(sm);
    RTA_AWAIT1_VTASK(sm->vt, fib_pool(sm->n - 1), sm->a);
    RTA_AWAIT1_VTASK(sm->vt, fib_pool(sm->n - 2), sm->b);
    RTA_ASYNC1_RETURN(sm->a + sm->b);
    RTA_ASYNC1_END();
}

enum { B_TASK, B_VTASK, B_POOL };
static const char *const engine_names[] = {"async1-task", "async1-vtask", "async1-pool"};

/* The root call from this (non-async) thread. */
static int64_t run_root(int which, int n)
{
    if (which == B_TASK) {
        rta_task *t = fib_task(n);
        int64_t v = rta_task_wait(t, NULL);
        rta_task_release(t);
        return v;
    }
    rta_vtask vt = which == B_VTASK ? fib_vtask(n) : fib_pool(n);
    return rta_vtask_wait(vt, NULL);
}

static int64_t fib_ref(int n)
{
    int64_t a = 0, b = 1;
    for (int i = 0; i < n; i++) {
        int64_t c = a + b;
        a = b;
        b = c;
    }
    return a;
}

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
    yield_every = k;
    countdown = k;
    f->ns = f->allocs = (bench_sample){.n = 0};
    f->calls = 0;
    f->reps = 0;
    bench_reset_peak_rss();
    for (int r = 0; r < o->runs; r++) BENCH_REPEAT {
        uint64_t c0 = bench_calls_now();
        uint64_t a0 = bench_allocs(), t0 = bench_now_ns();
        int64_t v = run_root(which, n);
        uint64_t dt = bench_since(t0);
        if (v != fib_ref(n)) {
            fprintf(stderr, "fib_async1: wrong result %lld\n", (long long)v);
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
    yield_every = 0;
    if (own)
        rta_shutdown();
}
