/*
 * bench_json: the JSON scenario's benchmark (issue 14). Documents: twitter.json
 * and citm_catalog.json (bench/data), generated catalogues of about 1 KiB,
 * 100 KiB and 10 MiB (the typed path: C structs), and the TechEmpower message.
 * Operations, each on every engine this build has (sync = plain C, the floor)
 * and cJSON (Debian libcjson, the quality anchor):
 *   parse  memory -> document model       write  document model -> memory
 *   typed  C structs -> memory (generated) pipe   writer task -> 64 KiB pipe -> parser task
 * Every measurement runs one operation `reps` times (about 8/32 MB of JSON) and
 * is timed in process CPU time (one worker: nothing runs beside it). Rounds are
 * interleaved: each run measures every contestant once, in a rotating order,
 * and a figure is the median over runs. Before any timing, every contestant's
 * result is checked against the sync build's: the same counts of each kind of
 * value, the same string bytes and the same sum of all numbers for a parse; the
 * same bytes for a write (cJSON's output: parsed back to the same counts).
 *
 * Under callgrind (bench/report/callgrind.py, or bench/json/run --callgrind)
 * each timed region is also bracketed by BENCH_CG_BEGIN/END (bench/common/cg.h):
 * instructions per KiB of JSON, which do not move with the machine's load, and
 * the operations run on about 1 MiB instead of 8 (a count needs no more).
 */
#define _GNU_SOURCE
#include <rj.h>

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/types.h>
#include <time.h>

#include "bench.h"
#include "cg.h"

#if RJB_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

#ifndef RJB_DATA
#define RJB_DATA "bench/data/"
#endif

typedef struct sig {
    uint64_t nulls, bools, numbers, strings, arrays, objects, string_bytes;
    double number_sum;
} sig;

static void sig_rj(const rj_value *v, sig *s)
{
    switch (v->type) {
    case RJ_NULL:
        s->nulls++;
        break;
    case RJ_TRUE:
    case RJ_FALSE:
        s->bools++;
        break;
    case RJ_NUMBER:
        s->numbers++, s->number_sum += strtod(v->u.str, NULL);
        break;
    case RJ_STRING:
        s->strings++, s->string_bytes += v->len;
        break;
    case RJ_ARRAY:
        s->arrays++;
        for (uint32_t i = 0; i < v->len; i++)
            sig_rj(&v->u.items[i], s);
        break;
    case RJ_OBJECT:
        s->objects++;
        for (uint32_t i = 0; i < v->len; i++) {
            s->string_bytes += v->u.items[2 * i].len;
            sig_rj(&v->u.items[2 * i + 1], s);
        }
        break;
    }
}

#if RJB_HAVE_CJSON
static void sig_cj(const cJSON *c, bool is_member, sig *s)
{
    if (is_member)
        s->string_bytes += strlen(c->string);
    if (cJSON_IsNull(c))
        s->nulls++;
    else if (cJSON_IsBool(c))
        s->bools++;
    else if (cJSON_IsNumber(c))
        s->numbers++, s->number_sum += c->valuedouble;
    else if (cJSON_IsString(c))
        s->strings++, s->string_bytes += strlen(c->valuestring);
    else if (cJSON_IsArray(c) || cJSON_IsObject(c)) {
        if (cJSON_IsArray(c))
            s->arrays++;
        else
            s->objects++;
        for (const cJSON *k = c->child; k; k = k->next)
            sig_cj(k, cJSON_IsObject(c), s);
    }
}
#endif

static bool sig_eq(const sig *a, const sig *b)
{
    return a->nulls == b->nulls && a->bools == b->bools && a->numbers == b->numbers &&
           a->strings == b->strings && a->arrays == b->arrays && a->objects == b->objects &&
           a->string_bytes == b->string_bytes && a->number_sum == b->number_sum;
}

static void die(const char *what, const char *doc, const char *who)
{
    fprintf(stderr, "bench_json: %s: %s differs from the sync build (%s)\n", doc, who, what);
    exit(1);
}

