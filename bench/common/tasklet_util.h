/* Helpers for the tasklet engine's benchmark files: one worker, one root task. */
#ifndef RTA_BENCH_TASKLET_UTIL_H
#define RTA_BENCH_TASKLET_UTIL_H

#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

static inline void tasklet_bench_init(void)
{
    rta_config cfg = {.workers = 1};
    if (rta_init(&cfg) != 0) {
        fprintf(stderr, "benchmark: rta_init failed\n");
        exit(1);
    }
}

/* Runs fn(arg) as a task to completion from this (non-async) thread. */
static inline int64_t tasklet_bench_run(rta_fn fn, void *arg)
{
    rta_task *t = rta_spawn(fn, arg);
    rta_error *e = NULL;
    int64_t v = rta_task_wait(t, &e);
    if (e) {
        fprintf(stderr, "benchmark task failed: %s\n", rta_error_message(e));
        exit(1);
    }
    rta_task_release(t);
    return v;
}

#endif
