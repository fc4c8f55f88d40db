/*
 * fib for every engine from one async2 source: rtac builds it for the
 * tasklet, cont and async1 engines (bench/CMakeLists.txt; async1 three
 * times, once per builder, FIB_BUILDER_*). Each build exports
 * fib_run_<engine>(fib_run *): one timed fib(n) in a task on the runtime
 * the driver started (fib_tasklet.c, fib_cont.c, fib_async1.c).
 *   fib_async:       never suspends -> ns_per_call
 *   fib_async_yield: yields at every k-th leaf -> ns_per_leaf
 * Two functions, as the hand-lowered cont fib had (cfib, yfib), so that the
 * no-yield figure pays no test of yield_every per leaf.
 */
#include <rta.h>

#include "fib.h"

/* FIB_ATTRS: async1's builder marker (rtac reads it), or for the tasklet
 * build, where fib_async is a plain C function, noinline: every level a real
 * frame, as before (the C compiler sees RTAC_ENGINE_*, rtac does not). */
#if defined(RTAC_ENGINE_TASKLET)
#define FIB_ENGINE "tasklet"
#define FIB_RUN fib_run_tasklet
#define FIB_ATTRS __attribute__((noinline))
#elif defined(RTAC_ENGINE_CONT)
#define FIB_ENGINE "cont"
#define FIB_RUN fib_run_cont
#elif defined(FIB_BUILDER_VTASK)
#define FIB_ENGINE "async1-vtask"
#define FIB_RUN fib_run_async1_vtask
#define FIB_ATTRS RTA_BUILDER(vtask)
#elif defined(FIB_BUILDER_POOL)
#define FIB_ENGINE "async1-pool"
#define FIB_RUN fib_run_async1_pool
#define FIB_ATTRS RTA_BUILDER(pool, 64)
#else
#define FIB_ENGINE "async1-task"
#define FIB_RUN fib_run_async1_task
#endif
#ifndef FIB_ATTRS
#define FIB_ATTRS
#endif

static int yield_every;
static int countdown; /* leaves until the next yield (one worker: no race) */

FIB_ATTRS static RTA_ASYNC int64_t fib_async(int64_t n)
{
    BENCH_COUNT_CALL(); /* the first statement: a resumption does not count again */
    if (n < 2)
        return n;
    int64_t a = fib_async(n - 1);
    int64_t b = fib_async(n - 2);
#ifdef RTAC_ENGINE_TASKLET
    BENCH_KEEP(b); /* plain C: two real calls, like every contestant (bench/check/disasm.py) */
#endif
    return a + b;
}

FIB_ATTRS static RTA_ASYNC int64_t fib_async_yield(int64_t n)
{
    BENCH_COUNT_CALL();
    if (n < 2) {
        if (--countdown == 0) {
            countdown = yield_every;
            rta_yield();
        }
        return n;
    }
    int64_t a = fib_async_yield(n - 1);
    int64_t b = fib_async_yield(n - 2);
    return a + b;
}

static RTA_ASYNC int64_t timed_root(void *arg)
{
    fib_run *r = arg;
    countdown = yield_every = r->yield_every;
    BENCH_CG_BEGIN();
    uint64_t t0 = bench_now_ns();
    int64_t v = yield_every ? fib_async_yield(r->n) : fib_async(r->n);
    r->ns = bench_since(t0);
    BENCH_CG_END("fib", FIB_ENGINE, r->cg_params,
                 yield_every ? "instructions_per_leaf" : "instructions_per_call",
                 yield_every ? fib_leaves(r->n) : fib_calls(r->n));
    r->result = v;
    return 0;
}

void FIB_RUN(fib_run *r)
{
    rta_task *t = rta_spawn(timed_root, r);
    rta_task_wait(t, NULL);
    rta_task_release(t);
}
