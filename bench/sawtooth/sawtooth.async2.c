/*
 * The sawtooth benchmark (WORKLOADS.md section 3) for every engine from one
 * async2 source (issue 12): rtac builds this file for tasklet, cont and
 * async1, async1 twice (default task builder "async1-task", and
 * SAWTOOTH_BUILDER_POOL: the pooling value-task builder with 64 boxes per
 * thread and method, "async1-pool"; bench/CMakeLists.txt). Each build
 * defines its engine's bench entry (driver.h).
 * saw(1..base) and down(base+1..peak) are async functions; the first cycle
 * suspends midway down, every cycle then descends to the peak and yields
 * back at the base. A driver task starts the tasks with rta_spawn and awaits
 * each; they interleave through the single worker's FIFO run queue. What the
 * engines do with it: tasklet, plain C recursion on the task's stack; cont,
 * only the frames that run are resumed (a yield at the base suspends the
 * bottom frame, the frames above stay linked continuations); async1, the
 * first suspension moves the machines on the stack to heap boxes, each later
 * cycle calls down synchronously (its machines on the worker's stack).
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/bench.h"
#include "../common/cg.h"
#include "../common/workloads.h"

/* SAW_FRAME / SAW_KEEP: for the tasklet build, where the recursion is plain
 * C, every level a real frame (no inlining, no folding into a loop).
 * SAW_START_YIELD: an async1 method starts on the caller's stack (rta_spawn
 * calls its stub), so the driver and each task first yield: the driver onto
 * the worker, the tasks to start in order through the run queue, where the
 * other engines' rta_spawn puts them. */
#if defined(RTAC_ENGINE_TASKLET)
#define SAW_BENCH bench_sawtooth_tasklet
#define SAW_ENGINE "tasklet"
#define SAW_FRAME __attribute__((noinline))
#define SAW_KEEP(v) bench_sink(v)
#elif defined(RTAC_ENGINE_CONT)
#define SAW_BENCH bench_sawtooth_cont
#define SAW_ENGINE "cont"
#elif defined(SAWTOOTH_BUILDER_POOL)
#define SAW_BENCH sawtooth_async1_pool
#define SAW_ENGINE "async1-pool"
#define SAW_FRAME RTA_BUILDER(pool, 64)
#define SAW_START_YIELD 1
#else
#define SAW_BENCH sawtooth_async1_task
#define SAW_ENGINE "async1-task"
#define SAW_START_YIELD 1
#endif
#ifndef SAW_FRAME
#define SAW_FRAME
#endif
#ifndef SAW_KEEP
#define SAW_KEEP(v) ((void)0)
#endif
#ifndef SAW_START_YIELD
#define SAW_START_YIELD 0
#endif

/* The amplitude being measured (wl_saw_amps): base depth <-> peak depth. */
static int saw_base = 10, saw_peak = 30;

SAW_FRAME static RTA_ASYNC int64_t down(int64_t d, int64_t first)
{
    if (first && d == (saw_base + saw_peak) / 2)
        rta_yield(); /* the first suspension: midway */
    if (d == saw_peak)
        return 1;
    int64_t v = down(d + 1, first);
    SAW_KEEP(v);
    return v + 1;
}

SAW_FRAME static RTA_ASYNC int64_t saw(int64_t d, int64_t cycles)
{
    if (d < saw_base) {
        int64_t v = saw(d + 1, cycles);
        SAW_KEEP(v);
        return v + 1;
    }
    int64_t s = 0;
    for (int64_t c = 0; c < cycles; c++) {
        s += down(saw_base + 1, c == 0); /* down to the peak and back */
        rta_yield();                     /* suspend at the base */
    }
    return s;
}

SAW_FRAME static RTA_ASYNC int64_t saw_root(void *arg)
{
    if (SAW_START_YIELD)
        rta_yield();
    return saw(1, (int64_t)(intptr_t)arg);
}

typedef struct saw_run {
    int tasks, cycles_each;
    rta_task **ts;
    uint64_t ns, allocs;
    int bad;
} saw_run;

/* The timed region's instruction count under callgrind (bench/common/cg.h,
 * bench/report/callgrind.py): they do not move with the machine's load. */
static void saw_cg_end(const saw_run *r)
{
    char p[96];
    snprintf(p, sizeof p, "{\"tasks\":%d,\"base\":%d,\"peak\":%d}", r->tasks, saw_base, saw_peak);
    BENCH_CG_END("sawtooth", SAW_ENGINE, p, "instructions_per_cycle", (long long)r->tasks * r->cycles_each);
    (void)p;
}