/* The CPU clock of a timed region: the sum of the CPU clocks of every thread
 * of the process, each read on its own, not CLOCK_PROCESS_CPUTIME_ID. The
 * process clock adds up the other threads' run times as of their last tick
 * or context switch (kernel/sched/cputime.c, thread_group_cputime: "we skip
 * account those pending times"): when an engine's job ends, the main thread
 * wakes and reads the clock while the worker is still on its CPU (its idle
 * spin before parking), so the worker's time since its last tick (4 ms apart
 * at this kernel's HZ=250) or switch was missing from the engine's region,
 * and charged to the next region instead (the sync build's, when it came
 * next in the rotation). RJB_CLOCK_CHECK (below) shows both clocks per
 * region: bench/json/results/cpuclock.txt. Such a region is what put one
 * round of twitter's tasklet write at 20x the sync build's in the 12:35 run
 * (bench/results/results.jsonl). A thread's own clock is read exactly even
 * while it runs on another CPU (task_sched_runtime), so every contestant, on
 * the main thread or on a worker, is charged exactly its threads' time. */
typedef struct cpu_clock {
    clockid_t id[16];
    int n;
    double t0, process0; /* process0: RJB_CLOCK_CHECK only */
} cpu_clock;

/* RJB_CLOCK_CHECK=1: every region also reads CLOCK_PROCESS_CPUTIME_ID and
 * prints both figures on stderr ("clock-check: process MS threads MS"), the
 * evidence for the choice above (bench/json/results/cpuclock.txt). */
static int clock_check = -1;

static double process_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Linux's CPU clock of thread tid (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)). */
static clockid_t thread_clock(pid_t tid)
{
    return (clockid_t)((~(unsigned)tid << 3) | 4 | 2);
}

static double clock_sum(const cpu_clock *c)
{
    double sum = 0;
    for (int i = 0; i < c->n; i++) {
        struct timespec ts;
        /* a thread that ended in between is skipped: none does here (the
         * runtime's threads live from rta_init to rta_shutdown) */
        if (clock_gettime(c->id[i], &ts) == 0)
            sum += (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    }
    return sum;
}

/* Lists the process's threads (untimed, before the region) and starts the clock. */
static void cpu_start(cpu_clock *c)
{
    c->n = 0;
    DIR *d = opendir("/proc/self/task");
    if (!d) {
        perror("bench_json: /proc/self/task");
        exit(2);
    }
    struct dirent *e;
    while ((e = readdir(d)) && c->n < (int)(sizeof c->id / sizeof c->id[0]))
        if (atoi(e->d_name) > 0)
            c->id[c->n++] = thread_clock(atoi(e->d_name));
    closedir(d);
    if (clock_check < 0)
        clock_check = getenv("RJB_CLOCK_CHECK") && atoi(getenv("RJB_CLOCK_CHECK")) > 0;
    c->process0 = clock_check ? process_s() : 0;
    c->t0 = clock_sum(c);
}

/* CPU seconds of the region so far, counted toward the minimum sample
 * duration (BENCH_REPEAT, bench.h). */
static double cpu_stop(const cpu_clock *c)
{
    double t = clock_sum(c) - c->t0;
    if (clock_check)
        fprintf(stderr, "clock-check: process %.3f threads %.3f ms\n", (process_s() - c->process0) * 1e3,
                t * 1e3);
    bench_timed((uint64_t)(t * 1e9));
    return t;
}

/* ---- documents -------------------------------------------------------------------- */

typedef struct doc {
    const char *name;
    char *data;
    size_t len;
    rj_doc *model; /* parsed by sync */
    rj_value root;
    rj_catalog *cat; /* generated ones: the C structs */
    unsigned reps;
} doc;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench_json: cannot open %s (run from the repository root or set RJB_DATA)\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *d = malloc((size_t)n + 1);
    if (!d || fread(d, 1, (size_t)n, f) != (size_t)n)
        exit(2);
    fclose(f);
    *len = (size_t)n;
    return d;
}

static const char *const tag_pool[] = {"new",  "sale",   "caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac",
                                       "kids", "outdoor"};

