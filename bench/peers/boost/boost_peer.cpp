// boost_peer.cpp - the workloads of ../WORKLOADS.md with Boost.Context
// stackful fibers: async functions are plain functions running on a fiber's
// own 64 KiB stack; a yield switches to the scheduler loop, which re-queues.
//
// Stacks come from fixedsize_stack (malloc, no guard page): the guarded
// protected_fixedsize_stack costs two mappings per fiber, and 100,000 fibers
// would pass vm.max_map_count (65530 by default).
#include <malloc.h>

#include <algorithm>
#include <boost/context/fiber.hpp>
#include <boost/context/pooled_fixedsize_stack.hpp>
#include <thread>
#include <vector>

#include "../common/fifo.hpp"
#include "../common/peer.h"

#define ENGINE "boost"

namespace ctx = boost::context;

static const std::size_t kStack = 64 * 1024;
#include "../common/harness.hpp"

// ---- the scheduler: single-threaded FIFO of fibers ----
enum class why { yield, park, done };
static ctx::fiber g_loop;       // the loop's continuation while a fiber runs
static why g_why;               // why the running fiber switched to the loop
static std::size_t g_park_slot; // for why::park
static fifo<ctx::fiber> g_runq;
static std::vector<ctx::fiber> g_parked;
static long g_stacks; // stacks allocated, for allocs_per_call

// Counts allocations so thunk can report allocs_per_call like the others.
template <class Alloc> struct counted_stack {
    Alloc a;
    ctx::stack_context allocate()
    {
        g_stacks++;
        return a.allocate();
    }
    void deallocate(ctx::stack_context &sc) noexcept
    {
        a.deallocate(sc);
    }
};

static void switch_to_loop(why w)
{
    g_why = w;
    g_loop = std::move(g_loop).resume();
}
static void yield_now()
{
    switch_to_loop(why::yield);
}
static void park(std::size_t slot)
{
    g_park_slot = slot;
    switch_to_loop(why::park);
}

// The depth chain (1000 frames) needs more than kStack at -O3 with frame
// pointers; the parked-task workloads keep kStack.
static const std::size_t kDeepStack = 1024 * 1024;

template <class F> static void spawn(F f, std::size_t stack = kStack)
{
    g_runq.push(ctx::fiber(std::allocator_arg,
                           counted_stack<ctx::fixedsize_stack>{ctx::fixedsize_stack(stack)},
                           [f](ctx::fiber &&loop) mutable {
                               g_loop = std::move(loop);
                               f();
                               g_why = why::done;
                               return std::move(g_loop); // frees this fiber's stack
                           }));
}

static void run()
{
    while (!g_runq.empty()) {
        ctx::fiber f = std::move(g_runq.pop()).resume();
        if (g_why == why::yield)
            g_runq.push(std::move(f));
        else if (g_why == why::park)
            g_parked[g_park_slot] = std::move(f);
    }
}

// ---- fib: plain recursion on the fiber's stack ----
static long g_yield_every, g_leaf;

__attribute__((noinline)) static long fib(long n)
{
    PEER_COUNT_CALL();
    if (n < 2) {
        if (g_yield_every && ++g_leaf == g_yield_every) {
            g_leaf = 0;
            yield_now();
        }
        return n;
    }
    long a = fib(n - 1);
    long b = fib(n - 2);
    PEER_KEEP(b);
    return a + b;
}

static void bench_fib(long n, long k)
{
    long calls = 2 * fib_ref(n + 1) - 1, leaves = fib_ref(n + 1);
    snprintf(g_p, sizeof g_p, "{\"n\":%ld,\"yield_every\":%ld}", n, k);
    static long calls_run; // fib calls in the last run (checking build)
    auto body = [=](double *out) {
        g_yield_every = k;
        g_leaf = 0;
        long r = 0, c0 = peer_calls_now();
        peer_reset_peak();
        BENCH_CG_BEGIN();
        uint64_t t0 = peer_now_ns();
        spawn([&r, n] { r = fib(n); });
        run();
        uint64_t t1 = peer_now_ns();
        BENCH_CG_END("fib", ENGINE, g_p, k ? "instructions_per_leaf" : "instructions_per_call",
                     k ? leaves : calls);
        if (r != fib_ref(n))
            abort();
        calls_run = peer_calls_now() - c0;
        out[0] = (double)peer_timed(t1 - t0) / (double)(k ? leaves : calls);
        out[1] = (double)peer_status_kib("VmHWM");
    };
    if (k)
        measure("fib", {{"ns_per_leaf", "ns"}, {"peak_rss_kib", "KiB"}}, body);
    else
        measure("fib", {{"ns_per_call", "ns"}, {"peak_rss_kib", "KiB"}}, body);
    peer_emit_calls(&g_o, "fib", ENGINE, g_p, calls_run);
}

// ---- depth ----
static uint64_t g_elapsed;

