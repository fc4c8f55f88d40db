/*
 * thunk for the tasklet engine (WORKLOADS.md section 4), both directions:
 *  - task-returning entry into an async2 function that does nothing, called
 *    from non-async code (rta_spawn + rta_task_wait + release: the peers' row)
 *    and from async code (rta_spawn + rta_await + release);
 *  - an async2 await of a task-returning function that completed at once.
 */
#include <stdatomic.h>

#include "../common/tasklet_util.h"
#include "../common/workloads.h"

static int64_t nop(void *arg)
{
    (void)arg;
    return 0;
}

typedef struct loop {
    int calls;
    uint64_t ns, allocs;
} loop;

static int64_t spawn_await_loop(void *arg)
{
    loop *l = arg;
    uint64_t a0 = bench_allocs(), t0 = bench_now_ns();
    for (int i = 0; i < l->calls; i++) {
        rta_task *t = rta_spawn(nop, NULL);
        bench_sink(rta_await(t));
        rta_task_release(t);
    }
    l->ns = bench_since(t0);
    l->allocs = bench_allocs() - a0;
    return 0;
}

static int64_t counted_nop(void *arg)
{
    atomic_fetch_add_explicit((_Atomic int *)arg, 1, memory_order_relaxed);
    return 0;
}

/* Fire-and-forget: spawn empty tasks in batches of 256 and release them at
 * once, then yield until they have run. Per task: create, run to completion,
 * destroy (the analogue of a fiber's create/run/destroy), no parent waiting. */
static int64_t spawn_release_loop(void *arg)
{
    loop *l = arg;
    _Atomic int ran = 0;
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

/* A task-returning function that completes synchronously, awaited. */
__attribute__((noinline)) static rta_task *completed_nop(void)
{
    return rta_task_from_value(0);
}

static int64_t await_completed_loop(void *arg)
{
    loop *l = arg;
    uint64_t a0 = bench_allocs(), t0 = bench_now_ns();
    for (int i = 0; i < l->calls; i++) {
        rta_task *t = completed_nop();
        bench_sink(rta_await(t));
        rta_task_release(t);
    }
    l->ns = bench_since(t0);
    l->allocs = bench_allocs() - a0;
    return 0;
}

static void emit(const bench_opts *o, const char *params, bench_sample *ns, bench_sample *al)
{
    bench_emit(o, "thunk", "tasklet", params, "ns_per_call", ns, "ns");
    bench_emit(o, "thunk", "tasklet", params, "allocs_per_call", al, "allocs");
}

void bench_thunk_tasklet(const bench_opts *o)
{
    tasklet_bench_init();
    int calls = wl_thunk_calls(o->quick);
    char params[128];

    /* From non-async code: every call crosses to the worker and back (a
     * futex wake each way, microseconds), so this row gets at most 3 runs to
     * keep the full mode short; same calls as the peers' row. */
    int sync_calls = calls;
    bench_sample ns = {0}, al = {0};
    for (int run = 0; run < (o->runs < 3 ? o->runs : 3); run++)
        BENCH_REPEAT
        {
            uint64_t a0 = bench_allocs(), t0 = bench_now_ns();
            for (int i = 0; i < sync_calls; i++) {
                rta_task *t = rta_spawn(nop, NULL);
                bench_sink(rta_task_wait(t, NULL));
                rta_task_release(t);
            }
            bench_sample_add(&ns, (double)bench_since(t0) / sync_calls);
            bench_sample_add(&al, (double)(bench_allocs() - a0) / sync_calls);
        }
    snprintf(params, sizeof params,
             "{\"calls\":%d,\"note\":\"rta_spawn+rta_task_wait from main, cross-thread\"}", sync_calls);
    emit(o, params, &ns, &al);

    rta_fn loops[] = {spawn_await_loop, await_completed_loop, spawn_release_loop};
    const char *names[] = {"task_returning", "await_task", "spawn_run_release"};
    for (int k = 0; k < 3; k++) {
        bench_sample n2 = {0}, a2 = {0};
        for (int run = 0; run < o->runs; run++)
            BENCH_REPEAT
            {
                loop l = {.calls = calls};
                tasklet_bench_run(loops[k], &l);
                bench_sample_add(&n2, (double)l.ns / calls);
                bench_sample_add(&a2, (double)l.allocs / calls);
            }
        snprintf(params, sizeof params, "{\"calls\":%d,\"direction\":\"%s\",\"from\":\"async\"}", calls,
                 names[k]);
        emit(o, params, &n2, &a2);
    }
    rta_shutdown();
}
