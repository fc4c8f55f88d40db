/*
 * lifetime for the async1 engine (WORKLOADS.md section 5).
 *   async1-task  default task builder (rta_task *)
 *   async1-pool  pooling value-task builder, 64 boxes per thread and method
 * Each task is a root method awaiting hold_chain(10), whose bottom method
 * awaits a promise (park): the suspended state is 11 heap boxes (state
 * machine + task or pooled source each). A parker method on the (single)
 * worker starts the N roots; each returns once it has parked. The driver,
 * also an async1 method on the worker, resolves one task's gate, then yields
 * until that task has finished: the woken box was queued first, so it runs,
 * records its latency and finishes (the methods above resume inline as each
 * completes) before the driver continues. A fresh runtime per run, so pools
 * kept from an earlier run do not hide memory.
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../common/bench.h"
#include "../common/workloads.h"

#define POOL 64

typedef struct slot {
    rta_task *gate;
    uint64_t *t_request;
    uint64_t latency;
    int done;
} slot;

typedef struct life {
    int n;
    slot *slots;
    rta_task **tasks;
    rta_vtask *vtasks;
    uint64_t t_request;
} life;

/* Only what a compiler would hoist: arguments and the awaited task. */
typedef struct hold_sm {
    rta_async1_sm hdr;
    int d;
    slot *s;
    rta_task *t;
} hold_sm;
typedef struct hold_pool_sm {
    rta_async1_sm hdr;
    int d;
    slot *s;
    rta_vtask vt;
} hold_pool_sm;

/* ---- default task builder ---- */

RTA_ASYNC1_METHOD(hold_task, rta_task *);
static void hold_task_move_next(rta_async1_sm *m);
static rta_task *hold_task(int d, slot *s)
{
    hold_sm sm;
    sm.d = d;
    sm.s = s;
    RTA_ASYNC1_START(hold_task, &sm, hold_task_move_next);
    return RTA_ASYNC1_TASK(hold_task, &sm);
}
static void hold_task_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(hold_task, hold_sm, sm, m);
    if (sm->d == 0) { /* the root */
        RTA_AWAIT1_TASK(sm->t, hold_task(10, sm->s), v);
        sm->s->done = 1;
        RTA_ASYNC1_RETURN(v);
    }
    if (sm->d > 1) {
        RTA_AWAIT1_TASK(sm->t, hold_task(sm->d - 1, sm->s), v);
        RTA_ASYNC1_RETURN(v + 1);
    }
    RTA_AWAIT1(&rta_task_awaiter, sm->s->gate, v); /* park */
    (void)v;
    sm->s->latency = bench_now_ns() - *sm->s->t_request;
    RTA_ASYNC1_RETURN(1);
    RTA_ASYNC1_END();
}

/* ---- pooling value-task builder ---- */

RTA_ASYNC1_METHOD(hold_pool, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, POOL));
static void hold_pool_move_next(rta_async1_sm *m);
static rta_vtask hold_pool(int d, slot *s)
{
    hold_pool_sm sm;
    sm.d = d;
    sm.s = s;
    RTA_ASYNC1_START(hold_pool, &sm, hold_pool_move_next);
    return RTA_ASYNC1_TASK(hold_pool, &sm);
}
static void hold_pool_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(hold_pool, hold_pool_sm, sm, m);
    if (sm->d == 0) { /* the root */
        RTA_AWAIT1_VTASK(sm->vt, hold_pool(10, sm->s), v);
        sm->s->done = 1;
        RTA_ASYNC1_RETURN(v);
    }
    if (sm->d > 1) {
        RTA_AWAIT1_VTASK(sm->vt, hold_pool(sm->d - 1, sm->s), v);
        RTA_ASYNC1_RETURN(v + 1);
    }
    RTA_AWAIT1(&rta_task_awaiter, sm->s->gate, v); /* park */
    (void)v;
    sm->s->latency = bench_now_ns() - *sm->s->t_request;
    RTA_ASYNC1_RETURN(1);
    RTA_ASYNC1_END();
}

/* ---- parker and driver ---- */

typedef struct drive_sm {
    rta_async1_sm hdr;
    life *l;
    int i;
} drive_sm;

RTA_ASYNC1_METHOD(parker, rta_task *);
static void parker_move_next(rta_async1_sm *m);
static rta_task *parker(life *l)
{
    drive_sm sm;
    sm.l = l;
    RTA_ASYNC1_START(parker, &sm, parker_move_next);
    return RTA_ASYNC1_TASK(parker, &sm);
}
static void parker_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(parker, drive_sm, sm, m);
    RTA_AWAIT1_YIELD(); /* onto the worker */
    for (int i = 0; i < sm->l->n; i++) {
        if (sm->l->vtasks)
            sm->l->vtasks[i] = hold_pool(0, &sm->l->slots[i]);
        else
            sm->l->tasks[i] = hold_task(0, &sm->l->slots[i]);
    }
    RTA_ASYNC1_RETURN(0);
    RTA_ASYNC1_END();
}