/* A catalogue of n records (names and tags mixed ASCII / UTF-8, one escape in 16). */
static rj_catalog *make_catalog(size_t n)
{
    rj_catalog *c = calloc(1, sizeof *c);
    rj_record *r = calloc(n, sizeof *r);
    static const char *const names[] = {"Widget",
                                        "Gadget \"pro\"",
                                        "Caf\xc3\xa9 table",
                                        "Lamp",
                                        "Chair",
                                        "Desk",
                                        "Shelf",
                                        "Rug",
                                        "Mirror",
                                        "Clock",
                                        "Vase",
                                        "Sofa",
                                        "Bench",
                                        "Stool",
                                        "Frame",
                                        "Tray"};
    for (size_t i = 0; i < n; i++)
        r[i] = (rj_record){.id = (int64_t)(i * 2654435761u % 100000000),
                           .name = names[i % 16],
                           .price_cents = (int64_t)(i * 7919 % 100000),
                           .rating = (double)(i % 50) / 10.0 + 0.05,
                           .available = i % 3 != 0,
                           .tags = tag_pool + i % 4,
                           .ntags = 1 + i % 3};
    c->title = "Generated catalogue";
    c->records = r;
    c->n = n;
    return c;
}

static const rj_engine *engine(const char *name)
{
    bool built;
    const rj_engine *e = rj_engine_find(name, &built);
    return e && built ? e : NULL;
}

static void parse_model(doc *d)
{
    rj_stream in;
    rj_stream_mem_reader(&in, d->data, d->len);
    d->model = rj_doc_new();
    rj_parser p;
    rj_parser_init(&p, &in, d->model);
    if (rj_parse(engine("sync"), &p) != 0) {
        fprintf(stderr, "bench_json: %s does not parse: %s\n", d->name, p.err.msg);
        exit(1);
    }
    d->root = p.root;
    rj_parser_free(&p);
}

static char *write_to_mem(const rj_engine *e, rj_writer *w, size_t *len)
{
    rj_stream out;
    rj_stream_mem_writer(&out);
    w->out = &out;
    if (rj_write(e, w) != 0) {
        fprintf(stderr, "bench_json: write failed on %s: %s\n", e->name, w->err.msg);
        exit(1);
    }
    const uint8_t *p = rj_stream_mem_data(&out, len);
    char *copy = malloc(*len + 1);
    memcpy(copy, p, *len);
    rj_stream_free(&out);
    return copy;
}

static doc generated(const char *name, size_t target)
{
    /* one record writes about 150 bytes: size the first guess, then adjust once */
    size_t n = target / 150 + 1;
    rj_catalog *c = make_catalog(n);
    rj_writer w;
    rj_writer_init(&w, NULL, RJ_W_CATALOG);
    w.catalog = c;
    size_t len;
    char *data = write_to_mem(engine("sync"), &w, &len);
    if (len > target + target / 8 || len < target - target / 8) {
        free(data);
        free((void *)c->records);
        free(c);
        c = make_catalog(n * target / len + 1);
        w.catalog = c;
        data = write_to_mem(engine("sync"), &w, &len);
    }
    return (doc){.name = name, .data = data, .len = len, .cat = c};
}

/* ---- one measurement each -------------------------------------------------------------- */

/* The figure's params, as printed in the table and in the callgrind labels. */
static const char *params_of(const doc *d, const char *op, char *buf, size_t n)
{
    snprintf(buf, n, "{\"doc\":\"%s\",\"op\":\"%s\",\"bytes\":%zu}", d->name, op, d->len);
    return buf;
}

/* Callgrind's label for a timed region that handled `bytes` bytes. */
#define CG_END_KB(who, d, op, bytes)                                                                         \
    do {                                                                                                     \
        char cg_params_[160];                                                                                \
        BENCH_CG_END("json", (who), params_of((d), (op), cg_params_, sizeof cg_params_),                     \
                     "instructions_per_KiB", (long long)((bytes) / 1024));                                   \
    } while (0)

typedef struct figure {
    double mbps;
    double allocs;  /* per operation */
    double susp_mb; /* suspensions per MB (pipe) */
} figure;

static figure run_parse(const rj_engine *e, doc *d, sig *check)
{
    rj_stream in;
    rj_stream_mem_reader(&in, d->data, d->len);
    rj_doc *model = rj_doc_new();
    rj_parser p;
    rj_parser_init(&p, &in, model);
    p.repeat = check ? 1 : d->reps;
    cpu_clock clk;
    cpu_start(&clk);
    uint64_t a0 = bench_allocs();
    if (!check)
        BENCH_CG_BEGIN();
    int r = rj_parse(e, &p);
    double t = cpu_stop(&clk);
    if (!check)
        CG_END_KB(e->name, d, "parse", (uint64_t)d->len * p.repeat);
    uint64_t a = bench_allocs() - a0;
    if (r != 0) {
        fprintf(stderr, "bench_json: %s: %s parse failed: %s\n", d->name, e->name, p.err.msg);
        exit(1);
    }
    if (check)
        sig_rj(&p.root, check);
    rj_parser_free(&p);
    rj_doc_free(model);
    return (figure){(double)d->len * p.repeat / t / 1e6, (double)a / p.repeat, 0};
}

