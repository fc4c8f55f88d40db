// cpp20_peer.cpp - the workloads of ../WORKLOADS.md with C++20 coroutines:
// every level is a task<long> coroutine, a yield goes through the FIFO loop.
#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <thread>
#include <vector>

#include "../common/peer.h"
#include "task.hpp"

#ifndef ENGINE
#define ENGINE "cpp20" // build.sh names the g++ malloc-per-frame build cpp20-gcc-malloc
#endif

// Count operator new: each coroutine frame is one, so allocs_per_call tells
// whether the compiler elided any frame (HALO).
static long g_news;
void *operator new(std::size_t n)
{
    g_news++;
    if (void *p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}
void operator delete(void *p) noexcept
{
    std::free(p);
}
void operator delete(void *p, std::size_t) noexcept
{
    std::free(p);
}

#include "../common/harness.hpp"

// ---- fib ----
static long g_yield_every, g_leaf;

static task<long> fib(long n)
{
    PEER_COUNT_CALL();
    if (n < 2) {
        if (g_yield_every && ++g_leaf == g_yield_every) {
            g_leaf = 0;
            co_await yield_now{};
        }
        co_return n;
    }
    long a = co_await fib(n - 1);
    long b = co_await fib(n - 2);
    co_return a + b;
}
static long g_calls_run; // fib calls counted in the last run (checking build)

static void bench_fib(long n, long k)
{
    long calls = 2 * fib_ref(n + 1) - 1, leaves = fib_ref(n + 1);
    snprintf(g_p, sizeof g_p, "{\"n\":%ld,\"yield_every\":%ld}", n, k);
    auto run = [=](double *out) {
        g_yield_every = k;
        g_leaf = 0;
        peer_reset_peak();
        long news0 = g_news, c0 = peer_calls_now();
        BENCH_CG_BEGIN();
        uint64_t t0 = peer_now_ns();
        task<long> t = fib(n);
        g_sched.push(t.get());
        g_sched.run();
        long r = t.result();
        uint64_t t1 = peer_now_ns();
        BENCH_CG_END("fib", ENGINE, g_p, k ? "instructions_per_leaf" : "instructions_per_call",
                     k ? leaves : calls);
        if (r != fib_ref(n))
            abort();
        g_calls_run = peer_calls_now() - c0;
        out[0] = (double)peer_timed(t1 - t0) / (double)(k ? leaves : calls);
        out[1] = (double)peer_status_kib("VmHWM");
        out[2] = (double)(g_news - news0) / (double)calls;
    };
    if (k)
        measure("fib", {{"ns_per_leaf", "ns"}, {"peak_rss_kib", "KiB"}, {"allocs_per_call", "allocs"}}, run);
    else
        measure("fib", {{"ns_per_call", "ns"}, {"peak_rss_kib", "KiB"}, {"allocs_per_call", "allocs"}}, run);
    peer_emit_calls(&g_o, "fib", ENGINE, g_p, g_calls_run);
}

// ---- depth: R yields at the bottom of d nested calls ----
static uint64_t g_elapsed;

static task<long> chain(int d, long r)
{
    if (d > 1)
        co_return co_await chain(d - 1, r) + 1;
    uint64_t t0 = peer_now_ns();
    for (long i = 0; i < r; i++)
        co_await yield_now{};
    g_elapsed = peer_now_ns() - t0;
    co_return 1;
}

static task<long> chain_root(int d, long r)
{
    co_return co_await chain(d, r);
}

static void bench_depth(int d, long r)
{
    snprintf(g_p, sizeof g_p, "{\"depth\":%d,\"yields\":%ld}", d, r);
    measure("depth", {{"ns_per_roundtrip", "ns"}}, [=](double *out) {
        task<long> t = chain_root(d, r);
        g_sched.push(t.get());
        g_sched.run();
        g_sink = t.result();
        out[0] = (double)peer_timed(g_elapsed) / (double)r;
    });
}

// The full shape (issue 9): c fresh chains of d frames, each suspended once
// at its leaf and completed.
static task<long> full_root(int d, long c)
{
    long s = 0;
    uint64_t t0 = peer_now_ns();
    for (long i = 0; i < c; i++)
        s += co_await chain(d, 1);
    g_elapsed = peer_now_ns() - t0;
    co_return s;
}

static void bench_depth_full(int d, long c)
{
    snprintf(g_p, sizeof g_p, "{\"depth\":%d,\"chains\":%ld}", d, c);
    measure("depth", {{"ns_per_chain", "ns"}}, [=](double *out) {
        task<long> t = full_root(d, c);
        g_sched.push(t.get());
        g_sched.run();
        if (t.result() != d * c)
            abort();
        out[0] = (double)peer_timed(g_elapsed) / (double)c;
    });
}

// ---- hold: N tasks parked at depth 10 (depth bytes_per_task, lifetime) ----
static std::vector<std::coroutine_handle<>> g_parked;
static std::vector<double> g_lat;
static uint64_t g_t_req; // when the resume of the task about to run was asked

struct park { // suspend until the driver pushes g_parked[slot] on the queue
    size_t slot;
    bool await_ready() const noexcept
    {
        return false;
    }
    void await_suspend(std::coroutine_handle<> h) const
    {
        g_parked[slot] = h;
    }
    void await_resume() const noexcept {}
};

static task<long> hold_chain(int d, size_t slot)
{
    if (d > 1)
        co_return co_await hold_chain(d - 1, slot) + 1;
    co_await park{slot};
    g_lat[slot] = (double)(peer_now_ns() - g_t_req);
    co_return 1;
}

static task<long> hold_root(size_t slot)
{
    co_return co_await hold_chain(10, slot);
}

// out: bytes_per_task, resume p50, resume p99 (latencies only if one_by_one)
static void hold(size_t n, bool one_by_one, double *out, int hold_ms = 10)
{
    g_parked.assign(n, {});
    g_lat.assign(n, 0);
    std::vector<task<long>> roots(n); // touched now, outside the RSS delta
    g_sched.q.reserve(n);
    frames_trim();  // recycled frames must come from the heap again to count
    malloc_trim(0); // freed memory must fault in again to count
    long rss0 = peer_status_kib("VmRSS");
    for (size_t i = 0; i < n; i++) {
        roots[i] = hold_root(i);
        g_sched.push(roots[i].get());
    }
    g_sched.run(); // every task runs down to depth 10 and parks
    long rss1 = peer_status_kib("VmRSS");
    out[0] = (double)(rss1 - rss0) * 1024.0 / (double)n;
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
    for (size_t i = 0; i < n; i++) {
        if (one_by_one)
            g_t_req = peer_now_ns();
        g_sched.push(g_parked[i]);
        if (one_by_one)
            g_sched.run();
    }
    g_sched.run();
    for (auto &t : roots)
        if (t.result() != 10)
            abort();
    std::sort(g_lat.begin(), g_lat.end());
    out[1] = peer_percentile(g_lat.data(), n, 0.50);
    out[2] = peer_percentile(g_lat.data(), n, 0.99);
}

static void bench_depth_bytes(size_t n)
{
    snprintf(g_p, sizeof g_p, "{\"depth\":10,\"tasks\":%zu}", n);
    measure("depth", {{"bytes_per_task", "bytes"}}, [=](double *out) { hold(n, false, out); });
}

static void bench_lifetime(size_t n, int hold_ms)
{
    snprintf(g_p, sizeof g_p, "{\"tasks\":%zu,\"depth\":10,\"hold_ms\":%d}", n, hold_ms);
    measure("lifetime", {{"bytes_per_task", "bytes"}, {"resume_p50_ns", "ns"}, {"resume_p99_ns", "ns"}},
            [=](double *out) { hold(n, true, out, hold_ms); });
}

// ---- sawtooth: base <-> peak depth (wl_saw_amps) ----
static int g_saw_base = 10, g_saw_peak = 30;
static task<long> down(int d, bool first)
{
    if (first && d == (g_saw_base + g_saw_peak) / 2)
        co_await yield_now{}; // the first suspension, midway
    if (d == g_saw_peak)
        co_return 1;
    co_return co_await down(d + 1, first) + 1;
}

static task<long> saw(int d, long cycles)
{
    if (d < g_saw_base)
        co_return co_await saw(d + 1, cycles) + 1;
    long s = 0;
    for (long c = 0; c < cycles; c++) {
        s += co_await down(g_saw_base + 1, c == 0); // to the peak and back to the base
        co_await yield_now{};                       // suspend at depth 10
    }
    co_return s;
}

static task<long> saw_root(long cycles)
{
    co_return co_await saw(1, cycles);
}

static void bench_sawtooth(int tasks, long cycles, int base, int peak)
{
    g_saw_base = base;
    g_saw_peak = peak;
    long want = cycles / tasks * (peak - base) + base - 1; // every root's result
    wl_saw_params(g_p, sizeof g_p, (int)cycles, tasks, base, peak);
    measure("sawtooth", {{"ns_per_cycle", "ns"}}, [=](double *out) {
        std::vector<task<long>> roots(tasks);
        uint64_t t0 = peer_now_ns();
        for (auto &t : roots) {
            t = saw_root(cycles / tasks);
            g_sched.push(t.get());
        }
        g_sched.run();
        uint64_t t1 = peer_now_ns();
        for (auto &t : roots)
            if (t.result() != want)
                abort();
        out[0] = (double)peer_timed(t1 - t0) / (double)(cycles / tasks * tasks);
    });
}

// ---- thunk: create, run to completion and destroy from plain code ----
static task<long> nop()
{
    co_return 0;
}

static void bench_thunk(long iters)
{
    snprintf(g_p, sizeof g_p, "{\"calls\":%ld}", iters);
    measure("thunk", {{"ns_per_call", "ns"}, {"allocs_per_call", "allocs"}}, [=](double *out) {
        long news0 = g_news;
        uint64_t t0 = peer_now_ns();
        for (long i = 0; i < iters; i++) {
            task<long> t = nop();
            t.get().resume(); // runs to completion: nop never suspends
            g_sink = t.result();
        } // destroyed here
        uint64_t t1 = peer_now_ns();
        out[0] = (double)peer_timed(t1 - t0) / (double)iters;
        out[1] = (double)(g_news - news0) / (double)iters;
    });
}

// ---- eh: throw at depth d, catch at the root ----
struct bench_error {
    int depth;
};

static task<long> thrower(int d, bool suspend)
{
    if (d > 1)
        co_return co_await thrower(d - 1, suspend) + 1;
    if (suspend)
        co_await yield_now{};
    throw bench_error{d};
}

static task<long> eh_root(int d, bool suspend, long iters)
{
    long caught = 0;
    for (long i = 0; i < iters; i++) {
        try {
            g_sink = co_await thrower(d, suspend);
        } catch (const bench_error &) {
            caught++;
        }
    }
    co_return caught;
}

static void bench_eh(int d, int suspend, long iters)
{
    snprintf(g_p, sizeof g_p, "{\"depth\":%d,\"suspend\":%d,\"mechanism\":\"exception\"}", d, suspend);
    measure("eh", {{"ns_per_throw", "ns"}}, [=](double *out) {
        uint64_t t0 = peer_now_ns();
        task<long> t = eh_root(d, suspend, iters);
        g_sched.push(t.get());
        g_sched.run();
        uint64_t t1 = peer_now_ns();
        if (t.result() != iters)
            abort();
        out[0] = (double)peer_timed(t1 - t0) / (double)iters;
    });
}

// ---- yield: T tasks each yielding in a loop through the FIFO (bench/yield) ----
static task<long> yielder(long each)
{
    for (long i = 0; i < each; i++)
        co_await yield_now{};
    co_return 0;
}

static void bench_yield(int tasks)
{
    long each = wl_yield_each(g_o.quick, tasks);
    snprintf(g_p, sizeof g_p, "{\"tasks\":%d,\"workers\":\"one\"}", tasks);
    measure("yield", {{"ns_per_yield", "ns"}}, [=](double *out) {
        std::vector<task<long>> ts;
        ts.reserve((size_t)tasks);
        g_sched.q.reserve((size_t)tasks);
        for (int i = 0; i < tasks; i++) {
            ts.push_back(yielder(each));
            g_sched.push(ts.back().get());
        }
        BENCH_CG_BEGIN();
        uint64_t t0 = peer_now_ns();
        g_sched.run();
        uint64_t t1 = peer_now_ns();
        BENCH_CG_END("yield", ENGINE, g_p, "instructions_per_yield", (long long)tasks * each);
        for (auto &t : ts)
            if (!t.get().done())
                abort();
        out[0] = (double)peer_timed(t1 - t0) / ((double)tasks * (double)each);
    });
    snprintf(g_p, sizeof g_p, "{\"tasks\":%d,\"workers\":\"all\"}", tasks);
    peer_unsupported(&g_o, "yield", ENGINE, g_p, "single-threaded scheduler loop");
}

static void peer_thunks(long calls)
{
    bench_thunk(calls);
}

static void peer_yield_extra() {}

#include "../common/driver.hpp"
