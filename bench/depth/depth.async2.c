/*
 * depth's async functions for every engine from one async2 source: rtac
 * builds it for the tasklet and the cont engine (bench/CMakeLists.txt); each
 * build defines depth_<engine> (depth.h), which the drivers time.
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/cg.h"
#include "depth.h"

/* DEPTH_FRAME: for the tasklet build, where the chain is plain C, every
 * level a real frame (no inlining, no folding the recursion into a loop);
 * for async1's pool build, the builder marker (rtac reads it).
 * DEPTH_START_YIELD: an async1 method starts on the caller's stack (rta_spawn
 * calls its stub), so its roots first yield once, onto the worker, where the
 * other engines' roots start (the compiler folds the test away for them). */
#if defined(RTAC_ENGINE_TASKLET)
#define DEPTH_ENGINE depth_tasklet
#define DEPTH_FRAME __attribute__((noinline))
#define DEPTH_KEEP(v) bench_sink(v)
#elif defined(RTAC_ENGINE_CONT)
#define DEPTH_ENGINE depth_cont
#elif defined(DEPTH_BUILDER_POOL)
#define DEPTH_ENGINE depth_async1_pool
#define DEPTH_FRAME RTA_BUILDER(pool, 64)
#define DEPTH_START_YIELD 1
#else
#define DEPTH_ENGINE depth_async1_task
#define DEPTH_START_YIELD 1
#endif
#ifndef DEPTH_FRAME
#define DEPTH_FRAME
#endif
#if defined(RTAC_ENGINE_TASKLET)
#define DEPTH_NAME "tasklet"
#elif defined(RTAC_ENGINE_CONT)
#define DEPTH_NAME "cont"
#elif defined(DEPTH_BUILDER_POOL)
#define DEPTH_NAME "async1-pool"
#else
#define DEPTH_NAME "async1-task"
#endif
#ifndef DEPTH_KEEP
#define DEPTH_KEEP(v) ((void)0)
#endif
#ifndef DEPTH_START_YIELD
#define DEPTH_START_YIELD 0
#endif

/* The yield loop's instruction count under callgrind (bench/common/cg.h,
 * bench/report/callgrind.py): they do not move with the machine's load.
 * Out of line: its buffer must not widen chain()'s frame, of which the
 * tasklet build keeps 1,000 on one 256 KiB stack. */
__attribute__((noinline)) static void depth_cg_end(const depth_run *r)
{
    char p[64];
    snprintf(p, sizeof p, "{\"depth\":%d,\"yields\":%d}", r->depth, r->yields);
    BENCH_CG_END("depth", DEPTH_NAME, p, "instructions_per_roundtrip", r->yields);
    (void)p;
}

/* The recursion is the hot path, and the hint lays it out first, right at
 * the function's start, whatever the leaf holds: behind the leaf (gcc's
 * choice without it) its place moved with the leaf's size, and so did the
 * tasklet chain's time per frame. 043753b added the callgrind brackets to
 * the leaf and the same recursion code then took ~0.45 ns more per frame
 * (1,000 chains of 100: 234 -> 279 ns, pinned, stable to 1%; the
 * bisection between 9266701 and daa9e8b: docs/data/depth-chain-bisect.txt);
 * the paired check against 9266701 had flagged the row in every round. */
DEPTH_FRAME static RTA_ASYNC int64_t chain(int64_t d, depth_run *r)
{
    if (__builtin_expect(d > 1, 1)) {
        int64_t v = chain(d - 1, r);
        DEPTH_KEEP(v);
        return v + 1;
    }
    uint64_t t0 = bench_now_ns();
    if (!r->chains)
        BENCH_CG_BEGIN();
    for (int i = 0; i < r->yields; i++)
        rta_yield();
    if (!r->chains)
        depth_cg_end(r);
    /* the full shape times whole chains (full_ns), not this loop */
    r->ns = r->chains ? bench_now_ns() - t0 : bench_since(t0);
    return 1;
}

DEPTH_FRAME static RTA_ASYNC int64_t depth_root(void *arg)
{
    depth_run *r = arg;
    if (DEPTH_START_YIELD)
        rta_yield();
    return chain(r->depth, r);
}

/* The full shape (issue 9): r->chains fresh chains of r->depth frames, each
 * suspended once at its leaf (r->yields = 1) and completed. */
DEPTH_FRAME static RTA_ASYNC int64_t full_root(void *arg)
{
    depth_run *r = arg;
    if (DEPTH_START_YIELD)
        rta_yield();
    int64_t s = 0;
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < r->chains; i++)
        s += chain(r->depth, r);
    r->full_ns = bench_since(t0);
    return s;
}

/* ---- roots parked at depth 10 (bytes_per_task) ---- */

DEPTH_FRAME static RTA_ASYNC int64_t hold_chain(int64_t d, rta_task *gate)
{
    if (d > 1) {
        int64_t v = hold_chain(d - 1, gate);
        DEPTH_KEEP(v);
        return v + 1;
    }
    return rta_await(gate);
}

DEPTH_FRAME static RTA_ASYNC int64_t hold_root(void *gate)
{
    return hold_chain(10, gate);
}

static int64_t run(depth_run *r)
{
    rta_task *t = r->chains ? rta_spawn(full_root, r) : rta_spawn(depth_root, r);
    rta_error *e = NULL;
    int64_t v = rta_task_wait(t, &e);
    if (e) {
        fprintf(stderr, "depth: task failed: %s\n", rta_error_message(e));
        exit(1);
    }
    rta_task_release(t);
    return v;
}

static rta_task *hold(rta_task *gate)
{
    return rta_spawn(hold_root, gate);
}

/* ---- engine glue: a root parked by the parker. async1-pool's is its stub
 * (rtac1__hold_root, docs/rtac.md) called directly, its value task kept as
 * it is (rta_spawn would make a task of it, an allocation per root the
 * figure would count); hidden from rtac, which would refuse the name. */
static void start_hold(depth_park *p, int i)
{
#if defined(RTAC_ENGINE_ASYNC1) && defined(DEPTH_BUILDER_POOL)
    p->vts[i] = rtac1__hold_root(p->gates[i]);
#else
    p->ts[i] = rta_spawn(hold_root, p->gates[i]);
#endif
}

static RTA_ASYNC int64_t parker(void *arg)
{
    depth_park *p = arg;
    if (DEPTH_START_YIELD)
        rta_yield();
    for (int i = 0; i < p->n; i++)
        start_hold(p, i);
    return 0;
}

static void park(depth_park *p)
{
    rta_task *t = rta_spawn(parker, p);
    rta_error *e = NULL;
    rta_task_wait(t, &e);
    if (e) {
        fprintf(stderr, "depth: parker failed: %s\n", rta_error_message(e));
        exit(1);
    }
    rta_task_release(t);
}

const depth_engine DEPTH_ENGINE = {run, hold, park};
