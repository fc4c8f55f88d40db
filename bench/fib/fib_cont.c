/*
 * The cont engine's fib figures: fib.async2.c built by rtac for the cont
 * engine (every level a cont function; a yield is an await point at the
 * leaves). One worker, timed inside the root task, so every figure is one
 * thread's cost.
 *
 * The acceptance check of issue 12: the hand-lowered cont fib that rtac's
 * output replaced is kept here (cfib, yfib: engine "cont-hand") and run
 * paired with the generated one, one of each per repetition, so that
 * rtac_to_hand (generated / hand, per pair; within 1.1 is the target) is
 * not moved by the machine's load drifting between two series.
 *
 * Also measured here, because the issue asks which suspension signal is
 * cheaper: a minimal hand-lowered fib in each calling convention, the
 * register pair (ns_per_call_min_reg_pair) and a thread-local "suspended"
 * flag tested after every call (ns_per_call_min_tls_flag), and plain C fib
 * as the floor
 * (ratio_to_sync = cont / plain C, measured side by side).
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "fib.h"

/* ---- the hand-lowered reference (engine "cont-hand") ---- */

static int yield_every;
static int countdown; /* leaves until the next yield (one worker: no race) */

/* The lowering rtac makes (docs/rtac.md), written by hand: before each
 * await, RTA__CONT_LIVE (rta/detail/cont.h) names the frame fields live
 * across it (S), those dead there (Z), and for a tail await, one followed
 * by nothing but a return of known values, the value to finish with (R). */
RTA_CONT_FN(cfib, int64_t, n)
{
    RTA_CONT_FRAME(cfib, int64_t n; int64_t a;);
    BENCH_COUNT_CALL(); /* after the frame: a resume does not count again */
    F.n = n;
    if (F.n < 2)
        RTA_CONT_RETURN(F.n);
    int64_t b;
#undef RTA__CONT_LIVE
#define RTA__CONT_LIVE(S, A, Z, R) S(.n) Z(.a)
    RTA_CONT_CALL(F.a, cfib, F.n - 1);
#undef RTA__CONT_LIVE
#define RTA__CONT_LIVE(S, A, Z, R) Z(.n) S(.a)
    RTA_CONT_CALL(b, cfib, F.n - 2);
    RTA_CONT_RETURN(F.a + b);
}

RTA_CONT_FN(yfib, int64_t, n)
{
    RTA_CONT_FRAME(yfib, int64_t n; int64_t a;);
    BENCH_COUNT_CALL(); /* after the frame: a resume does not count again */
    F.n = n;
    if (F.n < 2) {
        if (--countdown == 0) {
            countdown = yield_every;
#undef RTA__CONT_LIVE
#define RTA__CONT_LIVE(S, A, Z, R) S(.n) Z(.a) R(F.n)
            RTA_CONT_YIELD();
        }
        RTA_CONT_RETURN(F.n);
    }
    int64_t b;
#undef RTA__CONT_LIVE
#define RTA__CONT_LIVE(S, A, Z, R) S(.n) Z(.a)
    RTA_CONT_CALL(F.a, yfib, F.n - 1);
#undef RTA__CONT_LIVE
#define RTA__CONT_LIVE(S, A, Z, R) Z(.n) S(.a)
    RTA_CONT_CALL(b, yfib, F.n - 2);
    RTA_CONT_RETURN(F.a + b);
}
#undef RTA__CONT_LIVE
#define RTA__CONT_LIVE(S, A, Z, R) S()

RTA_CONT_FN(timed_root, void *, arg)
{
    RTA_CONT_FRAME(timed_root, fib_run * r; uint64_t t0;);
    F.r = arg;
    countdown = yield_every = F.r->yield_every;
    BENCH_CG_BEGIN(); /* counted like the generated code's (fib.async2.c) */
    F.t0 = bench_now_ns();
    if (yield_every)
        RTA_CONT_CALL(F.r->result, yfib, F.r->n);
    else
        RTA_CONT_CALL(F.r->result, cfib, F.r->n);
    F.r->ns = bench_since(F.t0);
    BENCH_CG_END("fib", "cont-hand", F.r->cg_params,
                 yield_every ? "instructions_per_leaf" : "instructions_per_call",
                 yield_every ? fib_leaves(F.r->n) : fib_calls(F.r->n));
    RTA_CONT_RETURN(0);
}

