/* libuv_peer.c - the workloads of ../WORKLOADS.md written the way callback C
 * is written on libuv: every async function is a heap "request" frame with a
 * step function that runs from a saved state (a hand-made state machine).
 * A callee that finishes at once hands its result straight back (no callback
 * and no loop trip, as libuv's try-functions do); a callee that suspends is
 * resumed later from the loop, and when it finishes its caller is stepped on.
 *
 * A yield puts the frame on a FIFO; one uv_idle_t handle, active while the
 * FIFO is not empty, runs the frames queued before each turn of the loop,
 * so a yield costs exactly one trip through uv_run. An error is a negative
 * status that each caller checks and passes up, the libuv convention. */
#include <malloc.h>
#include <uv.h>

#include "../common/peer.h"

#define ENGINE "libuv"

enum { DONE, PENDING };

typedef struct frame frame;
typedef int (*step_fn)(frame *f);

struct frame {
    step_fn step;   /* runs the function from ->state: DONE or PENDING */
    step_fn callee; /* entry frames only: the function the task runs */
    frame *parent;  /* who awaits this frame; NULL for a task's root */
    frame *next;    /* run-queue link */
    int state;
    int status;    /* 0, or a negative error code */
    int in_status; /* status of the callee that finished last */
    long a, b, c;  /* arguments and locals that live across awaits */
    long in;       /* result of the callee that finished last */
    long out;      /* this frame's result */
};

static uv_loop_t *g_loop;
static uv_idle_t g_idle;
static frame *g_head, *g_tail; /* the FIFO run queue */
static long g_allocs;          /* heap allocations, for allocs_per_call */
static long g_roots_done, g_root_sum;
static volatile long g_sink;
static peer_opts g_o;
static char g_p[200];

static frame *frame_new(step_fn step, frame *parent, long a, long b)
{
    frame *f = calloc(1, sizeof *f);
    if (!f)
        abort();
    g_allocs++;
    f->step = step;
    f->parent = parent;
    f->a = a;
    f->b = b;
    return f;
}

/* A task's root finished: keep its result and free it. */
static void finish_root(frame *f)
{
    g_roots_done++;
    g_root_sum += f->out;
    free(f);
}

/* Hand a finished callee's result to its caller and free the callee. */
static void deliver(frame *c)
{
    c->parent->in = c->out;
    c->parent->in_status = c->status;
    free(c);
}

/* Start callee c for its parent: DONE means its result is already in the
 * parent; PENDING means it suspended and resume() will step the parent on. */
static int call(frame *c)
{
    if (c->step(c) == PENDING)
        return PENDING;
    deliver(c);
    return DONE;
}

/* Step a suspended frame; as each frame finishes, step its caller, up to
 * the first one that suspends again or the root. A loop, not recursion, so
 * the native stack stays flat however deep the chain. */
static void resume(frame *f)
{
    while (f->step(f) == DONE) {
        frame *p = f->parent;
        if (!p) {
            finish_root(f);
            return;
        }
        deliver(f);
        f = p;
    }
}

static void start(frame *root)
{
    if (root->step(root) == DONE)
        finish_root(root);
}

static void on_idle(uv_idle_t *h)
{
    /* Frames queued while this batch runs wait for the next turn. */
    frame *batch = g_head;
    g_head = g_tail = NULL;
    while (batch) {
        frame *f = batch;
        batch = f->next;
        resume(f);
    }
    if (!g_head)
        uv_idle_stop(h); /* nothing left: let uv_run return */
}

static void enqueue(frame *f)
{
    f->next = NULL;
    if (g_tail)
        g_tail->next = f;
    else
        g_head = f;
    g_tail = f;
    uv_idle_start(&g_idle, on_idle); /* no-op when already active */
}

/* Inside a step function, in a `for (;;) switch (f->state)`:
 * AWAIT: call callee and continue in state st, now or after a suspension
 * (write `break;` after it to dispatch on the new state).
 * YIELD: suspend; the loop steps the frame again in state st. */
