/*
 * The lifetime benchmark (WORKLOADS.md section 5) for every engine from one
 * async2 source (issue 12): rtac builds this file for tasklet, cont and
 * async1, async1 twice (default task builder "async1-task", and
 * LIFETIME_BUILDER_POOL: the pooling value-task builder with 64 boxes per
 * thread and method, "async1-pool"; bench/CMakeLists.txt). Each build
 * defines its engine's bench entry (driver.h).
 * Each task is a root awaiting hold_chain(10), whose bottom frame awaits a
 * promise (park). What is parked is the engine's: a tasklet's stack, 11 cont
 * continuations on the heap (worker slabs), or 11 async1 heap boxes (state
 * machine + task or pooled source each). A parker task on the (single)
 * worker starts the N tasks; a driver task, also on the worker, resolves one
 * task's gate, then yields until that task has finished: the woken task was
 * queued first, so it runs, records its latency and finishes before the
 * driver continues. A fresh runtime per run, so stacks, slabs, pools and
 * caches an earlier run left warm do not hide memory this run needs.
 */
#include <rta.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../common/bench.h"
#include "../common/workloads.h"

/* LIFE_FRAME: the tasklet build's chain is plain C, every level a real frame;
 * async1-pool's methods take the builder marker. LIFE_START_YIELD: an async1
 * method starts on the caller's stack, so the parker and the driver first
 * yield onto the worker (the other engines start them there). */
#if defined(RTAC_ENGINE_TASKLET)
#define LIFE_BENCH bench_lifetime_tasklet
#define LIFE_ENGINE "tasklet"
#define LIFE_FRAME __attribute__((noinline))
#define LIFE_KEEP(v) bench_sink(v)
#elif defined(RTAC_ENGINE_CONT)
#define LIFE_BENCH bench_lifetime_cont
#define LIFE_ENGINE "cont"
#elif defined(LIFETIME_BUILDER_POOL)
#define LIFE_BENCH lifetime_async1_pool
#define LIFE_ENGINE "async1-pool"
#define LIFE_FRAME RTA_BUILDER(pool, 64)
#define LIFE_START_YIELD 1
#else
#define LIFE_BENCH lifetime_async1_task
#define LIFE_ENGINE "async1-task"
#define LIFE_START_YIELD 1
#endif
#ifndef LIFE_FRAME
#define LIFE_FRAME
#endif
#ifndef LIFE_KEEP
#define LIFE_KEEP(v) ((void)0)
#endif
#ifndef LIFE_START_YIELD
#define LIFE_START_YIELD 0
#endif

typedef struct slot {
    rta_task *gate;
    uint64_t *t_request;
    uint64_t latency;
    int done;
} slot;

typedef struct life {
    int n;
    slot *slots;
    rta_task **tasks;
    rta_vtask *vtasks; /* async1-pool: the roots' value tasks */
    uint64_t t_request;
} life;

LIFE_FRAME static RTA_ASYNC int64_t hold_chain(int64_t d, slot *s)
{
    if (d > 1) {
        int64_t v = hold_chain(d - 1, s);
        LIFE_KEEP(v);
        return v + 1;
    }
    rta_await(s->gate); /* park */
    s->latency = bench_now_ns() - *s->t_request;
    return 1;
}

LIFE_FRAME static RTA_ASYNC int64_t hold_root(void *arg)
{
    slot *s = arg;
    int64_t v = hold_chain(10, s);
    s->done = 1;
    return v;
}

/* ---- engine glue: how a task is started, which decides what is parked
 * when the parker returns, so it is the engine's (hidden from rtac, which
 * would refuse the lowered names):
 *   tasklet      rta_spawn queues the task; the driver waits until the
 *                worker counted N suspensions.
 *   cont         rta_cont_call runs the root on the parker's thread until
 *                it parks (rta_spawn would queue it).
 *   async1-task  rta_spawn calls the root's stub, which runs until it parks.
 *   async1-pool  the stub (rtac1__hold_root, docs/rtac.md) called directly:
 *                its value task is kept as it is, no task made of it. */
static void start_task(life *l, int i)
{
#if defined(RTAC_ENGINE_CONT)
    l->tasks[i] = rta_cont_call(hold_root, &l->slots[i]);
#elif defined(RTAC_ENGINE_ASYNC1) && defined(LIFETIME_BUILDER_POOL)
    l->vtasks[i] = rtac1__hold_root(&l->slots[i]);
#else
    l->tasks[i] = rta_spawn(hold_root, &l->slots[i]);
#endif
}

static RTA_ASYNC int64_t parker(void *arg)
{
    life *l = arg;
    if (LIFE_START_YIELD)
        rta_yield();
    for (int i = 0; i < l->n; i++)
        start_task(l, i);
    return 0;
}

static RTA_ASYNC int64_t resume_all(void *arg)
{
    life *l = arg;
    if (LIFE_START_YIELD)
        rta_yield();
    for (int i = 0; i < l->n; i++) {
        l->t_request = bench_now_ns();
        rta_promise_resolve(l->slots[i].gate, 1);
        do {
            rta_yield();
        } while (!l->slots[i].done);
    }
    return 0;
}

