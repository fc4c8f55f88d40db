/*
 * The depth benchmark (WORKLOADS.md section 2): d async frames live, R
 * yields at the bottom (ns_per_roundtrip); fresh chains each suspended once
 * (ns_per_chain); memory of roots parked at depth 10 (bytes_per_task).
 * depth.async2.c holds the async functions, built by rtac for the tasklet
 * and cont engines; depth_<engine>.c are the drivers. depth_cont.c keeps
 * the hand-lowered cont chain as the reference the generated one is
 * measured against, paired (issue 12's 1.1x acceptance check).
 */
#ifndef RTA_BENCH_DEPTH_H
#define RTA_BENCH_DEPTH_H

#include <rta.h>

#include "../common/bench.h"
#include "../common/workloads.h"

typedef struct depth_run {
    int depth, yields;
    uint64_t ns;
    int chains;       /* full-chain series: chains built, suspended once, completed */
    uint64_t full_ns; /* time of all of them */
} depth_run;

/* Roots parked at depth 10 on gates[i], started by a task on the worker
 * (park): ts[i] their tasks, or vts[i] their value tasks where the build's
 * roots return those (async1's pool builder). */
typedef struct depth_park {
    int n;
    rta_task **gates, **ts;
    rta_vtask *vts;
} depth_park;

/* One engine's build of depth.async2.c: runs r->depth frames with r->yields
 * yields at the bottom (or, r->chains > 0, r->chains fresh chains) in a task
 * on the caller's runtime and returns the chain's value (depth, or depth *
 * chains); starts a root parked at depth 10 on gate (the caller owns the
 * task); starts p->n roots from a task on the worker (park) and returns
 * once that task has: once all are parked where a start runs the root until
 * it parks (async1: the method's stub; used by depth_async1.c, tasklet and
 * cont queue their roots). Weak: absent without rtac. */
typedef struct depth_engine {
    int64_t (*run)(depth_run *r);
    rta_task *(*hold)(rta_task *gate);
    void (*park)(depth_park *p);
} depth_engine;
extern const depth_engine depth_tasklet __attribute__((weak));
extern const depth_engine depth_cont __attribute__((weak));
extern const depth_engine depth_async1_task __attribute__((weak));
extern const depth_engine depth_async1_pool __attribute__((weak));

#endif
