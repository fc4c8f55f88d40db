/*
 * The scheduler-yield micro benchmark (issue 21): T tasks each yield in a
 * loop through the scheduler's run queue, T = 1, 2, 100, 1,000, 10,000, on
 * one worker and on all workers. Figure: ns_per_yield = elapsed / yields
 * (all workers: the whole pool's throughput), and, under callgrind,
 * instructions_per_yield (one worker).
 *
 * Timing starts when the last task has arrived at a start barrier (tasks that
 * arrived earlier wait in it by yielding) and ends when the last task
 * finishes. At the start every other task is parked in one barrier yield
 * that it completes inside the timed region, so the region holds
 * T * yields_each + T - 1 yields (exact on one worker; on several a task may
 * poll the barrier once more, under 1 per task).
 * The single-threaded peers (bench/peers, "yield") queue all T tasks first
 * and time their loop until it drains: T * yields_each yields.
 */
#ifndef RTA_BENCH_YIELD_H
#define RTA_BENCH_YIELD_H

#include "../common/bench.h"
#include "../common/cg.h"
#include "../common/workloads.h"

#define yield_tasks wl_yield_tasks
#define YIELD_SIZES WL_YIELD_SIZES

/* Yields each task makes: the total is the same for every T. */
static inline long yield_each(const bench_opts *o, int tasks)
{
    return wl_yield_each(o->quick, tasks);
}

static inline long yield_ops(const bench_opts *o, int tasks)
{
    return (long)tasks * yield_each(o, tasks) + tasks - 1;
}

#endif
