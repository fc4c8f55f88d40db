/*
 * The sizes of the six workloads (bench/peers/WORKLOADS.md, "Sizes"), in one
 * place for every C and C++ program of the experiment: the engines' files and
 * the C/C++ peers include this header, so quick and full sizes cannot drift
 * apart between the rows a report lines up. (The Go peer mirrors them in
 * bench/peers/go/main.go.)
 */
#ifndef RTA_BENCH_WORKLOADS_H
#define RTA_BENCH_WORKLOADS_H

#include <stdbool.h>
#include <stdio.h>

static inline int wl_fib_n_plain(bool quick)
{
    return quick ? 27 : 30;
} /* yield_every 0 */
static inline int wl_fib_n_yield(bool quick)
{
    return quick ? 22 : 25;
} /* yield_every > 0 */
static inline int wl_depth_yields(bool quick)
{
    return quick ? 10000 : 100000;
}
/* depth, full chain: build d frames, suspend the whole chain once, complete it */
static inline int wl_depth_chains(bool quick)
{
    return quick ? 1000 : 10000;
}
/* bytes_per_task: at least 10,000 even in quick mode, so page rounding does not show */
static inline int wl_depth_hold_tasks(bool quick)
{
    return quick ? 10000 : 100000;
}
/* Sawtooth amplitudes {base depth, peak depth} (issue 9: several, as the spec
 * asks): every cycle descends from base to peak and yields back at base; the
 * first suspension is at their midpoint. {10, 30} is the original shape,
 * whose params carry no base/peak keys so that every peer lines up with it. */
static const int wl_saw_amps[][2] = {{10, 30}, {5, 10}, {50, 100}};
enum { WL_SAW_AMPS = 3 };
static inline void wl_saw_params(char *buf, size_t size, int cycles, int tasks, int base, int peak)
{
    if (base == 10 && peak == 30)
        snprintf(buf, size, "{\"cycles\":%d,\"tasks\":%d}", cycles, tasks);
    else
        snprintf(buf, size, "{\"cycles\":%d,\"tasks\":%d,\"base\":%d,\"peak\":%d}", cycles, tasks, base,
                 peak);
}
static inline int wl_sawtooth_cycles(bool quick)
{
    return quick ? 10000 : 100000;
}
static inline int wl_thunk_calls(bool quick)
{
    return quick ? 100000 : 1000000;
}
static inline int wl_lifetime_max_tasks(bool quick)
{
    return quick ? 10000 : 100000;
} /* after 10, 1000 */
/* Lifetime cases (issue 9: varied hold times): 10, 1,000 and the most tasks
 * held 10 ms, and the most tasks also held 1 ms and 100 ms. */
enum { WL_LIFETIME_CASES = 5 };
static inline void wl_lifetime_case(bool quick, int i, int *tasks, int *hold_ms)
{
    static const int holds[WL_LIFETIME_CASES] = {10, 10, 10, 1, 100};
    *tasks = i == 0 ? 10 : i == 1 ? 1000 : wl_lifetime_max_tasks(quick);
    *hold_ms = holds[i];
}
/* Scheduler yield (bench/yield/yield.h): the task counts, and the yields each
 * task makes so that every count does the same total. */
static const int wl_yield_tasks[] = {1, 2, 100, 1000, 10000};
enum { WL_YIELD_SIZES = 5 };
static inline long wl_yield_total(bool quick)
{
    return quick ? 200000 : 2000000;
}
static inline long wl_yield_each(bool quick, int tasks)
{
    long e = wl_yield_total(quick) / tasks;
    return e < 1 ? 1 : e;
}
static inline int wl_eh_iters(bool quick)
{
    return quick ? 2000 : 20000;
}

#endif
