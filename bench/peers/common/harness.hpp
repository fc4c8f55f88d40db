/* What every C++ peer (cpp20, boost, fiber) keeps beside its workloads: the
 * options, the current figure's params, the measure() wrapper over
 * peer_measure and the fib reference its results are checked against.
 * Include after peer.h and after defining ENGINE; driver.hpp (main) comes
 * at the end of the peer's file. One copy, so the peers cannot drift. */
#ifndef RTA_PEER_HARNESS_HPP
#define RTA_PEER_HARNESS_HPP

#include <initializer_list>
#include <utility>

static volatile long g_sink;
static peer_opts g_o;
static char g_p[200]; // params of the current figure

template <class F> static void measure(const char *bench, std::initializer_list<peer_metric> m, F f)
{
    peer_measure(
        &g_o, bench, ENGINE, g_p, (int)m.size(), m.begin(),
        [](void *c, double *out) { (*static_cast<F *>(c))(out); }, &f);
}

static long fib_ref(long n)
{
    long a = 0, b = 1;
    while (n--)
        b = std::exchange(a, b) + b;
    return a;
}

#endif
