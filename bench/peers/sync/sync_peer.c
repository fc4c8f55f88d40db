/* sync_peer.c - the plain C floor: recursive fib by direct and indirect call,
 * and an "exception" as setjmp/longjmp from depth d to the root. Plain C
 * cannot suspend, so the suspending workloads are reported as unsupported. */
#include <setjmp.h>

#include "../common/peer.h"

#define ENGINE "sync"

static volatile long g_sink; /* results land here so no work is dropped */

__attribute__((noinline)) static long fib(long n)
{
    if (n < 2)
        return n;
    long a = fib(n - 1);
    long b = fib(n - 2);
    PEER_KEEP(b);
    return a + b;
}

/* Every recursive call re-reads the pointer: a call the compiler cannot
 * resolve, like a call through a vtable slot or a thunk. */
static long fib_ind(long n);
static long (*volatile g_fib_ptr)(long) = fib_ind;
__attribute__((noinline)) static long fib_ind(long n)
{
    if (n < 2)
        return n;
    return g_fib_ptr(n - 1) + g_fib_ptr(n - 2);
}

static long fib_ref(long n)
{
    long a = 0, b = 1;
    while (n--) {
        long t = a + b;
        a = b;
        b = t;
    }
    return a;
}

typedef struct {
    long n;
    int indirect;
} fib_args;

static void fib_run(void *ctx, double *out)
{
    fib_args *a = ctx;
    long calls = 2 * fib_ref(a->n + 1) - 1;
    peer_reset_peak();
    uint64_t t0 = peer_now_ns();
    long r = a->indirect ? g_fib_ptr(a->n) : fib(a->n);
    uint64_t t1 = peer_now_ns();
    if (r != fib_ref(a->n))
        abort();
    g_sink = r;
    out[0] = (double)peer_timed(t1 - t0) / (double)calls;
    out[1] = (double)peer_status_kib("VmHWM");
}

static jmp_buf *g_catch; /* the root's handler: where a throw lands */

__attribute__((noinline)) static long thrower(int d)
{
    if (d <= 1) {
        if (g_catch)
            longjmp(*g_catch, 1);
        return 0; /* unreachable in the benchmark; keeps gcc from seeing no exit */
    }
    long r = thrower(d - 1);
    PEER_KEEP(r);
    return r + 1;
}

typedef struct {
    int depth;
    long iters;
} eh_args;

/* The root: its own frame holds the jmp_buf, so no local of the caller's loop
 * lives across the longjmp. Returns 1 when the throw was caught. */
__attribute__((noinline)) static int catch_one(int depth)
{
    jmp_buf jb;
    g_catch = &jb;
    if (setjmp(jb) == 0) {
        g_sink = thrower(depth);
        return 0;
    }
    return 1;
}

static void eh_run(void *ctx, double *out)
{
    eh_args *a = ctx;
    long caught = 0;
    uint64_t t0 = peer_now_ns();
    for (long i = 0; i < a->iters; i++)
        caught += catch_one(a->depth);
    uint64_t t1 = peer_now_ns();
    if (caught != a->iters)
        abort();
    out[0] = (double)peer_timed(t1 - t0) / (double)a->iters;
}

int main(int argc, char **argv)
{
    peer_opts o;
    char p[160];
    peer_parse(argc, argv, &o,
               "fib (direct, indirect), eh (setjmp/longjmp); "
               "depth, sawtooth, thunk, lifetime: unsupported");
    int q = o.quick;
    static const peer_metric fib_m[] = {{"ns_per_call", "ns"}, {"peak_rss_kib", "KiB"}};
    static const peer_metric eh_m[] = {{"ns_per_throw", "ns"}};
    static const char *no_suspend = "plain C cannot suspend a call chain";
    /* Unsupported lines carry the params the other engines use, so a reader
     * can line them up with the figures they stand in for. */
    if (peer_want(&o, "fib")) {
        for (int ind = 0; ind < 2; ind++) {
            fib_args a = {wl_fib_n_plain(q), ind};
            snprintf(p, sizeof p, "{\"n\":%ld,\"yield_every\":0%s}", a.n,
                     ind ? ",\"call\":\"indirect\"" : "");
            peer_measure(&o, "fib", ENGINE, p, 2, fib_m, fib_run, &a);
        }
        for (int k = 1; k <= 10; k += 9) {
            snprintf(p, sizeof p, "{\"n\":%d,\"yield_every\":%d}", wl_fib_n_yield(q), k);
            peer_unsupported(&o, "fib", ENGINE, p, no_suspend);
        }
    }
    if (peer_want(&o, "depth")) {
        for (int d = 1; d <= 1000; d *= 10) {
            snprintf(p, sizeof p, "{\"depth\":%d,\"yields\":%d}", d, wl_depth_yields(q));
            peer_unsupported(&o, "depth", ENGINE, p, no_suspend);
        }
        snprintf(p, sizeof p, "{\"depth\":10,\"tasks\":%d}", wl_depth_hold_tasks(q));
        peer_unsupported(&o, "depth", ENGINE, p, no_suspend);
    }
    if (peer_want(&o, "sawtooth"))
        for (int t = 1; t <= 100; t *= 100) {
            snprintf(p, sizeof p, "{\"tasks\":%d,\"cycles\":%d}", t, wl_sawtooth_cycles(q));
            peer_unsupported(&o, "sawtooth", ENGINE, p, no_suspend);
        }
    if (peer_want(&o, "thunk")) {
        snprintf(p, sizeof p, "{\"calls\":%d}", wl_thunk_calls(q));
        peer_unsupported(&o, "thunk", ENGINE, p,
                         "no async function to create; a plain call costs what "
                         "fib shows");
    }
    if (peer_want(&o, "lifetime")) {
        for (int i = 0; i < WL_LIFETIME_CASES; i++) {
            int n, hold_ms;
            wl_lifetime_case(q, i, &n, &hold_ms);
            snprintf(p, sizeof p, "{\"tasks\":%d,\"depth\":10,\"hold_ms\":%d}", n, hold_ms);
            peer_unsupported(&o, "lifetime", ENGINE, p, no_suspend);
        }
    }
    if (peer_want(&o, "eh")) {
        static const int depths[] = {1, 10, 64};
        for (int i = 0; i < 3; i++) {
            eh_args a = {depths[i], wl_eh_iters(q)};
            snprintf(p, sizeof p, "{\"depth\":%d,\"suspend\":0,\"mechanism\":\"longjmp\"}", a.depth);
            peer_measure(&o, "eh", ENGINE, p, 1, eh_m, eh_run, &a);
            snprintf(p, sizeof p, "{\"depth\":%d,\"suspend\":1,\"mechanism\":\"longjmp\"}", a.depth);
            peer_unsupported(&o, "eh", ENGINE, p, no_suspend);
        }
    }
    return 0;
}
