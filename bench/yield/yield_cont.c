/* The cont engine's scheduler yield: RTA_CONT_YIELD() in a cont function's loop. */
#include <rta.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "yield.h"

static struct {
    int tasks;
    long each;
    _Atomic int started, finished;
    _Atomic int go;
    uint64_t t0, t1;
    int workers;
    char params[96];
} y;

RTA_CONT_FN(yielder, void *, arg)
{
    RTA_CONT_FRAME(yielder, long i;);
    (void)arg;
    if (atomic_fetch_add(&y.started, 1) + 1 == y.tasks) {
        if (y.workers == 1)
            BENCH_CG_BEGIN();
        y.t0 = bench_now_ns();
        atomic_store(&y.go, 1);
    }
    while (!atomic_load_explicit(&y.go, memory_order_relaxed))
        RTA_CONT_YIELD();
    for (F.i = 0; F.i < y.each; F.i++)
        RTA_CONT_YIELD();
    if (atomic_fetch_add(&y.finished, 1) + 1 == y.tasks) {
        y.t1 = bench_now_ns();
        if (y.workers == 1)
            BENCH_CG_END("yield", "cont", y.params, "instructions_per_yield",
                         (long long)y.tasks * y.each + y.tasks - 1);
    }
    RTA_CONT_RETURN(0);
}

static double run_once(const bench_opts *o, int tasks, unsigned workers)
{
    rta_config cfg = {.workers = workers};
    if (rta_init(&cfg) != 0) {
        fprintf(stderr, "bench_yield_cont: rta_init failed\n");
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
        fprintf(stderr, "bench_yield_cont: out of memory\n");
        exit(1);
    }
    for (int i = 0; i < tasks; i++) {
        t[i] = rta_cont_spawn(yielder, NULL);
        if (!t[i]) {
            fprintf(stderr, "bench_yield_cont: rta_cont_spawn failed at task %d\n", i);
            exit(1);
        }
    }
    for (int i = 0; i < tasks; i++) {
        rta_task_wait(t[i], NULL);
        rta_task_release(t[i]);
    }
    free(t);
    rta_shutdown();
    if (atomic_load(&y.finished) != tasks) {
        fprintf(stderr, "bench_yield_cont: %d of %d tasks finished\n", atomic_load(&y.finished), tasks);
        exit(1);
    }
    return (double)bench_timed(y.t1 - y.t0) / (double)yield_ops(o, tasks);
}

void bench_yield_cont(const bench_opts *o)
{
    for (int w = 0; w < 2; w++) {
        unsigned workers = w == 0 ? 1 : 0;
        for (int k = 0; k < YIELD_SIZES; k++) {
            int tasks = yield_tasks[k];
            snprintf(y.params, sizeof y.params, "{\"tasks\":%d,\"workers\":\"%s\"}", tasks,
                     w == 0 ? "one" : "all");
            bench_sample s = {0};
            for (int r = 0; r < o->runs; r++)
                BENCH_REPEAT
            bench_sample_add(&s, run_once(o, tasks, workers));
            bench_emit(o, "yield", "cont", y.params, "ns_per_yield", &s, "ns");
        }
    }
}
