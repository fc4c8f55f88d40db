/* eh for the tasklet engine (WORKLOADS.md section 6): rta_throw / RTA_TRY. */
#include "../common/tasklet_util.h"
#include "../common/workloads.h"

/* gcc counts a recursion whose only other exit is a noreturn call as infinite. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Winfinite-recursion"
#endif

__attribute__((noinline)) static int64_t thrower(int d, int suspend)
{
    if (d > 1) {
        int64_t v = thrower(d - 1, suspend);
        bench_sink(v);
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

static int64_t eh_root(void *arg)
{
    eh_run *r = arg;
    volatile int caught = 0;
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < r->iters; i++) {
        RTA_TRY {
            bench_sink(thrower(r->depth, r->suspend));
        }
        RTA_CATCH(e) {
            caught++;
        }
        RTA_END_TRY;
    }
    r->ns = bench_since(t0);
    r->caught = caught;
    return 0;
}

void bench_eh_tasklet(const bench_opts *o)
{
    tasklet_bench_init();
    static const int depths[] = {1, 10, 64};
    int iters = wl_eh_iters(o->quick);
    for (int suspend = 0; suspend <= 1; suspend++) {
        for (size_t i = 0; i < 3; i++) {
            bench_sample s = {0};
            for (int run = 0; run < o->runs; run++)
                BENCH_REPEAT
                {
                    eh_run r = {.depth = depths[i], .suspend = suspend, .iters = iters};
                    tasklet_bench_run(eh_root, &r);
                    if (r.caught != iters)
                        abort();
                    bench_sample_add(&s, (double)r.ns / iters);
                }
            char params[96];
            snprintf(params, sizeof params, "{\"depth\":%d,\"mechanism\":\"setjmp\",\"suspend\":%d}",
                     depths[i], suspend);
            bench_emit(o, "eh", "tasklet", params, "ns_per_throw", &s, "ns");
        }
    }
    rta_shutdown();
}