static void fib_run_cont_hand(fib_run *r)
{
    rta_task *t = rta_cont_spawn(timed_root, r);
    rta_task_wait(t, NULL);
    rta_task_release(t);
}

static uint64_t calls;      /* counted calls of the generated code since the figure began (checking build) */
static uint64_t hand_calls; /* the same for the hand-lowered reference: it is a contestant too */
static char cg_params[80];  /* the figure being measured, for callgrind's label */

/* One run of fib(n): the generated code (counted), or the hand-lowered one. */
static fib_run run_in_task(int n, int every, bool hand)
{
    fib_run r = {.n = n, .yield_every = every, .cg_params = cg_params};
    uint64_t c0 = bench_calls_now(), a0 = bench_allocs();
    if (hand)
        fib_run_cont_hand(&r);
    else
        fib_run_cont(&r);
    r.allocs = bench_allocs() - a0;
    *(hand ? &hand_calls : &calls) += bench_calls_now() - c0;
    if (r.result != fib_ref(n)) {
        fprintf(stderr, "bench_fib_cont: %s: wrong result %lld, want %lld\n", hand ? "hand" : "rtac",
                (long long)r.result, (long long)fib_ref(n));
        exit(1);
    }
    return r;
}

/* One pair, in alternating order (neither always gets the warmer caches). */
static void run_pair(int n, int every, fib_run *gen, fib_run *hand)
{
    static unsigned turn;
    if (turn++ & 1) {
        *hand = run_in_task(n, every, true);
        *gen = run_in_task(n, every, false);
    } else {
        *gen = run_in_task(n, every, false);
        *hand = run_in_task(n, every, true);
    }
}

/* ---- the other convention: int64_t return + thread-local suspension flag ---- */

static __thread rta_cont *tls_suspended;

/* The cold path a suspension would take (never taken here: fib does not
 * suspend); out of line, as the macros' save path is in effect. */
__attribute__((noinline, cold)) static int64_t tls_suspend_path(int64_t n)
{
    tls_suspended = NULL;
    return n;
}

__attribute__((noinline)) static int64_t tfib(rta_cont *k, int64_t n)
{
    if (__builtin_expect(k != NULL, 0))
        return 0;
    if (n < 2)
        return n;
    int64_t a = tfib(NULL, n - 1);
    if (__builtin_expect(tls_suspended != NULL, 0))
        return tls_suspend_path(n);
    int64_t b = tfib(NULL, n - 2);
    if (__builtin_expect(tls_suspended != NULL, 0))
        return tls_suspend_path(n);
    return a + b;
}

/* The same minimal hand lowering with the register pair, so that the two
 * conventions differ in nothing else. */
__attribute__((noinline, cold)) static rta_cret pair_suspend_path(rta_cont *k)
{
    return (rta_cret){0, k};
}

__attribute__((noinline)) static rta_cret pfib(rta_cont *k, int64_t n)
{
    if (__builtin_expect(k != NULL, 0))
        return (rta_cret){0, NULL};
    if (n < 2)
        return (rta_cret){n, NULL};
    rta_cret a = pfib(NULL, n - 1);
    if (__builtin_expect(a.k != NULL, 0))
        return pair_suspend_path(a.k);
    rta_cret b = pfib(NULL, n - 2);
    if (__builtin_expect(b.k != NULL, 0))
        return pair_suspend_path(b.k);
    return (rta_cret){a.v + b.v, NULL};
}

static int64_t pfib_entry(int64_t n)
{
    return pfib(NULL, n).v;
}

/* Plain C, for the ratio (same process, same moment). */
__attribute__((noinline)) static int64_t plain_fib(int64_t n)
{
    if (n < 2)
        return n;
    int64_t a = plain_fib(n - 1);
    int64_t b = plain_fib(n - 2);
    BENCH_KEEP(b); /* two real calls, like sync C's fib (issue 9) */
    return a + b;
}

static double time_per_call(int64_t (*f)(int64_t), int n)
{
    uint64_t t0 = bench_now_ns();
    bench_sink(f(n));
    return (double)bench_since(t0) / (double)fib_calls(n);
}

static int64_t tfib_entry(int64_t n)
{
    return tfib(NULL, n);
}

