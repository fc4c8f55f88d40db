/* Harness implementation; see bench.h. */
#define _GNU_SOURCE
#include "bench.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int warmup_runs = 1;    /* set by bench_parse; read by bench_sample_add */
static uint64_t min_sample_ns; /* set by bench_parse (--min-sample-ms) */
static uint64_t timed_ns;      /* every bench_since so far */
static unsigned rep_epoch;     /* the BENCH_REPEAT in progress (0: none) */
static unsigned rep_epochs;    /* BENCH_REPEATs begun */

void bench_parse(int argc, char **argv, bench_opts *o, const char *usage)
{
    *o = (bench_opts){.runs = 5, .warmup = 1};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            o->json = true;
        else if (!strcmp(argv[i], "--quick"))
            o->quick = true;
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            o->runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            o->warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-sample-ms") && i + 1 < argc)
            o->min_sample_ms = atof(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            o->only = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: %s [--json] [--quick] [--runs N] [--warmup W] [--min-sample-ms M] [--only "
                   "ENGINE]\n%s",
                   argv[0], usage);
            exit(0);
        } else {
            fprintf(stderr, "%s: unknown option '%s' (try --help)\n", argv[0], argv[i]);
            exit(2);
        }
    }
    if (o->runs < 1 || o->runs > 64) {
        fprintf(stderr, "%s: --runs must be 1..64\n", argv[0]);
        exit(2);
    }
    if (o->warmup < 0 || o->warmup > 8) {
        fprintf(stderr, "%s: --warmup must be 0..8\n", argv[0]);
        exit(2);
    }
    if (!(o->min_sample_ms >= 0 && o->min_sample_ms <= 10000)) {
        fprintf(stderr, "%s: --min-sample-ms must be 0..10000\n", argv[0]);
        exit(2);
    }
#ifdef RTA_BENCH_COUNT_CALLS
    o->min_sample_ms = 0; /* calls_per_run counts one repetition */
#endif
    warmup_runs = o->warmup;
    min_sample_ns = (uint64_t)(o->min_sample_ms * 1e6);
    o->runs += o->warmup;
}

bool bench_want(const bench_opts *o, const char *engine)
{
    return !o->only || strstr(engine, o->only) != NULL;
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_timed(uint64_t ns)
{
    timed_ns += ns;
    return ns;
}

uint64_t bench_since(uint64_t t0)
{
    return bench_timed(bench_now_ns() - t0);
}

bench_rep bench_rep_begin(void)
{
    rep_epoch = ++rep_epochs ? rep_epochs : ++rep_epochs; /* never 0 */
    return (bench_rep){.timed0 = timed_ns};
}

bool bench_rep_more(bench_rep *r)
{
    /* A body that timed nothing (timed_ns unchanged) runs once: no loop
     * can spin on a figure that is not a duration. */
    uint64_t t = timed_ns - r->timed0;
    if (r->reps == 0 || (t > 0 && t < min_sample_ns))
        return true;
    rep_epoch = 0;
    return false;
}

static long status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, key, kl)) {
            v = atol(line + kl);
            break;
        }
    }
    fclose(f);
    return v;
}

long bench_peak_rss_kib(void)
{
    return status_kib("VmHWM:");
}

long bench_rss_kib(void)
{
    return status_kib("VmRSS:");
}

long bench_rss_settled_kib(void)
{
    malloc_trim(0);
    return bench_rss_kib();
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static double nearest_rank(const uint64_t *sorted, size_t n, double p)
{
    /* The epsilon keeps 0.99 * 1000 = 990.0000000000001 at rank 990. */
    size_t rank = (size_t)(p * (double)n + 0.999999);
    return (double)sorted[(rank < 1 ? 1 : rank > n ? n : rank) - 1];
}

void bench_percentiles(uint64_t *v, size_t n, double *p50, double *p99)
{
    qsort(v, n, sizeof *v, cmp_u64);
    *p50 = nearest_rank(v, n, 0.50);
    *p99 = nearest_rank(v, n, 0.99);
}

bool bench_reset_peak_rss(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY);
    if (fd < 0)
        return false;
    bool ok = write(fd, "5", 1) == 1;
    close(fd);
    return ok;
}