static void fail(const char *what)
{
    fprintf(stderr, "lifetime " LIFE_ENGINE ": %s\n", what);
    exit(1);
}

static void run_task(rta_task *t)
{
    rta_error *e = NULL;
    rta_task_wait(t, &e);
    if (e)
        fail(rta_error_message(e));
    rta_task_release(t);
}

/* The roots' state: pending (parked) or their value once done. */
static rta_status root_status(const life *l, int i)
{
    return l->vtasks ? rta_vtask_status(l->vtasks[i]) : rta_task_status(l->tasks[i]);
}

static int64_t root_wait(life *l, int i)
{
    if (l->vtasks)
        return rta_vtask_wait(l->vtasks[i], NULL);
    int64_t v = rta_task_wait(l->tasks[i], NULL);
    rta_task_release(l->tasks[i]);
    return v;
}

void LIFE_BENCH(const bench_opts *o)
{
    if (!bench_want(o, LIFE_ENGINE))
        return;
#if defined(RTAC_ENGINE_ASYNC1) && defined(LIFETIME_BUILDER_POOL)
    const int vtasks = 1;
#else
    const int vtasks = 0;
#endif
    for (int k = 0; k < WL_LIFETIME_CASES; k++) {
        int n, hold_ms;
        wl_lifetime_case(o->quick, k, &n, &hold_ms);
        bench_sample bytes = {0}, p50 = {0}, p99 = {0}, copied = {0};
        for (int run = 0; run < o->runs; run++) {
            if (rta_init(&(rta_config){.workers = 1}) != 0)
                fail("rta_init failed");
            life l = {.n = n};
            l.slots = calloc((size_t)n, sizeof *l.slots);
            if (vtasks)
                l.vtasks = calloc((size_t)n, sizeof *l.vtasks);
            else
                l.tasks = calloc((size_t)n, sizeof *l.tasks);
            uint64_t *lat = calloc((size_t)n, sizeof *lat);
            if (!l.slots || !(l.tasks || l.vtasks) || !lat)
                fail("out of memory");
            for (int i = 0; i < n; i++) {
                l.slots[i].gate = rta_promise_new();
                l.slots[i].t_request = &l.t_request;
                lat[i] = 1; /* touch: harness memory, not task memory */
            }
            rta_stats st;
            rta_stats_get(&st);
            uint64_t parked0 = st.suspensions;
            long before = bench_rss_settled_kib();
            run_task(rta_spawn(parker, &l));
#if defined(RTAC_ENGINE_TASKLET)
            /* glue: the tasklets were only queued; all are parked once the
             * worker counted n more suspensions. */
            do {
                sched_yield();
                rta_stats_get(&st);
            } while (st.suspensions - parked0 < (uint64_t)n);
#else
            (void)parked0;
#endif
            long after = bench_rss_kib();
            for (int i = 0; i < n; i++)
                if (root_status(&l, i) != RTA_PENDING)
                    fail("a task did not park");
            struct timespec hold = {hold_ms / 1000, (long)(hold_ms % 1000) * 1000000};
            nanosleep(&hold, NULL);
            rta_stats a, b;
            rta_stats_get(&a);
            run_task(rta_spawn(resume_all, &l));
            rta_stats_get(&b);
            for (int i = 0; i < n; i++) {
                if (root_wait(&l, i) != 10)
                    fail("wrong result");
                lat[i] = l.slots[i].latency;
                rta_task_release(l.slots[i].gate);
            }
            double q50, q99;
            bench_percentiles(lat, (size_t)n, &q50, &q99);
            bench_sample_add(&bytes, (double)(after - before) * 1024.0 / n);
            bench_sample_add(&p50, q50);
            bench_sample_add(&p99, q99);
            bench_sample_add(&copied, (double)(b.bytes_copied - a.bytes_copied) / n);
            free(lat);
            free(l.tasks);
            free(l.vtasks);
            free(l.slots);
            rta_shutdown();
        }
        char params[64];
        snprintf(params, sizeof params, "{\"depth\":10,\"hold_ms\":%d,\"tasks\":%d}", hold_ms, n);
        bench_emit(o, "lifetime", LIFE_ENGINE, params, "bytes_per_task", &bytes, "bytes");
        bench_emit(o, "lifetime", LIFE_ENGINE, params, "resume_p50_ns", &p50, "ns");
        bench_emit(o, "lifetime", LIFE_ENGINE, params, "resume_p99_ns", &p99, "ns");
#if defined(RTAC_ENGINE_TASKLET)
        /* Stack bytes copied back per resume (evicted tasklets). */
        bench_emit(o, "lifetime", LIFE_ENGINE, params, "bytes_copied_per_resume", &copied, "bytes");
#endif
    }
}

#if defined(RTAC_ENGINE_ASYNC1) && !defined(LIFETIME_BUILDER_POOL)
/* Both async1 builds, from the task builder's (the pool build's is weak:
 * linked in with rtac only). */
void lifetime_async1_pool(const bench_opts *o) __attribute__((weak));
void bench_lifetime_async1(const bench_opts *o)
{
    lifetime_async1_task(o);
    if (lifetime_async1_pool)
        lifetime_async1_pool(o);
}
#endif