static figure run_write(const rj_engine *e, doc *d, bool typed, char **check, size_t *check_len)
{
    rj_stream out;
    rj_stream_mem_writer(&out);
    rj_writer w;
    rj_writer_init(&w, &out, typed ? RJ_W_CATALOG : RJ_W_VALUE);
    w.value = &d->root;
    w.catalog = d->cat;
    /* The sink of every contestant starts at its final size, written
     * once, untimed: growing it from 64 KiB by realloc (copying or not, as
     * the heap's layout of the contestant's thread allows) and touching it
     * first are then outside every timed region, and every repetition
     * rewrites the same buffer, as the later ones always did. */
    if (!check) {
        if (rj_write(e, &w) != 0 || rj_stream_rewind(&out) != 0) {
            fprintf(stderr, "bench_json: %s: %s write failed: %s\n", d->name, e->name, w.err.msg);
            exit(1);
        }
    }
    w.repeat = check ? 1 : d->reps;
    cpu_clock clk;
    cpu_start(&clk);
    uint64_t a0 = bench_allocs();
    if (!check)
        BENCH_CG_BEGIN();
    int r = rj_write(e, &w);
    double t = cpu_stop(&clk);
    if (!check)
        CG_END_KB(e->name, d, typed ? "typed_write" : "write", (uint64_t)d->len * w.repeat);
    uint64_t a = bench_allocs() - a0;
    if (r != 0) {
        fprintf(stderr, "bench_json: %s: %s write failed: %s\n", d->name, e->name, w.err.msg);
        exit(1);
    }
    size_t n;
    const uint8_t *data = rj_stream_mem_data(&out, &n);
    if (check) {
        *check = malloc(n + 1);
        memcpy(*check, data, n);
        *check_len = n;
    }
    figure f = {(double)n * w.repeat / t / 1e6, (double)a / w.repeat, 0};
    rj_stream_free(&out);
    return f;
}

/* Writer task -> pipe -> parser task, one document per iteration. */
static figure run_pipe(const rj_engine *e, doc *d, sig *check)
{
    unsigned reps = check ? 1 : d->reps;
    uint64_t susp = 0, bytes = 0;
    cpu_clock clk;
    cpu_start(&clk);
    uint64_t a0 = bench_allocs();
    if (!check)
        BENCH_CG_BEGIN();
    for (unsigned i = 0; i < reps; i++) {
        rj_stream ws, rs;
        rj_stream_pipe(&ws, &rs, 64 * 1024);
        rj_writer w;
        rj_writer_init(&w, &ws, RJ_W_VALUE);
        w.value = &d->root;
        w.close_at_end = true;
        rj_doc *model = rj_doc_new();
        rj_parser p;
        rj_parser_init(&p, &rs, model);
        p.close_at_end = true;
        rta_task *rt = e->parse_spawn(&p), *wt = e->write_spawn(&w);
        int wr = rj_job_wait(wt, &w.err), rr = rj_job_wait(rt, &p.err);
        if (wr || rr) {
            fprintf(stderr, "bench_json: %s: %s pipe failed: %s %s\n", d->name, e->name, w.err.msg,
                    p.err.msg);
            exit(1);
        }
        if (check)
            sig_rj(&p.root, check);
        susp += ws.suspensions + rs.suspensions;
        bytes += rj_stream_pos(&ws);
        rj_parser_free(&p);
        rj_doc_free(model);
        rj_stream_free(&ws);
        rj_stream_free(&rs);
    }
    double t = cpu_stop(&clk);
    if (!check)
        CG_END_KB(e->name, d, "pipe", bytes);
    return (figure){(double)bytes / t / 1e6, (double)(bench_allocs() - a0) / reps,
                    (double)susp / ((double)bytes / 1e6)};
}