void bench_sample_add(bench_sample *s, double v)
{
    if (rep_epoch && s->epoch == rep_epoch) { /* another repetition of the same run */
        if (s->cur >= 0) {
            s->sum += v;
            s->cnt++;
            s->reps++;
            s->v[s->cur] = s->sum / s->cnt;
        }
        return;
    }
    s->epoch = rep_epoch;
    s->cur = -1;
    if (s->seen++ < warmup_runs)
        return; /* a warm-up measurement: same count for every figure */
    if (s->n < 64) {
        s->cur = s->n;
        s->sum = v;
        s->cnt = 1;
        s->reps++;
        s->v[s->n++] = v;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(const bench_sample *s)
{
    if (s->n == 0)
        return 0;
    double v[64];
    memcpy(v, s->v, sizeof(double) * (size_t)s->n);
    qsort(v, (size_t)s->n, sizeof v[0], cmp_double);
    return s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}

void bench_emit(const bench_opts *o, const char *bench, const char *engine, const char *params,
                const char *metric, const bench_sample *s, const char *unit)
{
    double mn = s->n ? s->v[0] : 0, mx = mn;
    for (int i = 1; i < s->n; i++) {
        mn = s->v[i] < mn ? s->v[i] : mn;
        mx = s->v[i] > mx ? s->v[i] : mx;
    }
    double med = bench_median(s);
    if (o->json) {
        printf("{\"bench\":\"%s\",\"engine\":\"%s\",\"params\":%s,\"metric\":\"%s\",\"value\":%.6g,"
               "\"unit\":\"%s\",\"min\":%.6g,\"max\":%.6g,\"runs\":%d",
               bench, engine, params, metric, med, unit, mn, mx, s->n);
        if (s->reps > 0) /* repetitions per sample (BENCH_REPEAT) */
            printf(",\"reps\":%.4g", (double)s->reps / s->n);
        printf("}\n");
    } else
        printf("%-9s %-13s %-34s %-18s %12.3f %-5s [%.3f .. %.3f]\n", bench, engine, params, metric, med,
               unit, mn, mx);
    fflush(stdout);
}

void bench_emit1(const bench_opts *o, const char *bench, const char *engine, const char *params,
                 const char *metric, double value, const char *unit)
{
    bench_sample s = {.n = 1, .v = {value}};
    bench_emit(o, bench, engine, params, metric, &s, unit);
}

void bench_unsupported(const bench_opts *o, const char *bench, const char *engine, const char *params,
                       const char *reason)
{
    if (o->json)
        printf("{\"bench\":\"%s\",\"engine\":\"%s\",\"params\":%s,\"metric\":\"unsupported\","
               "\"value\":0,\"unit\":\"\",\"reason\":\"%s\"}\n",
               bench, engine, params, reason);
    else
        printf("%-9s %-13s %-34s unsupported: %s\n", bench, engine, params, reason);
    fflush(stdout);
}

#ifdef RTA_BENCH_COUNT_CALLS
uint64_t bench_calls;
#endif

uint64_t bench_calls_now(void)
{
#ifdef RTA_BENCH_COUNT_CALLS
    return bench_calls;
#else
    return 0;
#endif
}

void bench_emit_calls(const bench_opts *o, const char *bench, const char *engine, const char *params,
                      uint64_t calls, int runs)
{
#ifdef RTA_BENCH_COUNT_CALLS
    bench_emit1(o, bench, engine, params, "calls_per_run", (double)calls / (runs > 0 ? runs : 1), "calls");
#else
    (void)o, (void)bench, (void)engine, (void)params, (void)calls, (void)runs;
#endif
}
