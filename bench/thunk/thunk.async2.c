/*
 * The thunk benchmark (WORKLOADS.md section 4) for every engine from one
 * async2 source (issue 12): rtac builds this file for tasklet, cont and
 * async1, async1 twice (default task builder "async1-task", and
 * THUNK_BUILDER_POOL: the pooling value-task builder with 64 boxes,
 * "async1-pool"; bench/CMakeLists.txt). Both directions:
 *  - the task-returning entry into an async2 function that does nothing
 *    (nop), called from non-async code (the peers' row) and from async code;
 *  - an await of a task-returning function that completed at once.
 * What the task-returning entry is belongs to the engine, and is what this
 * benchmark measures, so it is the one piece written per engine (the glue
 * below, marked): a new tasklet (rta_spawn), a cont root run on the calling
 * thread (rta_cont_call), or an async1 method's stub (its state machine runs
 * on the caller's stack and completes at once; the task builder hands out a
 * cached completed task for 0, the pooling one an immediate value task).
 */
#include <rta.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/bench.h"
#include "../common/cg.h"
#include "../common/workloads.h"

#if defined(RTAC_ENGINE_TASKLET)
#define THUNK_ENGINE "tasklet"
#define THUNK_BENCH bench_thunk_tasklet
#elif defined(RTAC_ENGINE_CONT)
#define THUNK_ENGINE "cont"
#define THUNK_BENCH bench_thunk_cont
#elif defined(THUNK_BUILDER_POOL)
#define THUNK_ENGINE "async1-pool"
#define THUNK_BENCH thunk_async1_pool
#define THUNK_ATTRS RTA_BUILDER(pool, 64)
#else
#define THUNK_ENGINE "async1-task"
#define THUNK_BENCH thunk_async1_task
#endif
#ifndef THUNK_ATTRS
#define THUNK_ATTRS
#endif

THUNK_ATTRS static RTA_ASYNC int64_t nop(void *arg)
{
    (void)arg;
    return 0;
}

/* The task-returning entry as rtac lowers rta_spawn: a new tasklet on the
 * worker (from main: cross-thread, a futex wake each way), or the async1
 * method's stub (rta_spawn calls it; the task builder's task as it is). */
__attribute__((unused)) /* the cont build calls its glue instead */
static rta_task *
spawn_nop(void)
{
    return rta_spawn(nop, NULL);
}

/* ---- engine glue: the cont and async1-pool entries (see the top). The
 * engine macros hide it from rtac, which would refuse the lowered names. */
#if defined(RTAC_ENGINE_CONT)
/* rta_cont_call runs nop (rtac's cont function of that name, docs/rtac.md)
 * on the calling thread at once; it returns without suspending, so the thunk
 * hands back a completed task, its only allocation. rta_spawn would queue
 * it on the worker instead. */
static rta_task *cont_call_nop(void)
{
    rta_task *t = rta_cont_call(nop, NULL);
    if (t && rta_task_status(t) != RTA_SUCCEEDED) {
        fprintf(stderr, "thunk cont: nop did not complete at once\n");
        exit(1);
    }
    return t;
}
#define THUNK_CALL cont_call_nop
#define THUNK_MAIN_NOTE                                                                                      \
    "rta_cont_call+rta_task_wait+release from main: nop runs on the calling thread, completed task returned"
#elif defined(RTAC_ENGINE_ASYNC1) && defined(THUNK_BUILDER_POOL)
/* From main the value task of nop's stub (rtac1__nop, docs/rtac.md) is
 * waited for as it is; rta_spawn would make it a task. */
#define THUNK_MAIN_VTASK() rta_vtask_wait(rtac1__nop(NULL), NULL)
#define THUNK_MAIN_NOTE                                                                                      \
    "call + rta_vtask_wait from main: the machine runs on the caller's stack and completes at once"
#elif defined(RTAC_ENGINE_ASYNC1)
#define THUNK_MAIN_NOTE                                                                                      \
    "call + rta_task_wait + release from main: the machine runs on the caller's stack and completes at once"
#else
#define THUNK_MAIN_NOTE "rta_spawn+rta_task_wait from main, cross-thread"
#define THUNK_MAIN_RUNS 3 /* microseconds a call: at most 3 runs keep the full mode short */
#endif
#ifndef THUNK_CALL
#define THUNK_CALL spawn_nop
#endif
#ifndef THUNK_MAIN_RUNS
#define THUNK_MAIN_RUNS 1000000
#endif
/* async1 measures the task-returning entry from async code as the await of
 * a call (call_loop), the others as a thunk's task awaited (thunk_loop). */
