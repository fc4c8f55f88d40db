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
    int runs;             /* measurements per figure, warm-up included (the loops' count) */
    int warmup;           /* leading measurements of each figure dropped (--warmup, default 1) */
    const char *only;     /* run only engines whose name contains this (NULL = all) */
    double min_sample_ms; /* --min-sample-ms M: the minimum sample duration (below) */
} bench_opts;

/* Parses --json, --quick, --runs N, --warmup W, --only ENGINE, --help (prints
 * usage and exits 0). Unknown options: message and exit 2. The same warm-up
 * for every engine and peer (WORKLOADS.md): o->runs becomes N + W, and every
 * bench_sample drops its first W values, so the loops need not know. */
void bench_parse(int argc, char **argv, bench_opts *o, const char *usage);

/* True if engine should run under --only. */
bool bench_want(const bench_opts *o, const char *engine);

uint64_t bench_now_ns(void);

/* The minimum sample duration (issue 9), the same for every contestant:
 * bench/run sets it in one place and passes --min-sample-ms M to every
 * engine and peer program. A timed loop wraps the body of each run in
 * BENCH_REPEAT, which repeats the whole run (setup included, untimed) until
 * the time its timed regions measured (bench_since) adds up to M ms, so that
 * neither the clock's resolution nor a run's start-up dominates a short
 * figure. The values a body hands bench_sample_add during the repetitions of
 * one run make one sample: their mean, which is total time over total
 * operations since every repetition does the same work. The warm-up run is
 * repeated the same way. M = 0 (the default, used by callgrind counts, and
 * forced in the call-counting build) means one repetition: a run is a
 * sample. A body whose figures are not durations (memory, latency
 * percentiles) is not wrapped. */
uint64_t bench_since(uint64_t t0); /* bench_now_ns() - t0, counted toward the minimum */
uint64_t bench_timed(uint64_t ns); /* ns measured otherwise, counted; returns ns */

typedef struct bench_rep {
    uint64_t timed0; /* timed ns before the first repetition */
    int reps;        /* repetitions done */
} bench_rep;
bench_rep bench_rep_begin(void);
bool bench_rep_more(bench_rep *r);
#define BENCH_REPEAT                                                                                         \
    for (bench_rep bench_rep_ = bench_rep_begin(); bench_rep_more(&bench_rep_); bench_rep_.reps++)

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
    int seen;       /* samples offered, warm-up ones included */
    unsigned epoch; /* the BENCH_REPEAT the last value belonged to (0: none) */
    int cur;        /* slot of v that repetitions of that run average into; -1: warm-up */
    double sum;     /* sum of the current slot's repetitions */
    int cnt;        /* their count */
    long reps;      /* repetitions over the kept samples (reported as reps per sample) */
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
