/*
 * The eh benchmark (WORKLOADS.md section 6) for every engine from one async2
 * source (issue 12): rtac builds this file for tasklet, cont and async1
 * (bench/CMakeLists.txt); each build defines its engine's bench_eh_<engine>
 * (driver.h), run by main.c. thrower(d) awaits thrower(d - 1); the bottom
 * one throws (after a yield when suspend = 1); the root catches in RTA_TRY.
 * What the throw costs is the engine's (the "mechanism" of the rows):
 *   tasklet  setjmp: longjmp over d native frames to the root's handler.
 *   cont     cont-unwind: without suspension a longjmp over the d native
 *            frames; with one, the dispatcher walks the chain of linked
 *            continuations outwards (freeing the frames, adding their names
 *            to the trace) to the root's, whose await sits in the try block.
 *   async1   async1-catch (default task builder, "async1-task"): without
 *            suspension every machine is on the stack and the error unwinds
 *            with longjmp to the root's handler; with suspension the chain is
 *            d heap boxes: the bottom's task faults, each awaiting method is
 *            resumed, rethrows a copy of the error when it takes the result
 *            and faults its own task in turn, up to the root.
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/bench.h"
#include "../common/workloads.h"

/* gcc counts a recursion whose only other exit is a noreturn call as infinite. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Winfinite-recursion"
#endif

/* EH_FRAME / EH_KEEP: for the tasklet build, where the chain is plain C,
 * every level a real frame (no inlining, no folding into a loop). */
#if defined(RTAC_ENGINE_TASKLET)
#define EH_BENCH bench_eh_tasklet
#define EH_ENGINE "tasklet"
#define EH_MECHANISM "setjmp"
#define EH_FRAME __attribute__((noinline))
#define EH_KEEP(v) bench_sink(v)
#elif defined(RTAC_ENGINE_CONT)
#define EH_BENCH bench_eh_cont
#define EH_ENGINE "cont"
#define EH_MECHANISM "cont-unwind"
#else
#define EH_BENCH bench_eh_async1
#define EH_ENGINE "async1-task"
#define EH_MECHANISM "async1-catch"
#endif
#ifndef EH_FRAME
#define EH_FRAME
#define EH_KEEP(v) ((void)0)
#endif

EH_FRAME static RTA_ASYNC int64_t thrower(int64_t d, int64_t suspend)
{
    if (d > 1) {
        int64_t v = thrower(d - 1, suspend);
        EH_KEEP(v);
        return v + 1;
    }
    if (suspend)
        rta_yield();
    rta_throw(RTA_EUSER, "thrown at the bottom");
}

typedef struct eh_run {
    int depth, suspend, iters;
    uint64_t ns;
    int caught;
} eh_run;

static RTA_ASYNC int64_t eh_root(void *arg)
{
    eh_run *r = arg;
    /* Onto the worker (untimed): an async1 method starts on the caller's
     * stack, which here is the main thread; the other engines are there
     * already. */
    rta_yield();
    uint64_t t0 = bench_now_ns();
    for (int64_t i = 0; i < r->iters; i++) {
        RTA_TRY {
            int64_t v = thrower(r->depth, r->suspend);
            bench_sink(v);
        }
        RTA_CATCH(e) {
            (void)e;
            r->caught++;
        }
        RTA_END_TRY;
    }
    r->ns = bench_since(t0);
    return 0;
}

void EH_BENCH(const bench_opts *o)
{
    if (!bench_want(o, EH_ENGINE))
        return;
    if (rta_init(&(rta_config){.workers = 1}) != 0) {
        fprintf(stderr, "eh " EH_ENGINE ": rta_init failed\n");
        exit(1);
    }
    static const int depths[] = {1, 10, 64};
    int iters = wl_eh_iters(o->quick);
    for (int suspend = 0; suspend <= 1; suspend++) {
        for (size_t i = 0; i < 3; i++) {
            bench_sample s = {0};
            for (int run = 0; run < o->runs; run++)
                BENCH_REPEAT
                {
                    eh_run r = {.depth = depths[i], .suspend = suspend, .iters = iters};
                    rta_task *t = rta_spawn(eh_root, &r);
                    rta_error *e = NULL;
                    rta_task_wait(t, &e);
                    if (e || r.caught != iters) {
                        fprintf(stderr, "eh " EH_ENGINE ": %s (caught %d of %d)\n",
                                e ? rta_error_message(e) : "wrong count", r.caught, iters);
                        exit(1);
                    }
                    rta_task_release(t);
                    bench_sample_add(&s, (double)r.ns / iters);
                }
            char params[96];
            snprintf(params, sizeof params,
                     "{\"depth\":%d,\"mechanism\":\"" EH_MECHANISM "\",\"suspend\":%d}", depths[i], suspend);
            bench_emit(o, "eh", EH_ENGINE, params, "ns_per_throw", &s, "ns");
        }
    }
    rta_shutdown();
}
