/*
 * Instruction counts by callgrind (issue 9: they do not move with machine
 * load). A measured region is bracketed by BENCH_CG_BEGIN() and
 * BENCH_CG_END(label, ops): under `valgrind --tool=callgrind
 * --instr-atstart=no` (bench/report/callgrind.py) only the region is
 * instrumented, and its count is dumped under
 *   "cg|BENCH|ENGINE|PARAMS|METRIC|OPS"
 * so callgrind.py can emit METRIC = instructions / OPS. Outside valgrind each
 * bracket is a few no-op instructions (the client-request sequence), and
 * without valgrind's header nothing at all. Shared by the engines' programs
 * (C) and the C/C++ peers.
 */
#ifndef RTA_BENCH_CG_H
#define RTA_BENCH_CG_H

#include <stdio.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BENCH_HAVE_CG 1
#endif
#endif

#ifdef BENCH_HAVE_CG
/* Both brackets are out of line: inlined, the client requests' argument
 * blocks and the label buffer widened the frame of every function that
 * measures, and the tasklet depth benchmark keeps 1,000 such frames on one
 * 256 KiB stack (it overflowed). A call and a return at each edge of a region
 * add a few instructions per region, not per operation. */
__attribute__((noinline, unused)) static void bench_cg_begin_(void)
{
    CALLGRIND_ZERO_STATS;
    CALLGRIND_START_INSTRUMENTATION;
}
__attribute__((noinline, unused)) static void
bench_cg_end_(const char *bench, const char *engine, const char *params, const char *metric, long long ops)
{
    CALLGRIND_STOP_INSTRUMENTATION;
    if (RUNNING_ON_VALGRIND) {
        char label[400];
        snprintf(label, sizeof label, "cg|%s|%s|%s|%s|%lld", bench, engine, params, metric, ops);
        CALLGRIND_DUMP_STATS_AT(label);
    }
}
#define BENCH_CG_BEGIN() bench_cg_begin_()
/* bench, engine, metric: strings; params: JSON object text; ops: operations done. */
#define BENCH_CG_END(bench, engine, params, metric, ops)                                                     \
    bench_cg_end_((bench), (engine), (params), (metric), (long long)(ops))
#else
#define BENCH_CG_BEGIN() ((void)0)
#define BENCH_CG_END(bench, engine, params, metric, ops) ((void)0)
#endif

#endif
