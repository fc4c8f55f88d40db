/* peer.h - harness shared by the C and C++ peer benchmarks: options, clock,
 * memory readings, medians and the fixed output schema (see ../WORKLOADS.md).
 * Header-only so each peer stays a single translation unit. */
#ifndef PEER_H
#define PEER_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../common/workloads.h" /* the workload sizes, shared with the engines' benchmarks */
#include "../../common/cg.h"        /* instruction counts under callgrind */

#define PEER_MAX_METRICS 4
#define PEER_MAX_RUNS 64

typedef struct {
    int json;             /* --json: one JSON object per line */
    int quick;            /* --quick: small sizes */
    int runs;             /* --runs N: repeat each measurement, report the median */
    int warmup;           /* --warmup W: unreported runs first (default 1, as the engines) */
    const char *only;     /* --bench NAME: run one workload (debugging aid) */
    double min_sample_ms; /* --min-sample-ms M: minimum sample duration (peer_measure) */
} peer_opts;

typedef struct {
    const char *metric, *unit;
} peer_metric;

static inline uint64_t peer_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Time measured by the timed regions so far: each workload passes the
 * duration it divides by its operation count through peer_timed, which
 * peer_measure reads to repeat a run until its sample lasted the minimum
 * (the engines' BENCH_REPEAT, bench/common/bench.h). */
static uint64_t peer_timed_ns;
static inline uint64_t peer_timed(uint64_t ns)
{
    peer_timed_ns += ns;
    return ns;
}

/* A field of /proc/self/status in KiB ("VmRSS", "VmHWM"); -1 if unreadable. */
static inline long peer_status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(key);
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* Reset VmHWM to the current RSS (Linux >= 4.0), so a peak belongs to one run
 * rather than to everything the process did before. Failure is harmless. */
static inline void peer_reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

/* Nearest-rank percentile of a sorted array: the smallest value with at
 * least p of the samples at or below it. */
static inline double peer_percentile(const double *sorted, size_t n, double p)
{
    size_t rank = (size_t)ceil(p * (double)n);
    return sorted[rank ? rank - 1 : 0];
}

static inline int peer_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline void peer_usage(const char *prog, const char *workloads)
{
    printf("usage: %s [--json] [--quick] [--runs N] [--bench NAME] [--help]\n"
           "  --json       one JSON object per line: bench, engine, params, metric,\n"
           "               value (median of the runs), unit, min, max, runs\n"
           "  --quick      small sizes (whole program well under 20 s)\n"
           "  --runs N     repeat each measurement N times (default 3)\n"
           "  --warmup W   unreported runs before them (default 1)\n"
           "  --min-sample-ms M  repeat each run until its timed regions add up to M ms (default 0)\n"
           "  --bench NAME run only that workload\n"
           "workloads: %s\n",
           prog, workloads);
}

static inline void peer_parse(int argc, char **argv, peer_opts *o, const char *workloads)
{
    memset(o, 0, sizeof *o);
    o->runs = 3;
    o->warmup = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            o->json = 1;
        else if (!strcmp(argv[i], "--quick"))
            o->quick = 1;
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            o->runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--bench") && i + 1 < argc)
            o->only = argv[++i];
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            o->warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-sample-ms") && i + 1 < argc)
            o->min_sample_ms = atof(argv[++i]);
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            peer_usage(argv[0], workloads);
            exit(0);
        } else {
            fprintf(stderr, "%s: unknown option %s\n", argv[0], argv[i]);
            peer_usage(argv[0], workloads);
            exit(2);
        }
    }
    if (o->runs < 1)
        o->runs = 1;
    if (o->runs > PEER_MAX_RUNS)
        o->runs = PEER_MAX_RUNS;
    if (o->warmup < 0)
        o->warmup = 0;
    if (!(o->min_sample_ms >= 0 && o->min_sample_ms <= 10000)) {
        fprintf(stderr, "%s: --min-sample-ms must be 0..10000\n", argv[0]);
        exit(2);
    }
#ifdef PEER_COUNT_CALLS
    o->min_sample_ms = 0; /* calls_per_run counts one repetition */
#endif
}

static inline int peer_want(const peer_opts *o, const char *bench)
{
    return !o->only || !strcmp(o->only, bench);
}

static inline void peer_emit(const peer_opts *o, const char *bench, const char *engine, const char *params,
                             const char *metric, double value, double min, double max, const char *unit)
{
    static int header;
    if (!isfinite(value))
        value = min = max = -1; /* never print invalid JSON */
    if (o->json) {
        printf("{\"bench\":\"%s\",\"engine\":\"%s\",\"params\":%s,\"metric\":\"%s\","
               "\"value\":%.6g,\"unit\":\"%s\",\"min\":%.6g,\"max\":%.6g,"
               "\"runs\":%d}\n",
               bench, engine, params, metric, value, unit, min, max, o->runs);
    } else {
        if (!header++)
            printf("%-9s %-7s %-52s %-15s %12s %12s %12s %s\n", "bench", "engine", "params", "metric",
                   "median", "min", "max", "unit");
        printf("%-9s %-7s %-52s %-15s %12.2f %12.2f %12.2f %s\n", bench, engine, params, metric, value, min,
               max, unit);
    }
    fflush(stdout);
}

