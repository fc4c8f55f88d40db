/*
 * thunk for the cont engine (WORKLOADS.md section 4), both directions:
 *  - the task-returning thunk into a cont function that does nothing:
 *    rta_cont_call(nop) runs nop on the calling thread at once, it returns
 *    without suspending, so the thunk hands back a completed task (its only
 *    allocation); then the value is taken and the task released. Called from
 *    non-async code (main thread: the peers' row) and from async code (a cont
 *    root on the worker, which awaits the completed task);
 *  - a cont function awaiting a task-returning function that completed at
 *    once (rta_task_from_value, as the tasklet file does): RTA_CONT_AWAIT_TASK
 *    sees it completed and takes the value without suspending.
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/bench.h"
#include "../common/workloads.h"

RTA_CONT_FN(nop, void *, arg)
{
    RTA_CONT_FRAME(nop, char none;);
    (void)arg;
    RTA_CONT_RETURN(0);
}

typedef struct loop {
    int calls;
    uint64_t ns, allocs;
    int bad;
} loop;

RTA_CONT_FN(thunk_loop, void *, arg)
{
    RTA_CONT_FRAME(thunk_loop, loop * l; int64_t i; uint64_t a0; uint64_t t0; rta_task * t;);
    F.l = arg;
    F.a0 = bench_allocs();
    F.t0 = bench_now_ns();
    for (F.i = 0; F.i < F.l->calls; F.i++) {
        int64_t v;
        F.t = rta_cont_call(nop, NULL);
        RTA_CONT_AWAIT_TASK(v, F.t);
        F.l->bad |= v != 0;
        rta_task_release(F.t);
    }
    F.l->ns = bench_since(F.t0);
    F.l->allocs = bench_allocs() - F.a0;
    RTA_CONT_RETURN(0);
}

/* A task-returning function that completes synchronously. */
__attribute__((noinline)) static rta_task *completed_nop(void)
{
    return rta_task_from_value(0);
}

RTA_CONT_FN(await_completed_loop, void *, arg)
{
    RTA_CONT_FRAME(await_completed_loop, loop * l; int64_t i; uint64_t a0; uint64_t t0; rta_task * t;);
    F.l = arg;
    F.a0 = bench_allocs();
    F.t0 = bench_now_ns();
    for (F.i = 0; F.i < F.l->calls; F.i++) {
        int64_t v;
        F.t = completed_nop();
        RTA_CONT_AWAIT_TASK(v, F.t);
        F.l->bad |= v != 0;
        rta_task_release(F.t);
    }
    F.l->ns = bench_since(F.t0);
    F.l->allocs = bench_allocs() - F.a0;
    RTA_CONT_RETURN(0);
}

static void emit(const bench_opts *o, const char *params, bench_sample *ns, bench_sample *al)
{
    bench_emit(o, "thunk", "cont", params, "ns_per_call", ns, "ns");
    bench_emit(o, "thunk", "cont", params, "allocs_per_call", al, "allocs");
}

static void fail(const char *what)
{
    fprintf(stderr, "thunk_cont: %s\n", what);
    exit(1);
}

void bench_thunk_cont(const bench_opts *o)
{
    if (rta_init(&(rta_config){.workers = 1}) != 0)
        fail("rta_init failed");
    int calls = wl_thunk_calls(o->quick);
    char params[160];

    /* From non-async code: runs on this thread, no worker involved. */
    bench_sample ns = {0}, al = {0};
    for (int run = 0; run < o->runs; run++)
        BENCH_REPEAT
        {
            int bad = 0;
            uint64_t a0 = bench_allocs(), t0 = bench_now_ns();
            for (int i = 0; i < calls; i++) {
                rta_task *t = rta_cont_call(nop, NULL);
                bad |= rta_task_status(t) != RTA_SUCCEEDED;
                int64_t v = rta_task_wait(t, NULL);
                bad |= v != 0;
                rta_task_release(t);
            }
            bench_sample_add(&ns, (double)bench_since(t0) / calls);
            bench_sample_add(&al, (double)(bench_allocs() - a0) / calls);
            if (bad)
                fail("wrong result from main");
        }
    snprintf(params, sizeof params,
             "{\"calls\":%d,\"note\":\"rta_cont_call+rta_task_wait+release from main: nop runs on the "
             "calling thread, completed task returned\"}",
             calls);
    emit(o, params, &ns, &al);

    rta_cont_fn loops[] = {thunk_loop, await_completed_loop};
    const char *names[] = {"task_returning", "await_task"};
    for (int k = 0; k < 2; k++) {
        bench_sample n2 = {0}, a2 = {0};
        for (int run = 0; run < o->runs; run++)
            BENCH_REPEAT
            {
                loop l = {.calls = calls};
                rta_task *t = rta_cont_spawn(loops[k], &l);
                rta_error *e = NULL;
                rta_task_wait(t, &e);
                if (e)
                    fail(rta_error_message(e));
                if (l.bad)
                    fail("wrong result from async");
                rta_task_release(t);
                bench_sample_add(&n2, (double)l.ns / calls);
                bench_sample_add(&a2, (double)l.allocs / calls);
            }
        snprintf(params, sizeof params, "{\"calls\":%d,\"direction\":\"%s\",\"from\":\"async\"}", calls,
                 names[k]);
        emit(o, params, &n2, &a2);
    }
    rta_shutdown();
}
