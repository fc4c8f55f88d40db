/*
 * The scheduler-yield benchmark for every engine from one async2 source
 * (issue 12): rtac builds this file for tasklet, cont and async1
 * (bench/CMakeLists.txt), and each build defines that engine's
 * bench_yield_<engine> (driver.h), run by main.c. yielder's loop of
 * rta_yield() is plain C on a tasklet, RTA_CONT_YIELD() in a cont function
 * and an await of the yield awaiter in an async1 method (default task
 * builder: "async1-task").
 */
#include <rta.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "yield.h"

#if defined(RTAC_ENGINE_TASKLET)
#define YIELD_BENCH bench_yield_tasklet
#define YIELD_ENGINE "tasklet"
#elif defined(RTAC_ENGINE_CONT)
#define YIELD_BENCH bench_yield_cont
#define YIELD_ENGINE "cont"
#else
#define YIELD_BENCH bench_yield_async1
#define YIELD_ENGINE "async1-task"
#endif

static struct {
    int tasks;
    long each;
    _Atomic int started, finished;
    _Atomic int go;
    uint64_t t0, t1;
    int workers;
    char params[96];
} y;

static RTA_ASYNC int64_t yielder(void *arg)
{
    (void)arg;
    if (atomic_fetch_add(&y.started, 1) + 1 == y.tasks) {
        if (y.workers == 1)
            BENCH_CG_BEGIN();
        y.t0 = bench_now_ns();
        atomic_store(&y.go, 1);
    }
    while (!atomic_load_explicit(&y.go, memory_order_relaxed))
        rta_yield();
    for (long i = 0; i < y.each; i++)
        rta_yield();
    if (atomic_fetch_add(&y.finished, 1) + 1 == y.tasks) {
        y.t1 = bench_now_ns();
        if (y.workers == 1)
            BENCH_CG_END("yield", YIELD_ENGINE, y.params, "instructions_per_yield",
                         (long long)y.tasks * y.each + y.tasks - 1);
    }
    return 0;
}

/* One run in a fresh runtime; returns ns per yield. */
static double run_once(const bench_opts *o, int tasks, unsigned workers)
{
    rta_config cfg = {.workers = workers};
    if (rta_init(&cfg) != 0) {
        fprintf(stderr, "bench_yield " YIELD_ENGINE ": rta_init failed\n");
        exit(1);
    }
    y.tasks = tasks;
    y.each = yield_each(o, tasks);
    y.workers = (int)rta_worker_count();
    atomic_store(&y.started, 0);
    atomic_store(&y.finished, 0);
    atomic_store(&y.go, 0);
    rta_task **t = malloc(sizeof *t * (size_t)tasks);
    if (!t) {
        fprintf(stderr, "bench_yield " YIELD_ENGINE ": out of memory\n");
        exit(1);
    }
    for (int i = 0; i < tasks; i++) {
        t[i] = rta_spawn(yielder, NULL);
        if (!t[i]) {
            fprintf(stderr, "bench_yield " YIELD_ENGINE ": rta_spawn failed at task %d\n", i);
            exit(1);
        }
    }
    for (int i = 0; i < tasks; i++) {
        rta_error *e = NULL;
        rta_task_wait(t[i], &e);
        if (e) {
            fprintf(stderr, "bench_yield " YIELD_ENGINE ": task failed: %s\n", rta_error_message(e));
            exit(1);
        }
        rta_task_release(t[i]);
    }
    free(t);
    rta_shutdown();
    if (atomic_load(&y.finished) != tasks) {
        fprintf(stderr, "bench_yield " YIELD_ENGINE ": %d of %d tasks finished\n", atomic_load(&y.finished),
                tasks);
        exit(1);
    }
    return (double)bench_timed(y.t1 - y.t0) / (double)yield_ops(o, tasks);
}

void YIELD_BENCH(const bench_opts *o)
{
    if (!bench_want(o, YIELD_ENGINE))
        return;
    for (int w = 0; w < 2; w++) {
        unsigned workers = w == 0 ? 1 : 0; /* 0: every online CPU */
        for (int k = 0; k < YIELD_SIZES; k++) {
            int tasks = yield_tasks[k];
            snprintf(y.params, sizeof y.params, "{\"tasks\":%d,\"workers\":\"%s\"}", tasks,
                     w == 0 ? "one" : "all");
            bench_sample s = {0};
            for (int r = 0; r < o->runs; r++)
                BENCH_REPEAT
            bench_sample_add(&s, run_once(o, tasks, workers));
            bench_emit(o, "yield", YIELD_ENGINE, y.params, "ns_per_yield", &s, "ns");
        }
    }
}
