/* The floor: plain C fib, direct and through an indirect call. */
#include <stdio.h>

#include "fib.h"

__attribute__((noinline)) static int64_t fib_direct(int n)
{
    return n < 2 ? n : fib_direct(n - 1) + fib_direct(n - 2);
}

static int64_t fib_indirect(int n);
static int64_t (*volatile fib_ptr)(int) = fib_indirect;

__attribute__((noinline)) static int64_t fib_indirect(int n)
{
    if (n < 2)
        return n;
    int64_t (*f)(int) = fib_ptr;
    return f(n - 1) + f(n - 2);
}

void bench_fib_sync(const bench_opts *o)
{
    int n = fib_n_plain(o);
    char params[64];
    bench_sample direct = {0}, indirect = {0};
    for (int r = 0; r < o->runs; r++) {
        uint64_t t0 = bench_now_ns();
        bench_sink(fib_direct(n));
        uint64_t t1 = bench_now_ns();
        bench_sink(fib_ptr(n));
        uint64_t t2 = bench_now_ns();
        bench_sample_add(&direct, (double)(t1 - t0) / (double)fib_calls(n));
        bench_sample_add(&indirect, (double)(t2 - t1) / (double)fib_calls(n));
    }
    snprintf(params, sizeof params, "{\"n\":%d,\"yield_every\":0}", n);
    bench_emit(o, "fib", "sync", params, "ns_per_call", &direct, "ns");
    snprintf(params, sizeof params, "{\"n\":%d,\"yield_every\":0,\"call\":\"indirect\"}", n);
    bench_emit(o, "fib", "sync", params, "ns_per_call", &indirect, "ns");
}