void bench_fib_cont(const bench_opts *o)
{
    if (!fib_run_cont) {
        fprintf(stderr, "bench_fib_cont: not built (rtac missing: python3-clang)\n");
        return;
    }
    if (rta_init(&(rta_config){.workers = 1}) != 0) {
        fprintf(stderr, "bench_fib_cont: rta_init failed\n");
        return;
    }
    char params[80];
    int n = fib_n_plain(o);

    bench_sample s = {0}, ratio = {0}, tls = {0}, pair = {0}, hand = {0}, rtac_hand = {0};
    calls = hand_calls = 0;
    snprintf(cg_params, sizeof cg_params, "{\"n\":%d,\"yield_every\":0}", n);
    for (int i = 0; i < o->runs; i++)
        BENCH_REPEAT
        {
            fib_run gen, hand_run;
            run_pair(n, 0, &gen, &hand_run);
            double cont = (double)gen.ns / (double)fib_calls(n);
            double h = (double)hand_run.ns / (double)fib_calls(n);
            double plain = time_per_call(plain_fib, n);
            bench_sample_add(&s, cont);
            bench_sample_add(&hand, h);
            bench_sample_add(&rtac_hand, cont / h);
            bench_sample_add(&ratio, cont / plain);
            bench_sample_add(&tls, time_per_call(tfib_entry, n));
            bench_sample_add(&pair, time_per_call(pfib_entry, n));
        }
    snprintf(params, sizeof params, "{\"n\":%d,\"yield_every\":0}", n);
    bench_emit(o, "fib", "cont", params, "ns_per_call", &s, "ns");
    bench_emit_calls(o, "fib", "cont", params, calls, o->runs);
    bench_emit(o, "fib", "cont", params, "ratio_to_sync", &ratio, "x");
    bench_emit(o, "fib", "cont-hand", params, "ns_per_call", &hand, "ns");
    bench_emit_calls(o, "fib", "cont-hand", params, hand_calls, o->runs);
    bench_emit(o, "fib", "cont", params, "rtac_to_hand", &rtac_hand, "x");
    /* The calling-convention comparison (docs/cont.md): minimal hand-lowered fib. */
    bench_emit(o, "fib", "cont", params, "ns_per_call_min_reg_pair", &pair, "ns");
    bench_emit(o, "fib", "cont", params, "ns_per_call_min_tls_flag", &tls, "ns");

    static const int every[] = {1, 10, 100};
    n = fib_n_yield(o);
    for (size_t k = 0; k < sizeof every / sizeof every[0]; k++) {
        bench_sample ns = {0}, allocs = {0}, hns = {0}, rtac_hand = {0};
        calls = hand_calls = 0;
        snprintf(cg_params, sizeof cg_params, "{\"n\":%d,\"yield_every\":%d}", n, every[k]);
        bench_reset_peak_rss();
        for (int i = 0; i < o->runs; i++)
            BENCH_REPEAT
            {
                fib_run r, h;
                run_pair(n, every[k], &r, &h);
                int64_t leaves = fib_leaves(n);
                bench_sample_add(&ns, (double)r.ns / (double)leaves);
                bench_sample_add(&hns, (double)h.ns / (double)leaves);
                bench_sample_add(&rtac_hand, (double)r.ns / (double)h.ns);
                bench_sample_add(&allocs, (double)r.allocs / (double)(leaves / every[k]));
            }
        snprintf(params, sizeof params, "{\"n\":%d,\"yield_every\":%d}", n, every[k]);
        bench_emit(o, "fib", "cont", params, "ns_per_leaf", &ns, "ns");
        bench_emit(o, "fib", "cont-hand", params, "ns_per_leaf", &hns, "ns");
        bench_emit_calls(o, "fib", "cont-hand", params, hand_calls, o->runs);
        bench_emit(o, "fib", "cont", params, "rtac_to_hand", &rtac_hand, "x");
        bench_emit_calls(o, "fib", "cont", params, calls, o->runs);
        if (every[k] == 1) {
            bench_emit(o, "fib", "cont", params, "allocs_per_leaf", &allocs, "allocs");
            bench_emit1(o, "fib", "cont", params, "peak_rss_kib", (double)bench_peak_rss_kib(), "KiB");
        }
    }
    rta_shutdown();
}
