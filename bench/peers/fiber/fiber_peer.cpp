// fiber_peer.cpp - Boost.Fiber, the scheduler-level peer beside Boost.Context
// (issue 9): boost::fibers::fiber with its default round_robin scheduler on
// one thread, boost::this_fiber::yield() as the yield, 64 KiB fixedsize
// stacks like the Boost.Context peer. Workloads: fib (plain and yielding)
// and the scheduler yield of bench/yield; the other workloads are not
// written for this peer (it emits nothing for them).
#include <boost/fiber/all.hpp>
#include <vector>

#include "../common/peer.h"

#define ENGINE "boost-fiber"

namespace fibers = boost::fibers;

static const std::size_t kStack = 64 * 1024;
static peer_opts g_o;
static char g_p[200];

template <class F>
static void measure(const char *bench, std::initializer_list<peer_metric> m, F f) {
  peer_measure(&g_o, bench, ENGINE, g_p, (int)m.size(), m.begin(),
               [](void *c, double *out) { (*static_cast<F *>(c))(out); }, &f);
}

static long fib_ref(long n) {
  long a = 0, b = 1;
  while (n--) {
    long t = a + b;
    a = b;
    b = t;
  }
  return a;
}

template <class F> static fibers::fiber start(F f) {
  return fibers::fiber(std::allocator_arg, fibers::fixedsize_stack(kStack), std::move(f));
}

// ---- fib: plain recursion on the fiber's stack ----
static long g_yield_every, g_leaf;

__attribute__((noinline)) static long fib(long n) {
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

static void bench_fib(long n, long k) {
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
      while (!stop) boost::this_fiber::yield();
    });
    BENCH_CG_BEGIN();
    uint64_t t0 = peer_now_ns();
    fibers::fiber f = start([&r, n] { r = fib(n); });
    f.join();
    uint64_t t1 = peer_now_ns();
    BENCH_CG_END("fib", ENGINE, g_p, k ? "instructions_per_leaf" : "instructions_per_call", k ? leaves : calls);
    stop = true;
    other.join();
    if (r != fib_ref(n)) abort();
    calls_run = peer_calls_now() - c0;
    out[0] = (double)(t1 - t0) / (double)(k ? leaves : calls);
    out[1] = (double)peer_status_kib("VmHWM");
  };
  if (k) measure("fib", {{"ns_per_leaf", "ns"}, {"peak_rss_kib", "KiB"}}, body);
  else measure("fib", {{"ns_per_call", "ns"}, {"peak_rss_kib", "KiB"}}, body);
  peer_emit_calls(&g_o, "fib", ENGINE, g_p, calls_run);
}

// ---- yield: T fibers each yielding in a loop (bench/yield) ----
static void bench_yield(int tasks) {
  long each = wl_yield_each(g_o.quick, tasks);
  snprintf(g_p, sizeof g_p, "{\"tasks\":%d,\"workers\":\"one\"}", tasks);
  measure("yield", {{"ns_per_yield", "ns"}}, [=](double *out) {
    long done = 0;
    std::vector<fibers::fiber> fs;
    fs.reserve((size_t)tasks);
    // Created ready; none runs until this (main) fiber blocks in join.
    for (int i = 0; i < tasks; i++)
      fs.push_back(start([each, &done] {
        for (long k = 0; k < each; k++) boost::this_fiber::yield();
        done++;
      }));
    BENCH_CG_BEGIN();
    uint64_t t0 = peer_now_ns();
    for (auto &f : fs) f.join();
    uint64_t t1 = peer_now_ns();
    BENCH_CG_END("yield", ENGINE, g_p, "instructions_per_yield", (long long)tasks * each);
    if (done != tasks) abort();
    out[0] = (double)(t1 - t0) / ((double)tasks * (double)each);
  });
  snprintf(g_p, sizeof g_p, "{\"tasks\":%d,\"workers\":\"all\"}", tasks);
  peer_unsupported(&g_o, "yield", ENGINE, g_p,
                   "not written for this peer: Boost.Fiber spreads fibers over threads only when "
                   "each thread runs the shared_work or work_stealing algorithm");
}

int main(int argc, char **argv) {
  peer_parse(argc, argv, &g_o, "fib, yield");
  bool q = g_o.quick;
  if (peer_want(&g_o, "fib")) {
    bench_fib(wl_fib_n_plain(q), 0);
    bench_fib(wl_fib_n_yield(q), 1);
    bench_fib(wl_fib_n_yield(q), 10);
  }
  if (peer_want(&g_o, "yield"))
    for (int t : wl_yield_tasks) bench_yield(t);
  return 0;
}
