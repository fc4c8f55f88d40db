/*
 * lifetime for the tasklet engine (WORKLOADS.md section 5). The driver is a
 * task on the same (single) worker: it resolves one task's gate, then yields;
 * the woken task was queued first, so it runs, records its latency and
 * finishes before the driver continues. With more tasks than regions, a
 * woken task was evicted and its stack is copied back: the latency includes
 * that restore, and the eviction/restore traffic is reported too.
 */
#include <sched.h>
#include <string.h>
#include <time.h>

#include "../common/tasklet_util.h"
#include "../common/workloads.h"

typedef struct slot {
    rta_task *gate;
    uint64_t *t_request;
    uint64_t latency;
} slot;

__attribute__((noinline)) static int64_t hold_chain(int d, slot *s)
{
    if (d > 1) {
        int64_t v = hold_chain(d - 1, s);
        bench_sink(v);
        return v + 1;
    }
    rta_await(s->gate);
    s->latency = bench_now_ns() - *s->t_request;
    return 1;
}

static int64_t hold_root(void *arg)
{
    return hold_chain(10, arg);
}

typedef struct life {
    int n;
    slot *slots;
    rta_task **tasks;
    uint64_t t_request;
} life;

static int64_t resume_all(void *arg)
{
    life *l = arg;
    for (int i = 0; i < l->n; i++) {
        l->t_request = bench_now_ns();
        rta_promise_resolve(l->slots[i].gate, 1);
        rta_yield();
        if (rta_task_status(l->tasks[i]) != RTA_SUCCEEDED)
            abort();
    }
    return 0;
}

void bench_lifetime_tasklet(const bench_opts *o)
{
    for (int k = 0; k < WL_LIFETIME_CASES; k++) {
        int n, hold_ms;
        wl_lifetime_case(o->quick, k, &n, &hold_ms);
        bench_sample bytes = {0}, p50 = {0}, p99 = {0}, copied = {0};
        for (int run = 0; run < o->runs; run++) {
            /* A fresh runtime per run, like every other contestant: stacks
             * and caches an earlier run left warm would hide memory this run
             * needs (issue 9). */
            tasklet_bench_init();
            life l = {.n = n};
            l.slots = calloc((size_t)n, sizeof *l.slots);
            l.tasks = calloc((size_t)n, sizeof *l.tasks);
            uint64_t *lat = calloc((size_t)n, sizeof *lat);
            for (int i = 0; i < n; i++) {
                l.slots[i].gate = rta_promise_new();
                l.slots[i].t_request = &l.t_request;
                lat[i] = 1; /* touch: harness memory, not task memory */
            }
            rta_stats st;
            rta_stats_get(&st);
            uint64_t parked0 = st.suspensions;
            long before = bench_rss_settled_kib();
            for (int i = 0; i < n; i++)
                l.tasks[i] = rta_spawn(hold_root, &l.slots[i]);
            do {
                sched_yield();
                rta_stats_get(&st);
            } while (st.suspensions - parked0 < (uint64_t)n);
            long after = bench_rss_kib();
            struct timespec hold = {hold_ms / 1000, (long)(hold_ms % 1000) * 1000000};
            nanosleep(&hold, NULL);
            rta_stats a, b;
            rta_stats_get(&a);
            tasklet_bench_run(resume_all, &l);
            rta_stats_get(&b);
            for (int i = 0; i < n; i++) {
                if (rta_task_wait(l.tasks[i], NULL) != 10)
                    abort();
                lat[i] = l.slots[i].latency;
                rta_task_release(l.tasks[i]);
                rta_task_release(l.slots[i].gate);
            }
            double q50, q99;
            bench_percentiles(lat, (size_t)n, &q50, &q99);
            bench_sample_add(&bytes, (double)(after - before) * 1024.0 / n);
            bench_sample_add(&p50, q50);
            bench_sample_add(&p99, q99);
            bench_sample_add(&copied, (double)(b.bytes_copied - a.bytes_copied) / n);
            free(lat);
            free(l.tasks);
            free(l.slots);
            rta_shutdown();
        }
        char params[64];
        snprintf(params, sizeof params, "{\"depth\":10,\"hold_ms\":%d,\"tasks\":%d}", hold_ms, n);
        bench_emit(o, "lifetime", "tasklet", params, "bytes_per_task", &bytes, "bytes");
        bench_emit(o, "lifetime", "tasklet", params, "resume_p50_ns", &p50, "ns");
        bench_emit(o, "lifetime", "tasklet", params, "resume_p99_ns", &p99, "ns");
        bench_emit(o, "lifetime", "tasklet", params, "bytes_copied_per_resume", &copied, "bytes");
    }
}
