// fiber_peer.cpp - Boost.Fiber, the scheduler-level peer beside Boost.Context
// (issue 9): boost::fibers::fiber with its default round_robin scheduler on
// one thread, boost::this_fiber::yield() as the yield, 64 KiB fixedsize
// stacks like the Boost.Context peer (1 MiB for the 1000-frame depth chain).
// Every workload of ../WORKLOADS.md. Park: the fiber's context suspends
// itself (context::suspend, what Boost.Fiber's own wait queues do) and the
// driver makes it ready again with context::schedule, then yields to run it;
// no allocation, no wait queue.
//
// With one task, round_robin would resume a yielding fiber at once (nothing
// else is ready), so single-task workloads run a companion fiber that only
// yields: every yield then switches fibers, as the other contestants' yields
// go through their loop. Its switches are counted in the figure, as the
// loop's half of the round trip is for the others.
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <boost/fiber/all.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "../common/peer.h"

#define ENGINE "boost-fiber"

namespace fibers = boost::fibers;

static const std::size_t kStack = 64 * 1024;
static const std::size_t kDeepStack = 1024 * 1024; // the 1000-frame chain
#include "../common/harness.hpp"

static long g_stacks; // stacks allocated, for thunk's allocs_per_call

// Counts stack allocations, like the Boost.Context peer.
template <class Alloc> struct counted_stack {
    Alloc a;
    boost::context::stack_context allocate()
    {
        g_stacks++;
        return a.allocate();
    }
    void deallocate(boost::context::stack_context &sc) noexcept
    {
        a.deallocate(sc);
    }
};

template <class F> static fibers::fiber start(F f, std::size_t stack = kStack)
{
    return fibers::fiber(std::allocator_arg,
                         counted_stack<fibers::fixedsize_stack>{fibers::fixedsize_stack(stack)},
                         std::move(f));
}

// Runs f on a fiber of its own beside a companion that only yields (see the
// top), and waits for both.
template <class F> static void run_alone(F f, std::size_t stack = kStack)
{
    bool stop = false;
    fibers::fiber other = start([&stop] {
        while (!stop)
            boost::this_fiber::yield();
    });
    fibers::fiber t = start(std::move(f), stack);
    t.join();
    stop = true;
    other.join();
}

// ---- fib: plain recursion on the fiber's stack ----
static long g_yield_every, g_leaf;

