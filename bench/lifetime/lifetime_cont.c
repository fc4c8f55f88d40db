/*
 * lifetime for the cont engine (WORKLOADS.md section 5). Each task is a cont
 * root awaiting hold_chain(10), whose bottom frame awaits a promise (park):
 * the suspended state is 11 continuations on the heap (worker slabs), nothing
 * on any stack. A parker root on the (single) worker starts the N tasks with
 * rta_cont_call, each of which returns once its chain has suspended. The
 * driver, also a cont root on the worker, resolves one task's gate, then
 * yields: the woken root was queued first, so it runs, records its latency
 * and finishes before the driver continues. A fresh runtime per run, so
 * slabs and free lists kept from an earlier run do not hide memory.
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../common/bench.h"
#include "../common/workloads.h"

typedef struct slot {
    rta_task *gate;
    uint64_t *t_request;
    uint64_t latency;
    int done;
} slot;

RTA_CONT_FN(hold_chain, int64_t, d, slot *, s)
{
    RTA_CONT_FRAME(hold_chain, slot * s;);
    F.s = s;
    int64_t v;
    if (d > 1) {
        RTA_CONT_CALL(v, hold_chain, d - 1, F.s);
        RTA_CONT_RETURN(v + 1);
    }
    RTA_CONT_AWAIT_TASK(v, F.s->gate); /* park */
    (void)v;
    F.s->latency = bench_now_ns() - *F.s->t_request;
    RTA_CONT_RETURN(1);
}

RTA_CONT_FN(hold_root, void *, arg)
{
    RTA_CONT_FRAME(hold_root, slot * s;);
    F.s = arg;
    int64_t v;
    RTA_CONT_CALL(v, hold_chain, 10, F.s);
    F.s->done = 1;
    RTA_CONT_RETURN(v);
}

typedef struct life {
    int n;
    slot *slots;
    rta_task **tasks;
    uint64_t t_request;
} life;

RTA_CONT_FN(parker, void *, arg)
{
    RTA_CONT_FRAME(parker, char none;);
    life *l = arg;
    for (int i = 0; i < l->n; i++)
        l->tasks[i] = rta_cont_call(hold_root, &l->slots[i]);
    RTA_CONT_RETURN(0);
}

RTA_CONT_FN(resume_all, void *, arg)
{
    RTA_CONT_FRAME(resume_all, life * l; int64_t i;);
    F.l = arg;
    for (F.i = 0; F.i < F.l->n; F.i++) {
        F.l->t_request = bench_now_ns();
        rta_promise_resolve(F.l->slots[F.i].gate, 1);
        do {
            RTA_CONT_YIELD();
        } while (!F.l->slots[F.i].done);
    }
    RTA_CONT_RETURN(0);
}

static void run_root(rta_cont_fn fn, void *arg)
{
    rta_task *t = rta_cont_spawn(fn, arg);
    rta_error *e = NULL;
    rta_task_wait(t, &e);
    if (e) {
        fprintf(stderr, "lifetime_cont: task failed: %s\n", rta_error_message(e));
        exit(1);
    }
    rta_task_release(t);
}

static void init_runtime(void)
{
    if (rta_init(&(rta_config){.workers = 1}) != 0) {
        fprintf(stderr, "lifetime_cont: rta_init failed\n");
        exit(1);
    }
}

void bench_lifetime_cont(const bench_opts *o)
{
    for (int k = 0; k < WL_LIFETIME_CASES; k++) {
        int n, hold_ms;
        wl_lifetime_case(o->quick, k, &n, &hold_ms);
        bench_sample bytes = {0}, p50 = {0}, p99 = {0};
        for (int run = 0; run < o->runs; run++) {
            init_runtime();
            life l = {.n = n};
            l.slots = calloc((size_t)n, sizeof *l.slots);
            l.tasks = calloc((size_t)n, sizeof *l.tasks);
            uint64_t *lat = calloc((size_t)n, sizeof *lat);
            for (int i = 0; i < n; i++) {
                l.slots[i].gate = rta_promise_new();
                l.slots[i].t_request = &l.t_request;
                lat[i] = 1; /* touch */
            }
            long before = bench_rss_settled_kib();
            run_root(parker, &l);
            long after = bench_rss_kib();
            for (int i = 0; i < n; i++)
                if (rta_task_status(l.tasks[i]) != RTA_PENDING) {
                    fprintf(stderr, "lifetime_cont: a task did not park\n");
                    exit(1);
                }
            struct timespec hold = {hold_ms / 1000, (long)(hold_ms % 1000) * 1000000};
            nanosleep(&hold, NULL);
            run_root(resume_all, &l);
            for (int i = 0; i < n; i++) {
                if (rta_task_wait(l.tasks[i], NULL) != 10) {
                    fprintf(stderr, "lifetime_cont: wrong result\n");
                    exit(1);
                }
                lat[i] = l.slots[i].latency;
                rta_task_release(l.tasks[i]);
                rta_task_release(l.slots[i].gate);
            }
            double q50, q99;
            bench_percentiles(lat, (size_t)n, &q50, &q99);
            bench_sample_add(&bytes, (double)(after - before) * 1024.0 / n);
            bench_sample_add(&p50, q50);
            bench_sample_add(&p99, q99);
            free(lat);
            free(l.tasks);
            free(l.slots);
            rta_shutdown();
        }
        char params[64];
        snprintf(params, sizeof params, "{\"depth\":10,\"hold_ms\":%d,\"tasks\":%d}", hold_ms, n);
        bench_emit(o, "lifetime", "cont", params, "bytes_per_task", &bytes, "bytes");
        bench_emit(o, "lifetime", "cont", params, "resume_p50_ns", &p50, "ns");
        bench_emit(o, "lifetime", "cont", params, "resume_p99_ns", &p99, "ns");
    }
}
