/* The workload driver the C++ peers share (cpp20, boost, fiber): main(),
 * which workloads run at which sizes (bench/common/workloads.h, the same the
 * engines' programs use), in the order of WORKLOADS.md. One copy, so that
 * every peer does the same work at the same sizes by construction.
 *
 * A peer includes harness.hpp (g_o, measure) and defines, before including
 * this file, the bench_fib, bench_depth, bench_depth_full, bench_depth_bytes,
 * bench_sawtooth, bench_lifetime, bench_eh and bench_yield functions with
 * the signatures used below, and two hooks for what differs between peers:
 *   peer_thunks(long calls)   its thunk variants (one or several stacks)
 *   peer_yield_extra()        after the per-task-count yield rows (Boost.Fiber
 *                             runs its all-workers row there; others nothing) */
#ifndef RTA_PEER_DRIVER_HPP
#define RTA_PEER_DRIVER_HPP

static void peer_thunks(long calls);
static void peer_yield_extra();

int main(int argc, char **argv)
{
    peer_parse(argc, argv, &g_o, "fib, depth, sawtooth, thunk, lifetime, eh, yield");
    bool q = g_o.quick;
    if (peer_want(&g_o, "fib")) {
        bench_fib(wl_fib_n_plain(q), 0);
        bench_fib(wl_fib_n_yield(q), 1);
        bench_fib(wl_fib_n_yield(q), 10);
    }
    if (peer_want(&g_o, "depth")) {
        for (int d : {1, 10, 100, 1000})
            bench_depth(d, wl_depth_yields(q));
        for (int d : {1, 10, 100, 1000})
            bench_depth_full(d, wl_depth_chains(q));
        bench_depth_bytes(wl_depth_hold_tasks(q));
    }
    if (peer_want(&g_o, "sawtooth"))
        for (auto &a : wl_saw_amps)
            for (int t : {1, 100})
                bench_sawtooth(t, wl_sawtooth_cycles(q), a[0], a[1]);
    if (peer_want(&g_o, "thunk"))
        peer_thunks(wl_thunk_calls(q));
    if (peer_want(&g_o, "lifetime"))
        for (int i = 0; i < WL_LIFETIME_CASES; i++) {
            int n, hold_ms;
            wl_lifetime_case(q, i, &n, &hold_ms);
            bench_lifetime((size_t)n, hold_ms);
        }
    if (peer_want(&g_o, "eh"))
        for (int d : {1, 10, 64})
            for (int s : {0, 1})
                bench_eh(d, s, wl_eh_iters(q));
    if (peer_want(&g_o, "yield")) {
        for (int t : wl_yield_tasks)
            bench_yield(t);
        peer_yield_extra();
    }
    return 0;
}

#endif