__attribute__((noinline)) static long chain(int d, long r)
{
    if (d > 1) {
        long v = chain(d - 1, r);
        PEER_KEEP(v);
        return v + 1;
    }
    uint64_t t0 = peer_now_ns();
    for (long i = 0; i < r; i++)
        yield_now();
    g_elapsed = peer_now_ns() - t0;
    return 1;
}

static void bench_depth(int d, long r)
{
    snprintf(g_p, sizeof g_p, "{\"depth\":%d,\"yields\":%ld}", d, r);
    measure("depth", {{"ns_per_roundtrip", "ns"}}, [=](double *out) {
        spawn([=] { g_sink = chain(d, r); }, kDeepStack);
        run();
        out[0] = (double)peer_timed(g_elapsed) / (double)r;
    });
}

// The full shape (issue 9): c fresh chains of d frames, each suspended once
// at its leaf and completed.
static void bench_depth_full(int d, long c)
{
    snprintf(g_p, sizeof g_p, "{\"depth\":%d,\"chains\":%ld}", d, c);
    measure("depth", {{"ns_per_chain", "ns"}}, [=](double *out) {
        long s = 0;
        uint64_t ns = 0;
        spawn(
            [=, &s, &ns] {
                uint64_t t0 = peer_now_ns();
                for (long i = 0; i < c; i++)
                    s += chain(d, 1);
                ns = peer_now_ns() - t0;
            },
            kDeepStack);
        run();
        if (s != d * c)
            abort();
        out[0] = (double)peer_timed(ns) / (double)c;
    });
}

// ---- hold: N fibers parked at depth 10 ----
static std::vector<double> g_lat;
static uint64_t g_t_req;

__attribute__((noinline)) static long hold_chain(int d, std::size_t slot)
{
    if (d > 1) {
        long v = hold_chain(d - 1, slot);
        PEER_KEEP(v);
        return v + 1;
    }
    park(slot);
    g_lat[slot] = (double)(peer_now_ns() - g_t_req);
    return 1;
}

static void hold(std::size_t n, bool one_by_one, double *out, int hold_ms = 10)
{
    g_parked.clear();
    g_parked.resize(n);
    g_lat.assign(n, 0);
    std::vector<long> res(n);
    g_runq.reserve(n);
    malloc_trim(0); // freed memory must fault in again to count
    long rss0 = peer_status_kib("VmRSS");
    for (std::size_t i = 0; i < n; i++)
        spawn([i, &res] { res[i] = hold_chain(10, i); });
    run();
    long rss1 = peer_status_kib("VmRSS");
    out[0] = (double)(rss1 - rss0) * 1024.0 / (double)n;
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
    for (std::size_t i = 0; i < n; i++) {
        if (one_by_one)
            g_t_req = peer_now_ns();
        g_runq.push(std::move(g_parked[i]));
        if (one_by_one)
            run();
    }
    run();
    for (long v : res)
        if (v != 10)
            abort();
    std::sort(g_lat.begin(), g_lat.end());
    out[1] = peer_percentile(g_lat.data(), n, 0.50);
    out[2] = peer_percentile(g_lat.data(), n, 0.99);
}

static void bench_depth_bytes(std::size_t n)
{
    snprintf(g_p, sizeof g_p, "{\"depth\":10,\"tasks\":%zu}", n);
    measure("depth", {{"bytes_per_task", "bytes"}}, [=](double *out) { hold(n, false, out); });
}

static void bench_lifetime(std::size_t n, int hold_ms)
{
    snprintf(g_p, sizeof g_p, "{\"tasks\":%zu,\"depth\":10,\"hold_ms\":%d}", n, hold_ms);
    measure("lifetime", {{"bytes_per_task", "bytes"}, {"resume_p50_ns", "ns"}, {"resume_p99_ns", "ns"}},
            [=](double *out) { hold(n, true, out, hold_ms); });
}

// ---- sawtooth: base <-> peak depth (wl_saw_amps) ----
static int g_saw_base = 10, g_saw_peak = 30;
__attribute__((noinline)) static long down(int d, bool first)
{
    if (first && d == (g_saw_base + g_saw_peak) / 2)
        yield_now(); // the first suspension, midway
    if (d == g_saw_peak)
        return 1;
    long v = down(d + 1, first);
    PEER_KEEP(v);
    return v + 1;
}

__attribute__((noinline)) static long saw(int d, long cycles)
{
    if (d < g_saw_base) {
        long v = saw(d + 1, cycles);
        PEER_KEEP(v);
        return v + 1;
    }
    long s = 0;
    for (long c = 0; c < cycles; c++) {
        s += down(g_saw_base + 1, c == 0); // to the peak and back to the base
        yield_now();                       // suspend at depth 10
    }
    return s;
}