#if RJB_HAVE_CJSON
static figure run_cjson_parse(doc *d, sig *check)
{
    unsigned reps = check ? 1 : d->reps;
    cpu_clock clk;
    cpu_start(&clk);
    uint64_t a0 = bench_allocs();
    if (!check)
        BENCH_CG_BEGIN();
    for (unsigned i = 0; i < reps; i++) {
        cJSON *root = cJSON_ParseWithLength(d->data, d->len);
        if (!root) {
            fprintf(stderr, "bench_json: cJSON cannot parse %s\n", d->name);
            exit(1);
        }
        if (check)
            sig_cj(root, false, check);
        cJSON_Delete(root);
    }
    double t = cpu_stop(&clk);
    if (!check)
        CG_END_KB("cjson", d, "parse", (uint64_t)d->len * reps);
    return (figure){(double)d->len * reps / t / 1e6, (double)(bench_allocs() - a0) / reps, 0};
}

static figure run_cjson_write(doc *d, cJSON *root, char *buf, int cap, char **check)
{
    unsigned reps = check ? 1 : d->reps;
    size_t n = 0;
    cpu_clock clk;
    cpu_start(&clk);
    uint64_t a0 = bench_allocs();
    if (!check)
        BENCH_CG_BEGIN();
    for (unsigned i = 0; i < reps; i++) {
        if (!cJSON_PrintPreallocated(root, buf, cap, 0)) {
            fprintf(stderr, "bench_json: cJSON cannot print %s\n", d->name);
            exit(1);
        }
        n += strlen(buf);
    }
    double t = cpu_stop(&clk);
    if (!check)
        CG_END_KB("cjson", d, "write", (uint64_t)n);
    if (check)
        *check = buf;
    return (figure){(double)n / t / 1e6, (double)(bench_allocs() - a0) / reps, 0};
}
#endif

/* Settles the calling thread's malloc arena, untimed, after every measurement.
 * glibc keeps small freed chunks unmerged (fastbins) and merges them all at
 * the arena's next large request. cJSON frees one chunk per value (about 2
 * million for gen_10MiB), on the main thread, and the next contestant in
 * the rotation, the sync build on that same thread, paid for merging them in
 * its first arena block: 30 ms instead of 15 for a 10 MiB parse, which made
 * the floor measure slower than tasklet, whose work runs on a worker's arena
 * (callgrind counts the same instructions for both). A large request here
 * does that merging outside every timed region, so no contestant pays for
 * another's frees; cJSON's own figure does not include it either. */
static void settle_heap(void)
{
    void *volatile p = malloc(1 << 20); /* over the small-bin range: merges fastbins */
    free(p);
}

/* ---- the rounds -------------------------------------------------------------------- */

enum { OP_PARSE, OP_WRITE, OP_TYPED, OP_PIPE, NOPS };
static const char *const op_names[] = {"parse", "write", "typed_write", "pipe"};
#define MAXC 7

/* A row's speed is sampled as CPU seconds per MB and printed as MB/s (its
 * inverse): BENCH_REPEAT averages the repetitions of one run, and the mean of
 * seconds per MB over repetitions of equal work is the run's total time over
 * its total bytes, as bench.h means a sample to be. The mean of MB/s was not:
 * one repetition whose clock read short weighed without bound. */
typedef struct row {
    bench_sample s_per_mb, allocs, susp;
    bool used;
} row;

/* Emits MB/s from a sample of seconds per MB: the inverse of each value, so
 * the median, min and max are those of the same runs. */
