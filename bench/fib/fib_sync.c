/* The floor: plain C fib, direct and through an indirect call. Both keep the
 * two recursive calls (BENCH_KEEP), like every other contestant. */
#include <stdio.h>
#include <stdlib.h>

#include "fib.h"

__attribute__((noinline)) static int64_t fib_direct(int n)
{
    BENCH_COUNT_CALL();
    if (n < 2)
        return n;
    int64_t a = fib_direct(n - 1);
    int64_t b = fib_direct(n - 2);
    BENCH_KEEP(b);
    return a + b;
}

static int64_t fib_indirect(int n);
static int64_t (*volatile fib_ptr)(int) = fib_indirect;

__attribute__((noinline)) static int64_t fib_indirect(int n)
{
    BENCH_COUNT_CALL();
    if (n < 2)
        return n;
    int64_t (*f)(int) = fib_ptr;
    int64_t a = f(n - 1);
    int64_t b = f(n - 2);
    BENCH_KEEP(b);
    return a + b;
}

void bench_fib_sync(const bench_opts *o)
{
    int n = fib_n_plain(o);
    int64_t want = fib_ref(n);
    char params[64];
    bench_sample direct = {0}, indirect = {0};
    snprintf(params, sizeof params, "{\"n\":%d,\"yield_every\":0}", n);
    uint64_t cd = 0, ci = 0;
    for (int r = 0; r < o->runs; r++)
        BENCH_REPEAT
        {
            uint64_t c0 = bench_calls_now();
            BENCH_CG_BEGIN();
            uint64_t t0 = bench_now_ns();
            int64_t v1 = fib_direct(n);
            uint64_t dd = bench_since(t0);
            BENCH_CG_END("fib", "sync", params, "instructions_per_call", fib_calls(n));
            uint64_t c1 = bench_calls_now();
            uint64_t t1 = bench_now_ns();
            int64_t v2 = fib_ptr(n);
            uint64_t di = bench_since(t1);
            cd += c1 - c0;
            ci += bench_calls_now() - c1;
            if (v1 != want || v2 != want) {
                fprintf(stderr, "bench_fib_sync: wrong result %lld/%lld, want %lld\n", (long long)v1,
                        (long long)v2, (long long)want);
                exit(1);
            }
            bench_sample_add(&direct, (double)dd / (double)fib_calls(n));
            bench_sample_add(&indirect, (double)di / (double)fib_calls(n));
        }
    snprintf(params, sizeof params, "{\"n\":%d,\"yield_every\":0}", n);
    bench_emit(o, "fib", "sync", params, "ns_per_call", &direct, "ns");
    bench_emit_calls(o, "fib", "sync", params, cd, o->runs);
    snprintf(params, sizeof params, "{\"n\":%d,\"yield_every\":0,\"call\":\"indirect\"}", n);
    bench_emit(o, "fib", "sync", params, "ns_per_call", &indirect, "ns");
    bench_emit_calls(o, "fib", "sync", params, ci, o->runs);
}