/* Not timed by the tasklet build's figures (allocs_per_cycle is not one of
 * its rows) but counted the same way. */
static RTA_ASYNC int64_t saw_driver(void *arg)
{
    saw_run *r = arg;
    if (SAW_START_YIELD)
        rta_yield();
    r->allocs = bench_allocs();
    uint64_t t0 = bench_now_ns();
    BENCH_CG_BEGIN();
    for (int i = 0; i < r->tasks; i++)
        r->ts[i] = rta_spawn(saw_root, (void *)(intptr_t)r->cycles_each);
    for (int i = 0; i < r->tasks; i++) {
        if (rta_await(r->ts[i]) != (int64_t)r->cycles_each * (saw_peak - saw_base) + saw_base - 1)
            r->bad++;
        rta_task_release(r->ts[i]);
    }
    saw_cg_end(r);
    r->ns = bench_since(t0);
    r->allocs = bench_allocs() - r->allocs;
    return 0;
}

void SAW_BENCH(const bench_opts *o)
{
    if (!bench_want(o, SAW_ENGINE))
        return;
    if (rta_init(&(rta_config){.workers = 1}) != 0) {
        fprintf(stderr, "sawtooth " SAW_ENGINE ": rta_init failed\n");
        exit(1);
    }
    int cycles = wl_sawtooth_cycles(o->quick);
    static const int task_counts[] = {1, 100};
    for (int amp = 0; amp < WL_SAW_AMPS; amp++)
        for (size_t k = 0; k < 2; k++) {
            saw_base = wl_saw_amps[amp][0];
            saw_peak = wl_saw_amps[amp][1];
            bench_sample s = {0}, al = {0};
            rta_stats a, b;
            rta_stats_get(&a);
            for (int run = 0; run < o->runs; run++)
                BENCH_REPEAT
                {
                    saw_run r = {.tasks = task_counts[k], .cycles_each = cycles / task_counts[k]};
                    r.ts = calloc((size_t)r.tasks, sizeof *r.ts);
                    if (!r.ts) {
                        fprintf(stderr, "sawtooth " SAW_ENGINE ": out of memory\n");
                        exit(1);
                    }
                    rta_task *t = rta_spawn(saw_driver, &r);
                    rta_error *e = NULL;
                    rta_task_wait(t, &e);
                    if (e || r.bad) {
                        fprintf(stderr, "sawtooth " SAW_ENGINE ": %s\n",
                                e ? rta_error_message(e) : "wrong result");
                        exit(1);
                    }
                    rta_task_release(t);
                    free(r.ts);
                    bench_sample_add(&s, (double)r.ns / (double)(r.tasks * r.cycles_each));
                    bench_sample_add(&al, (double)r.allocs / (double)(r.tasks * r.cycles_each));
                }
            rta_stats_get(&b);
            char params[96];
            wl_saw_params(params, sizeof params, cycles, task_counts[k], saw_base, saw_peak);
            bench_emit(o, "sawtooth", SAW_ENGINE, params, "ns_per_cycle", &s, "ns");
#if defined(RTAC_ENGINE_TASKLET)
            /* The tasklet's stack resumes: in place, or copied back. */
            uint64_t res = b.resumes_resident - a.resumes_resident,
                     rest = b.resumes_restored - a.resumes_restored;
            bench_emit1(o, "sawtooth", SAW_ENGINE, params, "resumes_no_copy_pct",
                        100.0 * (double)res / (double)(res + rest ? res + rest : 1), "%");
#else
            (void)a;
            (void)b;
            bench_emit(o, "sawtooth", SAW_ENGINE, params, "allocs_per_cycle", &al, "allocs");
#endif
        }
    rta_shutdown();
}

#if defined(RTAC_ENGINE_ASYNC1) && !defined(SAWTOOTH_BUILDER_POOL)
/* Both async1 builds, from the task builder's (the pool build's is weak:
 * linked in with rtac only). */
void sawtooth_async1_pool(const bench_opts *o) __attribute__((weak));
void bench_sawtooth_async1(const bench_opts *o)
{
    sawtooth_async1_task(o);
    if (sawtooth_async1_pool)
        sawtooth_async1_pool(o);
}
#endif