RTA_ASYNC1_METHOD(resume_all, rta_task *);
static void resume_all_move_next(rta_async1_sm *m);
static rta_task *resume_all(life *l)
{
    drive_sm sm;
    sm.l = l;
    RTA_ASYNC1_START(resume_all, &sm, resume_all_move_next);
    return RTA_ASYNC1_TASK(resume_all, &sm);
}
static void resume_all_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(resume_all, drive_sm, sm, m);
    RTA_AWAIT1_YIELD(); /* onto the worker */
    for (sm->i = 0; sm->i < sm->l->n; sm->i++) {
        sm->l->t_request = bench_now_ns();
        rta_promise_resolve(sm->l->slots[sm->i].gate, 1);
        do {
            RTA_AWAIT1_YIELD();
        } while (!sm->l->slots[sm->i].done);
    }
    RTA_ASYNC1_RETURN(0);
    RTA_ASYNC1_END();
}

static void fail(const char *what)
{
    fprintf(stderr, "lifetime_async1: %s\n", what);
    exit(1);
}

static void run_method(rta_task *t)
{
    rta_error *e = NULL;
    rta_task_wait(t, &e);
    if (e)
        fail(rta_error_message(e));
    rta_task_release(t);
}

void bench_lifetime_async1(const bench_opts *o)
{
    static const char *const engines[] = {"async1-task", "async1-pool"};
    for (int pool = 0; pool <= 1; pool++) {
        const char *eng = engines[pool];
        if (!bench_want(o, eng))
            continue;
        for (int k = 0; k < WL_LIFETIME_CASES; k++) {
            int n, hold_ms;
            wl_lifetime_case(o->quick, k, &n, &hold_ms);
            bench_sample bytes = {0}, p50 = {0}, p99 = {0};
            for (int run = 0; run < o->runs; run++) {
                if (rta_init(&(rta_config){.workers = 1}) != 0)
                    fail("rta_init failed");
                life l = {.n = n};
                l.slots = calloc((size_t)n, sizeof *l.slots);
                if (pool)
                    l.vtasks = calloc((size_t)n, sizeof *l.vtasks);
                else
                    l.tasks = calloc((size_t)n, sizeof *l.tasks);
                uint64_t *lat = calloc((size_t)n, sizeof *lat);
                for (int i = 0; i < n; i++) {
                    l.slots[i].gate = rta_promise_new();
                    l.slots[i].t_request = &l.t_request;
                    lat[i] = 1; /* touch */
                }
                long before = bench_rss_settled_kib();
                run_method(parker(&l));
                long after = bench_rss_kib();
                for (int i = 0; i < n; i++)
                    if (pool ? rta_vtask_status(l.vtasks[i]) != RTA_PENDING
                             : rta_task_status(l.tasks[i]) != RTA_PENDING)
                        fail("a task did not park");
                struct timespec hold = {hold_ms / 1000, (long)(hold_ms % 1000) * 1000000};
                nanosleep(&hold, NULL);
                run_method(resume_all(&l));
                for (int i = 0; i < n; i++) {
                    int64_t v;
                    if (pool) {
                        v = rta_vtask_wait(l.vtasks[i], NULL);
                    } else {
                        v = rta_task_wait(l.tasks[i], NULL);
                        rta_task_release(l.tasks[i]);
                    }
                    if (v != 10)
                        fail("wrong result");
                    lat[i] = l.slots[i].latency;
                    rta_task_release(l.slots[i].gate);
                }
                double q50, q99;
                bench_percentiles(lat, (size_t)n, &q50, &q99);
                bench_sample_add(&bytes, (double)(after - before) * 1024.0 / n);
                bench_sample_add(&p50, q50);
                bench_sample_add(&p99, q99);
                free(lat);
                free(l.tasks);
                free(l.vtasks);
                free(l.slots);
                rta_shutdown();
            }
            char params[64];
            snprintf(params, sizeof params, "{\"depth\":10,\"hold_ms\":%d,\"tasks\":%d}", hold_ms, n);
            bench_emit(o, "lifetime", eng, params, "bytes_per_task", &bytes, "bytes");
            bench_emit(o, "lifetime", eng, params, "resume_p50_ns", &p50, "ns");
            bench_emit(o, "lifetime", eng, params, "resume_p99_ns", &p99, "ns");
        }
    }
}
