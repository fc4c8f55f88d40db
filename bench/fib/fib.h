/*
 * The fib benchmark (bench "fib", and the spawn cost under bench "thunk"):
 * recursive fib(n), every level an async function of the engine under test.
 *   yield_every = 0: never suspends        -> ns_per_call (calls = 2*fib(n+1)-1)
 *   yield_every = k: yield at every k-th leaf -> ns_per_leaf (leaves = fib(n+1))
 * Each engine lives in its own file and is linked in if present (weak).
 */
#ifndef RTA_BENCH_FIB_H
#define RTA_BENCH_FIB_H

#include "../common/bench.h"
#include "../common/cg.h"
#include "../common/workloads.h"

void bench_fib_sync(const bench_opts *o);
void bench_fib_tasklet(const bench_opts *o) __attribute__((weak));
void bench_fib_async1(const bench_opts *o) __attribute__((weak));
void bench_fib_cont(const bench_opts *o) __attribute__((weak));

/* Problem sizes, shared so every engine measures the same thing. */
static inline int fib_n_plain(const bench_opts *o)
{
    return wl_fib_n_plain(o->quick);
}
static inline int fib_n_yield(const bench_opts *o)
{
    return wl_fib_n_yield(o->quick);
}

static inline int64_t fib_calls(int n)
{
    int64_t a = 0, b = 1; /* fib(n+1) */
    for (int i = 0; i < n + 1; i++) {
        int64_t c = a + b;
        a = b;
        b = c;
    }
    return 2 * a - 1;
}

/* The reference every run's result is checked against. */
static inline int64_t fib_ref(int n)
{
    int64_t a = 0, b = 1;
    for (int i = 0; i < n; i++) {
        int64_t c = a + b;
        a = b;
        b = c;
    }
    return a;
}

static inline int64_t fib_leaves(int n)
{
    return (fib_calls(n) + 1) / 2;
}

/* One timed fib(n) (yield_every 0: no suspension) in a task on the runtime
 * the caller started: ns is the time inside the task, result fib(n).
 * fib.async2.c, built by rtac for every engine, defines one per engine;
 * fib_cont.c keeps the hand-lowered cont fib (fib_run_cont_hand) as the
 * reference the generated code is measured against, paired. */
typedef struct fib_run {
    int n, yield_every;
    uint64_t ns;
    int64_t result;
    const char *cg_params; /* the figure being measured, for callgrind's label */
    uint64_t allocs;       /* filled by the caller that counts them */
} fib_run;

void fib_run_tasklet(fib_run *r) __attribute__((weak));
void fib_run_cont(fib_run *r) __attribute__((weak));
void fib_run_async1_task(fib_run *r) __attribute__((weak));
void fib_run_async1_vtask(fib_run *r) __attribute__((weak));
void fib_run_async1_pool(fib_run *r) __attribute__((weak));

#endif
