/*
 * eh for the cont engine (WORKLOADS.md section 6): rta_throw at depth d,
 * caught by RTA_CONT_TRY/RTA_CONT_CATCH in the root. Without suspension the
 * throw longjmps over the d native frames straight to the root's handler.
 * With suspension (a yield at the bottom) the chain is a list of linked
 * continuations when the bottom frame throws: the dispatcher catches it and
 * walks the chain outwards (freeing the frames, adding their names to the
 * trace) to the root's continuation, whose await sits in the try block, and
 * resumes it into its handler ("cont-unwind").
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

RTA_CONT_FN(thrower, int64_t, d, int64_t, suspend)
{
    RTA_CONT_FRAME(thrower, char none;);
    if (d > 1) {
        int64_t v;
        RTA_CONT_CALL(v, thrower, d - 1, suspend);
        RTA_CONT_RETURN(v + 1);
    }
    if (suspend)
        RTA_CONT_YIELD();
    rta_throw(RTA_EUSER, "thrown at the bottom");
}

typedef struct eh_run {
    int depth, suspend, iters;
    uint64_t ns;
    int caught;
} eh_run;

RTA_CONT_FN(eh_root, void *, arg)
{
    /* r, i and t0 are written before each try body and not in it (setjmp rules). */
    RTA_CONT_FRAME(eh_root, eh_run * r; int64_t i; uint64_t t0; int64_t sink;);
    F.r = arg;
    F.t0 = bench_now_ns();
    for (F.i = 0; F.i < F.r->iters; F.i++) {
        RTA_CONT_TRY {
            RTA_CONT_CALL(F.sink, thrower, F.r->depth, F.r->suspend);
            bench_sink(F.sink);
        }
        RTA_CONT_CATCH(e) {
            F.r->caught++;
        }
        RTA_CONT_END_TRY;
    }
    F.r->ns = bench_since(F.t0);
    RTA_CONT_RETURN(0);
}

void bench_eh_cont(const bench_opts *o)
{
    if (rta_init(&(rta_config){.workers = 1}) != 0) {
        fprintf(stderr, "eh_cont: rta_init failed\n");
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
                    rta_task *t = rta_cont_spawn(eh_root, &r);
                    rta_error *e = NULL;
                    rta_task_wait(t, &e);
                    if (e || r.caught != iters) {
                        fprintf(stderr, "eh_cont: %s (caught %d of %d)\n",
                                e ? rta_error_message(e) : "wrong count", r.caught, iters);
                        exit(1);
                    }
                    rta_task_release(t);
                    bench_sample_add(&s, (double)r.ns / iters);
                }
            char params[96];
            snprintf(params, sizeof params, "{\"depth\":%d,\"mechanism\":\"cont-unwind\",\"suspend\":%d}",
                     depths[i], suspend);
            bench_emit(o, "eh", "cont", params, "ns_per_throw", &s, "ns");
        }
    }
    rta_shutdown();
}