static void bench_sawtooth(int tasks, long cycles, int base, int peak)
{
    g_saw_base = base;
    g_saw_peak = peak;
    long want = cycles / tasks * (peak - base) + base - 1; // every root's result
    wl_saw_params(g_p, sizeof g_p, (int)cycles, tasks, base, peak);
    measure("sawtooth", {{"ns_per_cycle", "ns"}}, [=](double *out) {
        uint64_t t0 = peer_now_ns();
        for (int t = 0; t < tasks; t++)
            spawn([=] {
                if (saw(1, cycles / tasks) != want)
                    abort();
            });
        run();
        uint64_t t1 = peer_now_ns();
        out[0] = (double)peer_timed(t1 - t0) / (double)(cycles / tasks * tasks);
    });
}

// ---- thunk: create a fiber, run it to completion, destroy it ----
// allocs_per_call counts stack allocations, so it is only meaningful for
// fixedsize_stack (one malloc of 64 KiB); a pooled stack is a free-list hit.
template <class Stack> static void bench_thunk(long iters, const char *stack)
{
    bool pooled = !strcmp(stack, "pooled");
    // The plain row joins the other engines' thunk rows; the pooled one is extra.
    if (pooled)
        snprintf(g_p, sizeof g_p, "{\"calls\":%ld,\"stack\":\"pooled\"}", iters);
    else
        snprintf(g_p, sizeof g_p, "{\"calls\":%ld}", iters);
    auto body = [=](double *out) {
        Stack pool(kStack); // a pool lives across calls, as a user would keep it
        long s0 = g_stacks;
        uint64_t t0 = peer_now_ns();
        for (long i = 0; i < iters; i++) {
            ctx::fiber f(std::allocator_arg, counted_stack<Stack>{pool}, [](ctx::fiber &&caller) {
                g_sink = 0; // the async function's (empty) body
                return std::move(caller);
            });
            f = std::move(f).resume(); // runs to the end; the stack is released
        }
        uint64_t t1 = peer_now_ns();
        out[0] = (double)peer_timed(t1 - t0) / (double)iters;
        out[1] = (double)(g_stacks - s0) / (double)iters;
    };
    if (pooled)
        measure("thunk", {{"ns_per_call", "ns"}}, body);
    else
        measure("thunk", {{"ns_per_call", "ns"}, {"allocs_per_call", "allocs"}}, body);
}

// ---- eh: C++ exceptions thrown on the fiber, caught at its root ----
struct bench_error {
    int depth;
};

__attribute__((noinline)) static long thrower(int d, bool suspend)
{
    if (d > 1) {
        long v = thrower(d - 1, suspend);
        PEER_KEEP(v);
        return v + 1;
    }
    if (suspend)
        yield_now();
    throw bench_error{d};
}

static void bench_eh(int d, int suspend, long iters)
{
    snprintf(g_p, sizeof g_p, "{\"depth\":%d,\"suspend\":%d,\"mechanism\":\"exception\"}", d, suspend);
    measure("eh", {{"ns_per_throw", "ns"}}, [=](double *out) {
        long caught = 0;
        uint64_t t0 = peer_now_ns();
        spawn([&caught, d, suspend, iters] {
            for (long i = 0; i < iters; i++) {
                try {
                    g_sink = thrower(d, suspend);
                } catch (const bench_error &) {
                    caught++;
                }
            }
        });
        run();
        uint64_t t1 = peer_now_ns();
        if (caught != iters)
            abort();
        out[0] = (double)peer_timed(t1 - t0) / (double)iters;
    });
}

// ---- yield: T fibers each yielding in a loop through the FIFO (bench/yield) ----
static void bench_yield(int tasks)
{
    long each = wl_yield_each(g_o.quick, tasks);
    snprintf(g_p, sizeof g_p, "{\"tasks\":%d,\"workers\":\"one\"}", tasks);
    measure("yield", {{"ns_per_yield", "ns"}}, [=](double *out) {
        long done = 0;
        g_runq.reserve((size_t)tasks);
        for (int i = 0; i < tasks; i++)
            spawn([each, &done] {
                for (long k = 0; k < each; k++)
                    yield_now();
                done++;
            });
        BENCH_CG_BEGIN();
        uint64_t t0 = peer_now_ns();
        run();
        uint64_t t1 = peer_now_ns();
        BENCH_CG_END("yield", ENGINE, g_p, "instructions_per_yield", (long long)tasks * each);
        if (done != tasks)
            abort();
        out[0] = (double)peer_timed(t1 - t0) / ((double)tasks * (double)each);
    });
    snprintf(g_p, sizeof g_p, "{\"tasks\":%d,\"workers\":\"all\"}", tasks);
    peer_unsupported(&g_o, "yield", ENGINE, g_p, "single-threaded scheduler loop");
}

static void peer_thunks(long calls)
{
    bench_thunk<ctx::fixedsize_stack>(calls, "fixedsize");
    bench_thunk<ctx::pooled_fixedsize_stack>(calls, "pooled");
}

static void peer_yield_extra() {}

#include "../common/driver.hpp"