static void emit_mbps(const bench_opts *o, const char *engine, const char *params, const bench_sample *spm)
{
    bench_sample mbps = *spm;
    for (int i = 0; i < mbps.n; i++)
        mbps.v[i] = 1.0 / mbps.v[i];
    bench_emit(o, "json", engine, params, "MB_per_s_cpu", &mbps, "MB/s");
}

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(argc, argv, &o,
                "  JSON parse/write throughput per engine and cJSON (env RJB_DATA: data folder)\n");
    const char *dir = getenv("RJB_DATA") ? getenv("RJB_DATA") : RJB_DATA;
    /* Freed memory stays with the process, for every contestant alike: glibc
     * trims the main thread's arena (where sync and cJSON run) and serves big
     * blocks by mmap, so a repetition could fault its pages in again where a
     * worker's arena (the async engines) would not. This was first added for
     * the "sync measures half of tasklet" anomaly, whose cause turned out to
     * be the scheduler (an idle worker spinning at full CPU, charged to the
     * process CPU time: scenarios/json/README.md), not the allocator; it stays
     * so that no contestant's figure depends on which thread's arena it used. */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    rta_config cfg = {.workers = 1, .stack_size = 1u << 20, .regions_per_worker = 4};
    if (rta_init(&cfg) != 0)
        return 2;

    enum { NDOCS = 5 };
    doc docs[NDOCS];
    char path[4096];
    snprintf(path, sizeof path, "%s/twitter.json", dir);
    docs[0] = (doc){.name = "twitter"};
    docs[0].data = slurp(path, &docs[0].len);
    snprintf(path, sizeof path, "%s/citm_catalog.json", dir);
    docs[1] = (doc){.name = "citm_catalog"};
    docs[1].data = slurp(path, &docs[1].len);
    docs[2] = generated("gen_1KiB", 1024);
    docs[3] = generated("gen_100KiB", 100 * 1024);
    docs[4] = generated("gen_10MiB", 10 * 1024 * 1024);
    size_t target = o.quick ? 8u << 20 : 32u << 20;
#ifdef BENCH_HAVE_CG
    if (RUNNING_ON_VALGRIND)
        target = 1u << 20; /* instruction counts: a few hundred KiB would do */
#endif
    for (int i = 0; i < NDOCS; i++) {
        parse_model(&docs[i]);
        docs[i].reps = (unsigned)(target / docs[i].len + 1);
    }

    /* contestants: the engines with the operations they can run, then cJSON */
    const char *names[MAXC];
    const rj_engine *es[MAXC];
    int nc = 0;
    for (const char *const *n = rj_engine_names; *n && nc < MAXC - 1; n++)
        if (bench_want(&o, *n))
            es[nc] = engine(*n), names[nc++] = *n;
    int cj = -1;
#if RJB_HAVE_CJSON
    if (bench_want(&o, "cjson"))
        cj = nc, es[nc] = NULL, names[nc++] = "cjson";
    cJSON *cj_root[NDOCS];
    char *cj_buf[NDOCS];
    for (int i = 0; i < NDOCS; i++) {
        cj_root[i] = cJSON_ParseWithLength(docs[i].data, docs[i].len);
        cj_buf[i] = malloc(docs[i].len * 2 + 64);
    }