/* The peer cannot express this workload: say so instead of skipping it.
 * value is 0 and unit "none" so every line keeps the fixed schema. */
static inline void peer_unsupported(const peer_opts *o, const char *bench, const char *engine,
                                    const char *params, const char *reason)
{
    if (o->json)
        printf("{\"bench\":\"%s\",\"engine\":\"%s\",\"params\":%s,\"metric\":"
               "\"unsupported\",\"value\":0,\"unit\":\"none\",\"reason\":\"%s\"}\n",
               bench, engine, params, reason);
    else
        printf("%-9s %-7s %-52s unsupported: %s\n", bench, engine, params, reason);
    fflush(stdout);
}

/* One sample: fn once, then again while the time its timed regions measured
 * (peer_timed) is short of --min-sample-ms; each figure is the mean over the
 * repetitions (total time over total operations: every repetition does the
 * same work). A fn that times nothing (memory, latency percentiles) runs
 * once. The rule of the engines' BENCH_REPEAT. */
static inline void peer_sample(const peer_opts *o, int nm, void (*fn)(void *ctx, double *out), void *ctx,
                               double *out)
{
    uint64_t min_ns = (uint64_t)(o->min_sample_ms * 1e6), t0 = peer_timed_ns;
    double sum[PEER_MAX_METRICS] = {0};
    int reps = 0;
    do {
        double one[PEER_MAX_METRICS] = {0};
        fn(ctx, one);
        for (int k = 0; k < nm; k++)
            sum[k] += one[k];
        reps++;
    } while (peer_timed_ns > t0 && peer_timed_ns - t0 < min_ns);
    for (int k = 0; k < nm; k++)
        out[k] = sum[k] / reps;
}

/* Call fn o->warmup times unreported, then o->runs times, each a sample
 * (peer_sample); fn writes nm figures into out[]. Prints the median, min and
 * max of each figure across runs: medians resist the noisy machine. */
static inline void peer_measure(const peer_opts *o, const char *bench, const char *engine, const char *params,
                                int nm, const peer_metric *m, void (*fn)(void *ctx, double *out), void *ctx)
{
    static double v[PEER_MAX_METRICS][PEER_MAX_RUNS];
    int runs = o->runs;
    for (int w = 0; w < o->warmup; w++) { /* the same warm-up as every contestant */
        double out[PEER_MAX_METRICS] = {0};
        peer_sample(o, nm, fn, ctx, out);
    }
    for (int r = 0; r < runs; r++) {
        double out[PEER_MAX_METRICS] = {0};
        peer_sample(o, nm, fn, ctx, out);
        for (int k = 0; k < nm; k++)
            v[k][r] = out[k];
    }
    for (int k = 0; k < nm; k++) {
        double *s = v[k];
        qsort(s, (size_t)runs, sizeof *s, peer_cmp_double);
        double med = runs % 2 ? s[runs / 2] : (s[runs / 2 - 1] + s[runs / 2]) / 2;
        peer_emit(o, bench, engine, params, m[k].metric, med, s[0], s[runs - 1], m[k].unit);
    }
}

/* Keeps a computed value alive without a memory store the optimizer could
 * drop, and stops gcc turning "return a + f(n-2)" into a loop (tail recursion
 * with an accumulator), which would make fewer real calls than we count. */
#define PEER_KEEP(x) __asm__ volatile("" : "+r"(x))

/* The checking build (-DPEER_COUNT_CALLS, bench/check/run): every fib call
 * bumps peer_calls, and each fib figure also emits calls_per_run, compared
 * across all contestants by bench/check/check.py. Free in the timing build. */
#ifdef PEER_COUNT_CALLS
static long peer_calls;
#define PEER_COUNT_CALL() (peer_calls++)
#else
#define PEER_COUNT_CALL() ((void)0)
#endif
static inline long peer_calls_now(void)
{
#ifdef PEER_COUNT_CALLS
    return peer_calls;
#else
    return 0;
#endif
}
static inline void peer_emit_calls(const peer_opts *o, const char *bench, const char *engine,
                                   const char *params, long calls)
{
#ifdef PEER_COUNT_CALLS
    peer_emit(o, bench, engine, params, "calls_per_run", (double)calls, (double)calls, (double)calls,
              "calls");
#else
    (void)o, (void)bench, (void)engine, (void)params, (void)calls;
#endif
}

#endif
