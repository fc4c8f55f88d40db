/*
 * Benchmark harness shared by every program in bench/: options, timing,
 * medians, allocation counting, peak RSS, and output either as a table or as
 * one JSON object per figure:
 *   {"bench":..,"engine":..,"params":{..},"metric":..,"value":..,"unit":..,
 *    "min":..,"max":..,"runs":..}
 * (the schema bench/run collects into bench/results/results.jsonl).
 */
#ifndef RTA_BENCH_H
#define RTA_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bench_opts {
    bool json;
    bool quick;
    int runs;          /* measurements per figure, warm-up included (the loops' count) */
    int warmup;        /* leading measurements of each figure dropped (--warmup, default 1) */
    const char *only;  /* run only engines whose name contains this (NULL = all) */
} bench_opts;

/* Parses --json, --quick, --runs N, --warmup W, --only ENGINE, --help (prints
 * usage and exits 0). Unknown options: message and exit 2. The same warm-up
 * for every engine and peer (WORKLOADS.md): o->runs becomes N + W, and every
 * bench_sample drops its first W values, so the loops need not know. */
void bench_parse(int argc, char **argv, bench_opts *o, const char *usage);

/* True if engine should run under --only. */
bool bench_want(const bench_opts *o, const char *engine);

uint64_t bench_now_ns(void);

/* Allocation calls (malloc, calloc, realloc of NULL, aligned_alloc,
 * posix_memalign) made by any thread so far. Counted by interposing malloc in
 * the benchmark program (alloc_count.c). */
uint64_t bench_allocs(void);

/* Peak resident set (VmHWM) and current (VmRSS) of the process, KiB. */
long bench_peak_rss_kib(void);
long bench_rss_kib(void);
/* RSS after freed heap memory was given back (malloc_trim), so that memory
 * an earlier run freed does not hide in a "before" reading (WORKLOADS.md). */
long bench_rss_settled_kib(void);
/* Resets VmHWM to the current RSS (writes 5 to /proc/self/clear_refs); false
 * if the kernel refuses, in which case peaks are process-wide. */
bool bench_reset_peak_rss(void);

/* A figure measured `runs` times. */
typedef struct bench_sample {
    double v[64];
    int n;
    int seen; /* values offered, warm-up ones included */
} bench_sample;

void bench_sample_add(bench_sample *s, double v);
double bench_median(const bench_sample *s);

/* Nearest-rank p50 and p99 (WORKLOADS.md: the sample at rank ceil(p * n),
 * 1-based) of v[0..n), n > 0; sorts v in place. */
void bench_percentiles(uint64_t *v, size_t n, double *p50, double *p99);

/* Prints one figure. params is a JSON object text, e.g. "{\"n\":30}". */
void bench_emit(const bench_opts *o, const char *bench, const char *engine, const char *params,
                const char *metric, const bench_sample *s, const char *unit);
/* A single value (no repeated runs). */
void bench_emit1(const bench_opts *o, const char *bench, const char *engine, const char *params,
                 const char *metric, double value, const char *unit);
/* A workload an engine cannot express: {"metric":"unsupported","reason":..}. */
void bench_unsupported(const bench_opts *o, const char *bench, const char *engine, const char *params,
                       const char *reason);

/* Keeps a value alive so the compiler cannot drop the work that made it. */
static inline void bench_sink(int64_t v)
{
    __asm__ volatile("" : : "r"(v) : "memory");
}

/* Stops gcc turning "return f(n-1) + f(n-2)" into a loop (tail recursion
 * with an accumulator), which makes one real call per leaf instead of two:
 * every fib of the experiment passes its second result through this, so
 * every contestant makes the same calls (bench/check/ verifies both the count
 * and the disassembly). */
#define BENCH_KEEP(x) __asm__ volatile("" : "+r"(x))

/* The checking build (-DRTA_BENCH_COUNT_CALLS, bench/check/run): every fib
 * call of every contestant bumps bench_calls, and each fib figure also emits
 * "calls_per_run", which bench/check/check.py compares across contestants
 * and with 2*fib(n+1)-1. In the timing build the counter costs nothing. */
#ifdef RTA_BENCH_COUNT_CALLS
extern uint64_t bench_calls;
#define BENCH_COUNT_CALL() (bench_calls++)
#else
#define BENCH_COUNT_CALL() ((void)0)
#endif
/* Reads the counter (0 in the timing build). */
uint64_t bench_calls_now(void);
/* Emits calls_per_run = calls / runs (checking build only; no-op otherwise). */
void bench_emit_calls(const bench_opts *o, const char *bench, const char *engine, const char *params,
                      uint64_t calls, int runs);

#endif