#endif

    /* equal results first */
    for (int di = 0; di < NDOCS; di++) {
        doc *d = &docs[di];
        sig ref = {0};
        sig_rj(&d->root, &ref);
        size_t ref_len = 0;
        char *ref_out = NULL;
        run_write(engine("sync"), d, false, &ref_out, &ref_len);
        for (int c = 0; c < nc; c++) {
            sig s = {0};
            if (c == cj) {
#if RJB_HAVE_CJSON
                run_cjson_parse(d, &s);
                if (!sig_eq(&s, &ref))
                    die("parse counts", d->name, "cjson");
                char *out;
                run_cjson_write(d, cj_root[di], cj_buf[di], (int)(d->len * 2 + 64), &out);
                rj_stream in;
                rj_stream_mem_reader(&in, out, strlen(out));
                rj_doc *m = rj_doc_new();
                rj_parser p;
                rj_parser_init(&p, &in, m);
                sig back = {0};
                if (rj_parse(engine("sync"), &p) != 0)
                    die("output does not parse", d->name, "cjson");
                sig_rj(&p.root, &back);
                if (!sig_eq(&back, &ref))
                    die("written document", d->name, "cjson");
                rj_parser_free(&p);
                rj_doc_free(m);
#endif
                continue;
            }
            run_parse(es[c], d, &s);
            if (!sig_eq(&s, &ref))
                die("parse counts", d->name, names[c]);
            char *out;
            size_t len;
            run_write(es[c], d, false, &out, &len);
            if (len != ref_len || memcmp(out, ref_out, len) != 0)
                die("written bytes", d->name, names[c]);
            free(out);
            if (d->cat) {
                run_write(es[c], d, true, &out, &len);
                if (len != d->len || memcmp(out, d->data, len) != 0)
                    die("typed write", d->name, names[c]);
                free(out);
            }
            if (es[c]->parse_spawn) {
                memset(&s, 0, sizeof s);
                run_pipe(es[c], d, &s);
                if (!sig_eq(&s, &ref))
                    die("pipe counts", d->name, names[c]);
            }
        }
        free(ref_out);
    }

    static row rows[NDOCS][NOPS][MAXC];
    for (int run = 0; run < o.runs; run++) {
        for (int di = 0; di < NDOCS; di++) {
            doc *d = &docs[di];
            for (int op = 0; op < NOPS; op++) {
                /* A `continue` below ends the repetitions of a figure that
                 * does not exist (nothing was timed) and moves to the next. */
                for (int k = 0; k < nc; k++)
                    BENCH_REPEAT
                    {
                        int c = (k + run) % nc; /* rotate who goes first */
                        figure f;
                        if (c == cj) {
#if RJB_HAVE_CJSON
                            if (op == OP_PARSE)
                                f = run_cjson_parse(d, NULL);
                            else if (op == OP_WRITE)
                                f = run_cjson_write(d, cj_root[di], cj_buf[di], (int)(d->len * 2 + 64), NULL);
                            else
                                continue;
#else
                            continue;
#endif
                        } else if (op == OP_PARSE) {
                            f = run_parse(es[c], d, NULL);
                        } else if (op == OP_WRITE) {
                            f = run_write(es[c], d, false, NULL, NULL);
                        } else if (op == OP_TYPED) {
                            if (!d->cat)
                                continue;
                            f = run_write(es[c], d, true, NULL, NULL);
                        } else {
                            if (!es[c]->parse_spawn)
                                continue;
                            f = run_pipe(es[c], d, NULL);
                        }
                        settle_heap();
                        row *r = &rows[di][op][c];
                        r->used = true;
                        bench_sample_add(&r->s_per_mb, 1.0 / f.mbps);
                        bench_sample_add(&r->allocs, f.allocs);
                        bench_sample_add(&r->susp, f.susp_mb);
                    }
            }
        }
    }

    for (int di = 0; di < NDOCS; di++)
        for (int op = 0; op < NOPS; op++)
            for (int c = 0; c < nc; c++) {
                row *r = &rows[di][op][c];
                if (!r->used)
                    continue;
                char params[160];
                params_of(&docs[di], op_names[op], params, sizeof params);
                emit_mbps(&o, names[c], params, &r->s_per_mb);
                bench_emit(&o, "json", names[c], params, "allocs_per_op", &r->allocs, "allocs");
                if (op == OP_PIPE)
                    bench_emit(&o, "json", names[c], params, "suspensions_per_MB", &r->susp, "1/MB");
            }

    /* the TechEmpower message: nanoseconds per message, every engine */
    for (int c = 0; c < nc; c++) {
        if (c == cj)
            continue;
        bench_sample s = {0};
        for (int run = 0; run < o.runs; run++)
            BENCH_REPEAT
            {
                rj_stream out;
                rj_stream_mem_writer(&out);
                rj_writer w;
                rj_writer_init(&w, &out, RJ_W_MESSAGE);
                w.repeat = o.quick ? 200000 : 1000000;
#ifdef BENCH_HAVE_CG
                if (RUNNING_ON_VALGRIND)
                    w.repeat = 20000;
#endif
                cpu_clock clk;
                cpu_start(&clk);
                BENCH_CG_BEGIN();
                if (rj_write(es[c], &w) != 0)
                    return 1;
                bench_sample_add(&s, cpu_stop(&clk) * 1e9 / w.repeat);
                BENCH_CG_END("json", names[c], "{\"doc\":\"message\",\"op\":\"typed_write\",\"bytes\":27}",
                             "instructions_per_op", w.repeat);
                rj_stream_free(&out);
            }
        bench_emit(&o, "json", names[c], "{\"doc\":\"message\",\"op\":\"typed_write\",\"bytes\":27}",
                   "ns_per_op", &s, "ns");
    }

    for (int i = 0; i < NDOCS; i++) {
        rj_doc_free(docs[i].model);
        free(docs[i].data);
        if (docs[i].cat) {
            free((void *)docs[i].cat->records);
            free(docs[i].cat);
        }
#if RJB_HAVE_CJSON
        cJSON_Delete(cj_root[i]);
        free(cj_buf[i]);
#endif
    }
    rta_shutdown();
    return 0;
}