#if defined(RTAC_ENGINE_ASYNC1)
#define THUNK_BY_CALL 1
#else
#define THUNK_BY_CALL 0
#endif

/* A task-returning function that completes synchronously. */
__attribute__((noinline)) static rta_task *completed_nop(void)
{
    return rta_task_from_value(0);
}

/* A timed region's instruction count under callgrind (bench/common/cg.h,
 * bench/report/callgrind.py): they do not move with the machine's load. */
static void thunk_cg_end(const char *direction, int calls)
{
    char p[96];
    if (direction)
        snprintf(p, sizeof p, "{\"calls\":%d,\"direction\":\"%s\",\"from\":\"async\"}", calls, direction);
    else
        snprintf(p, sizeof p, "{\"calls\":%d,\"from\":\"main\"}", calls);
    BENCH_CG_END("thunk", THUNK_ENGINE, p, "instructions_per_call", calls);
    (void)p;
}

typedef struct loop {
    int calls;
    uint64_t ns, allocs;
    int bad;
} loop;

/* Each loop first yields, untimed: an async1 method starts on the calling
 * thread, and this moves its loop onto the worker, where the other engines
 * start theirs. */

/* The task-returning entry (tasklet: rta_spawn, cont: rta_cont_call) from
 * async code, its task awaited and released. */
static RTA_ASYNC int64_t thunk_loop(void *arg)
{
    loop *l = arg;
    rta_yield();
    uint64_t a0 = bench_allocs(), t0 = bench_now_ns();
    BENCH_CG_BEGIN();
    for (int i = 0; i < l->calls; i++) {
        rta_task *t = THUNK_CALL();
        l->bad |= rta_await(t) != 0;
        rta_task_release(t);
    }
    thunk_cg_end("task_returning", l->calls);
    l->ns = bench_since(t0);
    l->allocs = bench_allocs() - a0;
    return 0;
}

/* async1: calling the method is its task-returning entry, and awaiting that
 * call awaits the task (value task under the pool builder) it returned. */
static RTA_ASYNC int64_t call_loop(void *arg)
{
    loop *l = arg;
    rta_yield();
    uint64_t a0 = bench_allocs(), t0 = bench_now_ns();
    BENCH_CG_BEGIN();
    for (int i = 0; i < l->calls; i++)
        l->bad |= nop(NULL) != 0;
    thunk_cg_end("task_returning", l->calls);
    l->ns = bench_since(t0);
    l->allocs = bench_allocs() - a0;
    return 0;
}

static RTA_ASYNC int64_t await_completed_loop(void *arg)
{
    loop *l = arg;
    rta_yield();
    uint64_t a0 = bench_allocs(), t0 = bench_now_ns();
    BENCH_CG_BEGIN();
    for (int i = 0; i < l->calls; i++) {
        rta_task *t = completed_nop();
        l->bad |= rta_await(t) != 0;
        rta_task_release(t);
    }
    thunk_cg_end("await_task", l->calls);
    l->ns = bench_since(t0);
    l->allocs = bench_allocs() - a0;
    return 0;
}

static RTA_ASYNC int64_t counted_nop(void *arg)
{
    atomic_fetch_add_explicit((_Atomic int *)arg, 1, memory_order_relaxed);
    return 0;
}

/* Fire-and-forget: spawn empty tasks in batches of 256 and release them at
 * once, then yield until they have run. Per task: create, run to completion,
 * destroy (the analogue of a fiber's create/run/destroy), no parent waiting.
 * A tasklet row (the peers' fibers), so only that build runs it. */
static RTA_ASYNC int64_t spawn_release_loop(void *arg)
{
    loop *l = arg;
    _Atomic int ran = 0;
    rta_yield();
    uint64_t a0 = bench_allocs(), t0 = bench_now_ns();
    for (int done = 0; done < l->calls;) {
        int batch = l->calls - done < 256 ? l->calls - done : 256;
        for (int i = 0; i < batch; i++)
            rta_task_release(rta_spawn(counted_nop, &ran));
        done += batch;
        while (atomic_load_explicit(&ran, memory_order_relaxed) < done)
            rta_yield();
    }
    l->ns = bench_since(t0);
    l->allocs = bench_allocs() - a0;
    return 0;
}