__attribute__((noinline)) static long fib(long n)
{
    PEER_COUNT_CALL();
    if (n < 2) {
        if (g_yield_every && ++g_leaf == g_yield_every) {
            g_leaf = 0;
            boost::this_fiber::yield();
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
    static long calls_run;
    auto body = [=](double *out) {
        g_yield_every = k;
        g_leaf = 0;
        long r = 0, c0 = peer_calls_now();
        peer_reset_peak();
        // A second fiber that only yields keeps the scheduler switching between
        // two fibers on a yield, as the other contestants' queues do (fib alone
        // would be resumed at once by round_robin with nothing else ready).
        bool stop = false;
        fibers::fiber other = start([&stop] {
            while (!stop)
                boost::this_fiber::yield();
        });
        BENCH_CG_BEGIN();
        uint64_t t0 = peer_now_ns();
        fibers::fiber f = start([&r, n] { r = fib(n); });
        f.join();
        uint64_t t1 = peer_now_ns();
        BENCH_CG_END("fib", ENGINE, g_p, k ? "instructions_per_leaf" : "instructions_per_call",
                     k ? leaves : calls);
        stop = true;
        other.join();
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

// ---- yield: T fibers each yielding in a loop (bench/yield) ----
static void bench_yield(int tasks)
{
    long each = wl_yield_each(g_o.quick, tasks);
    snprintf(g_p, sizeof g_p, "{\"tasks\":%d,\"workers\":\"one\"}", tasks);
    measure("yield", {{"ns_per_yield", "ns"}}, [=](double *out) {
        long done = 0;
        std::vector<fibers::fiber> fs;
        fs.reserve((size_t)tasks);
        // Created ready; none runs until this (main) fiber blocks in join.
        for (int i = 0; i < tasks; i++)
            fs.push_back(start([each, &done] {
                for (long k = 0; k < each; k++)
                    boost::this_fiber::yield();
                done++;
            }));
        BENCH_CG_BEGIN();
        uint64_t t0 = peer_now_ns();
        for (auto &f : fs)
            f.join();
        uint64_t t1 = peer_now_ns();
        BENCH_CG_END("yield", ENGINE, g_p, "instructions_per_yield", (long long)tasks * each);
        if (done != tasks)
            abort();
        out[0] = (double)peer_timed(t1 - t0) / ((double)tasks * (double)each);
    });
}

// ---- yield on every CPU: Boost.Fiber's work_stealing algorithm ----
// One thread per online CPU (the engines' "all" pool), each running
// work_stealing; the T fibers are launched from one of them (the lead) and
// spread by stealing. work_stealing registers threads in a process-wide table
// sized once, so the pool is built once for all these figures (not per run,
// unlike the engines' fresh runtime per run): the lead thread makes every
// measurement while the others block their main fiber on a fiber condition
// variable, so that their schedulers run stolen fibers until the end.
static void bench_yield_all()
{
    unsigned nthreads = std::max(1u, std::thread::hardware_concurrency());
    fibers::barrier ready(nthreads);
    fibers::mutex mtx;
    fibers::condition_variable_any over;
    bool finished = false;
    auto helper = [&] {
        fibers::use_scheduling_algorithm<fibers::algo::work_stealing>(nthreads);
        ready.wait();
        std::unique_lock<fibers::mutex> lk(mtx);
        over.wait(lk, [&] { return finished; });
    };
    std::vector<std::thread> ths;
    for (unsigned i = 1; i < nthreads; i++)
        ths.emplace_back(helper);
    std::thread lead([&] {
        fibers::use_scheduling_algorithm<fibers::algo::work_stealing>(nthreads);
        ready.wait();
        for (int tasks : wl_yield_tasks) {
            long each = wl_yield_each(g_o.quick, tasks);
            snprintf(g_p, sizeof g_p, "{\"tasks\":%d,\"workers\":\"all\"}", tasks);
            measure("yield", {{"ns_per_yield", "ns"}}, [=](double *out) {
                std::atomic<long> done{0};
                std::vector<fibers::fiber> fs;
                fs.reserve((size_t)tasks);
                uint64_t t0 = peer_now_ns();
                for (int i = 0; i < tasks; i++)
                    fs.push_back(start([each, &done] {
                        for (long k = 0; k < each; k++)
                            boost::this_fiber::yield();
                        done++;
                    }));
                for (auto &f : fs)
                    f.join();
                uint64_t t1 = peer_now_ns();
                if (done != tasks)
                    abort();
                out[0] = (double)peer_timed(t1 - t0) / ((double)tasks * (double)each);
            });
        }
        {
            std::unique_lock<fibers::mutex> lk(mtx);
            finished = true;
        }
        over.notify_all();
    });
    lead.join();
    for (auto &t : ths)
        t.join();
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
        boost::this_fiber::yield();
    g_elapsed = peer_now_ns() - t0;
    return 1;
}

static void bench_depth(int d, long r)
{
    snprintf(g_p, sizeof g_p, "{\"depth\":%d,\"yields\":%ld}", d, r);
    measure("depth", {{"ns_per_roundtrip", "ns"}}, [=](double *out) {
        long v = 0;
        run_alone([&v, d, r] { v = chain(d, r); }, kDeepStack);
        if (v != d)
            abort();
        out[0] = (double)peer_timed(g_elapsed) / (double)r;
    });
}

// The full shape: c fresh chains of d frames, each suspended once at its
// leaf and completed.
static void bench_depth_full(int d, long c)
{
    snprintf(g_p, sizeof g_p, "{\"depth\":%d,\"chains\":%ld}", d, c);
    measure("depth", {{"ns_per_chain", "ns"}}, [=](double *out) {
        long s = 0;
        uint64_t ns = 0;
        run_alone(
            [=, &s, &ns] {
                uint64_t t0 = peer_now_ns();
                for (long i = 0; i < c; i++)
                    s += chain(d, 1);
                ns = peer_now_ns() - t0;
            },
            kDeepStack);
        if (s != d * c)
            abort();
        out[0] = (double)peer_timed(ns) / (double)c;
    });
}

// ---- hold: N fibers parked at depth 10 (depth bytes_per_task, lifetime) ----
static std::vector<fibers::context *> g_parked;
static std::vector<double> g_lat;
static uint64_t g_t_req;

__attribute__((noinline)) static long hold_chain(int d, std::size_t slot)
{
    if (d > 1) {
        long v = hold_chain(d - 1, slot);
        PEER_KEEP(v);
        return v + 1;
    }
    fibers::context *self = fibers::context::active();
    g_parked[slot] = self;
    self->suspend(); // until the driver schedules it again
    g_lat[slot] = (double)(peer_now_ns() - g_t_req);
    return 1;
}

static void hold(std::size_t n, bool one_by_one, double *out, int hold_ms = 10)
{
    g_parked.assign(n, nullptr);
    g_lat.assign(n, 0);
    std::vector<long> res(n);
    std::vector<fibers::fiber> fs;
    fs.reserve(n);  // touched by the harness, outside the RSS delta
    malloc_trim(0); // freed memory must fault in again to count
    long rss0 = peer_status_kib("VmRSS");
    for (std::size_t i = 0; i < n; i++)
        fs.push_back(start([i, &res] { res[i] = hold_chain(10, i); }));
    // The fibers were created ready; this (main) fiber goes behind them, so
    // when it runs again every one has parked.
    boost::this_fiber::yield();
    long rss1 = peer_status_kib("VmRSS");
    for (auto *c : g_parked)
        if (!c)
            abort();
    out[0] = (double)(rss1 - rss0) * 1024.0 / (double)n;
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
    fibers::context *me = fibers::context::active();
    for (std::size_t i = 0; i < n; i++) {
        if (one_by_one)
            g_t_req = peer_now_ns();
        me->schedule(g_parked[i]);
        if (one_by_one)
            boost::this_fiber::yield(); // it runs to its end first
    }
    for (auto &f : fs)
        f.join();
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
        boost::this_fiber::yield(); // the first suspension, midway
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
        boost::this_fiber::yield();        // suspend at the base
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
        auto root = [=] {
            if (saw(1, cycles / tasks) != want)
                abort();
        };
        if (tasks == 1) {
            run_alone(root);
        } else {
            std::vector<fibers::fiber> fs;
            fs.reserve((size_t)tasks);
            for (int t = 0; t < tasks; t++)
                fs.push_back(start(root));
            for (auto &f : fs)
                f.join();
        }
        uint64_t t1 = peer_now_ns();
        out[0] = (double)peer_timed(t1 - t0) / (double)(cycles / tasks * tasks);
    });
}

// ---- thunk: create a fiber, run it to completion (join), destroy it ----
template <class Stack> static void bench_thunk(long iters, const char *stack)
{
    bool pooled = !strcmp(stack, "pooled");
    if (pooled)
        snprintf(g_p, sizeof g_p, "{\"calls\":%ld,\"stack\":\"pooled\"}", iters);
    else
        snprintf(g_p, sizeof g_p, "{\"calls\":%ld}", iters);
    auto body = [=](double *out) {
        Stack pool(kStack); // a pool lives across calls, as a user would keep it
        long s0 = g_stacks;
        uint64_t t0 = peer_now_ns();
        for (long i = 0; i < iters; i++) {
            fibers::fiber f(std::allocator_arg, counted_stack<Stack>{pool}, [] {
                g_sink = 0; // the async function's (empty) body
            });
            f.join();
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
        boost::this_fiber::yield();
    throw bench_error{d};
}

static void bench_eh(int d, int suspend, long iters)
{
    snprintf(g_p, sizeof g_p, "{\"depth\":%d,\"suspend\":%d,\"mechanism\":\"exception\"}", d, suspend);
    measure("eh", {{"ns_per_throw", "ns"}}, [=](double *out) {
        long caught = 0;
        uint64_t t0 = peer_now_ns();
        run_alone([&caught, d, suspend, iters] {
            for (long i = 0; i < iters; i++) {
                try {
                    g_sink = thrower(d, suspend);
                } catch (const bench_error &) {
                    caught++;
                }
            }
        });
        uint64_t t1 = peer_now_ns();
        if (caught != iters)
            abort();
        out[0] = (double)peer_timed(t1 - t0) / (double)iters;
    });
}

static void peer_thunks(long calls)
{
    bench_thunk<fibers::fixedsize_stack>(calls, "fixedsize");
    bench_thunk<fibers::pooled_fixedsize_stack>(calls, "pooled");
}

static void peer_yield_extra()
{
    bench_yield_all();
}

#include "../common/driver.hpp"