#define AWAIT(f, st, callee)                                                                                 \
    do {                                                                                                     \
        (f)->state = (st);                                                                                   \
        if (call(callee) == PENDING)                                                                         \
            return PENDING;                                                                                  \
    } while (0)
#define YIELD(f, st)                                                                                         \
    do {                                                                                                     \
        (f)->state = (st);                                                                                   \
        enqueue(f);                                                                                          \
        return PENDING;                                                                                      \
    } while (0)

/* A task's entry function: runs ->callee(a, b) and returns its result. */
static int entry_step(frame *f)
{
    for (;;)
        switch (f->state) {
        case 0:
            AWAIT(f, 1, frame_new(f->callee, f, f->a, f->b));
            break;
        case 1:
            f->out = f->in;
            f->status = f->in_status;
            return DONE;
        default:
            abort();
        }
}

static frame *task_new(step_fn callee, long a, long b)
{
    frame *f = frame_new(entry_step, NULL, a, b);
    f->callee = callee;
    return f;
}

static void run_loop(void)
{
    uv_run(g_loop, UV_RUN_DEFAULT);
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

/* ---- fib: a = n, b = fib(n-1) ---- */
static long g_yield_every, g_leaf;

static int fib_step(frame *f)
{
    for (;;)
        switch (f->state) {
        case 0:
            if (f->a < 2) {
                if (g_yield_every && ++g_leaf == g_yield_every) {
                    g_leaf = 0;
                    YIELD(f, 3);
                }
                f->state = 3;
                break;
            }
            AWAIT(f, 1, frame_new(fib_step, f, f->a - 1, 0));
            /* fall through */
        case 1:
            f->b = f->in;
            AWAIT(f, 2, frame_new(fib_step, f, f->a - 2, 0));
            /* fall through */
        case 2:
            f->out = f->b + f->in;
            return DONE;
        case 3: /* a leaf, after its yield if any */
            f->out = f->a;
            return DONE;
        default:
            abort();
        }
}

typedef struct {
    long n, k;
} fib_args;

static void fib_run(void *ctx, double *out)
{
    fib_args *a = ctx;
    long calls = 2 * fib_ref(a->n + 1) - 1, leaves = fib_ref(a->n + 1);
    g_yield_every = a->k;
    g_leaf = 0;
    g_roots_done = g_root_sum = 0;
    peer_reset_peak();
    long allocs0 = g_allocs;
    uint64_t t0 = peer_now_ns();
    start(frame_new(fib_step, NULL, a->n, 0));
    run_loop();
    uint64_t t1 = peer_now_ns();
    if (g_roots_done != 1 || g_root_sum != fib_ref(a->n))
        abort();
    out[0] = (double)peer_timed(t1 - t0) / (double)(a->k ? leaves : calls);
    out[1] = (double)peer_status_kib("VmHWM");
    out[2] = (double)(g_allocs - allocs0) / (double)calls;
}

static void bench_fib(long n, long k)
{
    static const peer_metric m0[] = {
        {"ns_per_call", "ns"}, {"peak_rss_kib", "KiB"}, {"allocs_per_call", "allocs"}};
    static const peer_metric mk[] = {
        {"ns_per_leaf", "ns"}, {"peak_rss_kib", "KiB"}, {"allocs_per_call", "allocs"}};
    fib_args a = {n, k};
    snprintf(g_p, sizeof g_p, "{\"n\":%ld,\"yield_every\":%ld}", n, k);
    peer_measure(&g_o, "fib", ENGINE, g_p, 3, k ? mk : m0, fib_run, &a);
}

/* ---- depth: a = depth, b = yields, c = yields done ---- */
static uint64_t g_t0, g_elapsed;

static int chain_step(frame *f)
{
    for (;;)
        switch (f->state) {
        case 0:
            if (f->a > 1) {
                AWAIT(f, 1, frame_new(chain_step, f, f->a - 1, f->b));
                break;
            }
            g_t0 = peer_now_ns();
            f->state = 2;
            break;
        case 1:
            f->out = f->in + 1;
            return DONE;
        case 2: /* the bottom: yield b times */
            if (f->c++ < f->b)
                YIELD(f, 2);
            g_elapsed = peer_now_ns() - g_t0;
            f->out = 1;
            return DONE;
        default:
            abort();
        }
}

typedef struct {
    long d, r;
} depth_args;

static void depth_run(void *ctx, double *out)
{
    depth_args *a = ctx;
    g_roots_done = 0;
    start(task_new(chain_step, a->d, a->r));
    run_loop();
    if (g_roots_done != 1)
        abort();
    out[0] = (double)peer_timed(g_elapsed) / (double)a->r;
}

/* ---- hold: N tasks parked at depth 10; a = depth, b = slot ---- */
static frame **g_parked;
static double *g_lat;
static uint64_t g_t_req; /* when the resume of the task about to run was asked */

static int hold_step(frame *f)
{
    for (;;)
        switch (f->state) {
        case 0:
            if (f->a > 1) {
                AWAIT(f, 1, frame_new(hold_step, f, f->a - 1, f->b));
                break;
            }
            g_parked[f->b] = f; /* park: the driver enqueues it later */
            f->state = 2;
            return PENDING;
        case 1:
            f->out = f->in + 1;
            return DONE;
        case 2:
            g_lat[f->b] = (double)(peer_now_ns() - g_t_req);
            f->out = 1;
            return DONE;
        default:
            abort();
        }
}

typedef struct {
    size_t n;
    int one_by_one;
    int hold_ms;
} hold_args;

static void hold_run(void *ctx, double *out)
{
    hold_args *a = ctx;
    size_t n = a->n;
    g_parked = calloc(n, sizeof *g_parked);
    g_lat = calloc(n, sizeof *g_lat);
    if (!g_parked || !g_lat)
        abort();
    memset(g_parked, 0, n * sizeof *g_parked); /* touch: not task memory */
    memset(g_lat, 0, n * sizeof *g_lat);
    g_roots_done = g_root_sum = 0;
    malloc_trim(0); /* freed memory must fault in again to count */
    long rss0 = peer_status_kib("VmRSS");
    for (size_t i = 0; i < n; i++)
        start(task_new(hold_step, 10, (long)i));
    long rss1 = peer_status_kib("VmRSS");
    out[0] = (double)(rss1 - rss0) * 1024.0 / (double)n;
    struct timespec hold_for = {a->hold_ms / 1000, (long)(a->hold_ms % 1000) * 1000000};
    nanosleep(&hold_for, NULL);
    for (size_t i = 0; i < n; i++) {
        if (a->one_by_one)
            g_t_req = peer_now_ns();
        enqueue(g_parked[i]);
        if (a->one_by_one)
            run_loop();
    }
    run_loop();
    if (g_roots_done != (long)n || g_root_sum != 10 * (long)n)
        abort();
    qsort(g_lat, n, sizeof *g_lat, peer_cmp_double);
    out[1] = peer_percentile(g_lat, n, 0.50);
    out[2] = peer_percentile(g_lat, n, 0.99);
    free(g_parked);
    free(g_lat);
}

/* ---- sawtooth ---- */
static int down_step(frame *f)
{ /* a = depth, b = first cycle */
    for (;;)
        switch (f->state) {
        case 0:
            if (f->b && f->a == 20)
                YIELD(f, 1); /* the first suspension, at 20 */
            f->state = 1;
            break;
        case 1:
            if (f->a == 30) {
                f->out = 1;
                return DONE;
            }
            AWAIT(f, 2, frame_new(down_step, f, f->a + 1, f->b));
            /* fall through */
        case 2:
            f->out = f->in + 1;
            return DONE;
        default:
            abort();
        }
}

static int saw_step(frame *f)
{ /* a = depth, b = cycles, c = cycle, out = sum */
    for (;;)
        switch (f->state) {
        case 0:
            if (f->a < 10) {
                AWAIT(f, 1, frame_new(saw_step, f, f->a + 1, f->b));
                break;
            }
            f->state = 2;
            break;
        case 1:
            f->out = f->in + 1;
            return DONE;
        case 2: /* depth 10: one cycle per pass */
            if (f->c == f->b)
                return DONE;
            AWAIT(f, 3, frame_new(down_step, f, 11, f->c == 0)); /* to 30, back */
                                                                 /* fall through */
        case 3:
            f->out += f->in;
            f->c++;
            YIELD(f, 2); /* suspend at depth 10 */
        default:
            abort();
        }
}

typedef struct {
    long tasks, cycles;
} saw_args;

static void saw_run(void *ctx, double *out)
{
    saw_args *a = ctx;
    long per = a->cycles / a->tasks;
    g_roots_done = 0;
    uint64_t t0 = peer_now_ns();
    for (long t = 0; t < a->tasks; t++)
        start(task_new(saw_step, 1, per));
    run_loop();
    uint64_t t1 = peer_now_ns();
    if (g_roots_done != a->tasks)
        abort();
    out[0] = (double)peer_timed(t1 - t0) / (double)(per * a->tasks);
}

/* ---- thunk: queue a callback, run the loop until it is done, free it ---- */
typedef struct {
    uv_idle_t idle; /* first member: the handle pointer is the request */
    long result;
} thunk_req;

static void thunk_closed(uv_handle_t *h)
{
    g_sink = ((thunk_req *)h)->result;
    free(h);
}

static void thunk_cb(uv_idle_t *h)
{
    ((thunk_req *)h)->result = 0; /* the async function's (empty) body */
    uv_idle_stop(h);
    uv_close((uv_handle_t *)h, thunk_closed);
}

static void thunk_run(void *ctx, double *out)
{
    long iters = *(long *)ctx;
    long allocs0 = g_allocs;
    uint64_t t0 = peer_now_ns();
    for (long i = 0; i < iters; i++) {
        thunk_req *r = malloc(sizeof *r);
        if (!r)
            abort();
        g_allocs++;
        uv_idle_init(g_loop, &r->idle);
        uv_idle_start(&r->idle, thunk_cb);
        run_loop(); /* returns once the handle is closed and freed */
    }
    uint64_t t1 = peer_now_ns();
    out[0] = (double)peer_timed(t1 - t0) / (double)iters;
    out[1] = (double)(g_allocs - allocs0) / (double)iters;
}

/* ---- eh: an error status at depth d, "caught" at the root ---- */
#define BENCH_ERROR UV_EIO
static long g_iters;

static int thrower_step(frame *f)
{ /* a = depth, b = suspend first */
    for (;;)
        switch (f->state) {
        case 0:
            if (f->a > 1) {
                AWAIT(f, 1, frame_new(thrower_step, f, f->a - 1, f->b));
                break;
            }
            if (f->b)
                YIELD(f, 2);
            f->state = 2;
            break;
        case 1:
            if (f->in_status < 0) { /* every caller checks and passes it up */
                f->status = f->in_status;
                return DONE;
            }
            f->out = f->in + 1;
            return DONE;
        case 2:
            f->status = BENCH_ERROR;
            return DONE;
        default:
            abort();
        }
}

static int eh_root_step(frame *f)
{ /* a = depth, b = suspend, c = i, out = caught */
    for (;;)
        switch (f->state) {
        case 0:
            if (f->c == g_iters)
                return DONE;
            f->c++;
            AWAIT(f, 1, frame_new(thrower_step, f, f->a, f->b));
            /* fall through */
        case 1:
            if (f->in_status == BENCH_ERROR)
                f->out++;
            else
                g_sink = f->in;
            f->state = 0;
            break;
        default:
            abort();
        }
}

typedef struct {
    long d, suspend, iters;
} eh_args;

static void eh_run(void *ctx, double *out)
{
    eh_args *a = ctx;
    g_iters = a->iters;
    g_roots_done = g_root_sum = 0;
    uint64_t t0 = peer_now_ns();
    start(frame_new(eh_root_step, NULL, a->d, a->suspend));
    run_loop();
    uint64_t t1 = peer_now_ns();
    if (g_roots_done != 1 || g_root_sum != a->iters)
        abort();
    out[0] = (double)peer_timed(t1 - t0) / (double)a->iters;
}

int main(int argc, char **argv)
{
    peer_parse(argc, argv, &g_o, "fib, depth, sawtooth, thunk, lifetime, eh (as status codes)");
    int q = g_o.quick;
    g_loop = uv_default_loop();
    uv_idle_init(g_loop, &g_idle);

    if (peer_want(&g_o, "fib")) {
        bench_fib(wl_fib_n_plain(q), 0);
        bench_fib(wl_fib_n_yield(q), 1);
        bench_fib(wl_fib_n_yield(q), 10);
    }
    if (peer_want(&g_o, "depth")) {
        static const peer_metric m[] = {{"ns_per_roundtrip", "ns"}};
        static const peer_metric mb[] = {{"bytes_per_task", "bytes"}};
        static const long depths[] = {1, 10, 100, 1000};
        for (int i = 0; i < 4; i++) {
            depth_args a = {depths[i], wl_depth_yields(q)};
            snprintf(g_p, sizeof g_p, "{\"depth\":%ld,\"yields\":%ld}", a.d, a.r);
            peer_measure(&g_o, "depth", ENGINE, g_p, 1, m, depth_run, &a);
        }
        hold_args h = {wl_depth_hold_tasks(q), 0, 10};
        snprintf(g_p, sizeof g_p, "{\"depth\":10,\"tasks\":%zu}", h.n);
        peer_measure(&g_o, "depth", ENGINE, g_p, 1, mb, hold_run, &h);
    }
    if (peer_want(&g_o, "sawtooth")) {
        static const peer_metric m[] = {{"ns_per_cycle", "ns"}};
        for (long t = 1; t <= 100; t *= 100) {
            saw_args a = {t, wl_sawtooth_cycles(q)};
            snprintf(g_p, sizeof g_p, "{\"tasks\":%ld,\"cycles\":%ld}", a.tasks, a.cycles);
            peer_measure(&g_o, "sawtooth", ENGINE, g_p, 1, m, saw_run, &a);
        }
    }
    if (peer_want(&g_o, "thunk")) {
        static const peer_metric m[] = {{"ns_per_call", "ns"}, {"allocs_per_call", "allocs"}};
        long iters = wl_thunk_calls(q);
        snprintf(g_p, sizeof g_p, "{\"calls\":%ld}", iters);
        peer_measure(&g_o, "thunk", ENGINE, g_p, 2, m, thunk_run, &iters);
    }
    if (peer_want(&g_o, "lifetime")) {
        static const peer_metric m[] = {
            {"bytes_per_task", "bytes"}, {"resume_p50_ns", "ns"}, {"resume_p99_ns", "ns"}};
        for (int i = 0; i < WL_LIFETIME_CASES; i++) {
            int n, hold_ms;
            wl_lifetime_case(q, i, &n, &hold_ms);
            hold_args h = {(size_t)n, 1, hold_ms};
            snprintf(g_p, sizeof g_p, "{\"tasks\":%zu,\"depth\":10,\"hold_ms\":%d}", h.n, hold_ms);
            peer_measure(&g_o, "lifetime", ENGINE, g_p, 3, m, hold_run, &h);
        }
    }
    if (peer_want(&g_o, "eh")) {
        static const peer_metric m[] = {{"ns_per_throw", "ns"}};
        static const long depths[] = {1, 10, 64};
        for (int i = 0; i < 3; i++)
            for (long s = 0; s <= 1; s++) {
                eh_args a = {depths[i], s, wl_eh_iters(q)};
                snprintf(g_p, sizeof g_p, "{\"depth\":%ld,\"suspend\":%ld,\"mechanism\":\"status\"}", a.d, s);
                peer_measure(&g_o, "eh", ENGINE, g_p, 1, m, eh_run, &a);
            }
    }
    uv_close((uv_handle_t *)&g_idle, NULL);
    uv_run(g_loop, UV_RUN_DEFAULT);
    uv_loop_close(g_loop);
    return 0;
}