static void fail(const char *what)
{
    fprintf(stderr, "thunk " THUNK_ENGINE ": %s\n", what);
    exit(1);
}

static void emit(const bench_opts *o, const char *params, bench_sample *ns, bench_sample *al)
{
    bench_emit(o, "thunk", THUNK_ENGINE, params, "ns_per_call", ns, "ns");
    bench_emit(o, "thunk", THUNK_ENGINE, params, "allocs_per_call", al, "allocs");
}

/* The entry from non-async code: calls of it, each waited for and released;
 * non-zero when a value was wrong. */
static int from_main(int calls)
{
    int bad = 0;
    for (int i = 0; i < calls; i++) {
#if defined(THUNK_MAIN_VTASK)
        bad |= THUNK_MAIN_VTASK() != 0;
#else
        rta_task *t = THUNK_CALL();
        bad |= rta_task_wait(t, NULL) != 0;
        rta_task_release(t);
#endif
    }
    return bad;
}

static void run_loop(int k, loop *l)
{
    rta_task *t = k == 0   ? (THUNK_BY_CALL ? rta_spawn(call_loop, l) : rta_spawn(thunk_loop, l))
                  : k == 1 ? rta_spawn(await_completed_loop, l)
                           : rta_spawn(spawn_release_loop, l);
    rta_error *e = NULL;
    rta_task_wait(t, &e);
    if (e)
        fail(rta_error_message(e));
    if (l->bad)
        fail("wrong result from async");
    rta_task_release(t);
}

void THUNK_BENCH(const bench_opts *o)
{
    if (!bench_want(o, THUNK_ENGINE))
        return;
    if (rta_init(&(rta_config){.workers = 1}) != 0)
        fail("rta_init failed");
    int calls = wl_thunk_calls(o->quick);
    char params[160];

    bench_sample ns = {0}, al = {0};
    for (int run = 0; run < (o->runs < THUNK_MAIN_RUNS ? o->runs : THUNK_MAIN_RUNS); run++)
        BENCH_REPEAT
        {
            uint64_t a0 = bench_allocs(), t0 = bench_now_ns();
            BENCH_CG_BEGIN();
            int bad = from_main(calls);
            thunk_cg_end(NULL, calls);
            bench_sample_add(&ns, (double)bench_since(t0) / calls);
            bench_sample_add(&al, (double)(bench_allocs() - a0) / calls);
            if (bad)
                fail("wrong result from main");
        }
    snprintf(params, sizeof params, "{\"calls\":%d,\"note\":\"" THUNK_MAIN_NOTE "\"}", calls);
    emit(o, params, &ns, &al);

    /* From async code. await_task does not involve async1's builder: one
     * row for async1 (the task builder's); spawn_run_release: tasklet only. */
    const char *names[] = {"task_returning", "await_task", "spawn_run_release"};
#if defined(RTAC_ENGINE_TASKLET)
    int kinds = 3;
#elif defined(RTAC_ENGINE_ASYNC1) && defined(THUNK_BUILDER_POOL)
    int kinds = 1;
#else
    int kinds = 2;
#endif
    for (int k = 0; k < kinds; k++) {
        bench_sample n2 = {0}, a2 = {0};
        for (int run = 0; run < o->runs; run++)
            BENCH_REPEAT
            {
                loop l = {.calls = calls};
                run_loop(k, &l);
                bench_sample_add(&n2, (double)l.ns / calls);
                bench_sample_add(&a2, (double)l.allocs / calls);
            }
        snprintf(params, sizeof params, "{\"calls\":%d,\"direction\":\"%s\",\"from\":\"async\"}", calls,
                 names[k]);
        emit(o, params, &n2, &a2);
    }
    rta_shutdown();
}

#if defined(RTAC_ENGINE_ASYNC1) && !defined(THUNK_BUILDER_POOL)
/* Both async1 builds, from the task builder's (the pool build's is weak:
 * linked in with rtac only). */
void thunk_async1_pool(const bench_opts *o) __attribute__((weak));
void bench_thunk_async1(const bench_opts *o)
{
    thunk_async1_task(o);
    if (thunk_async1_pool)
        thunk_async1_pool(o);
}
#endif
