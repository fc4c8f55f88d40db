/*
 * sawtooth for the async1 engine (WORKLOADS.md section 3).
 *   async1-task  default task builder (rta_task *)
 *   async1-pool  pooling value-task builder, 64 boxes per thread and method
 * saw(1..10) and down(11..30) are async1 methods. The first cycle yields at
 * depth 20: the 19 methods on the stack move to heap boxes. Each later cycle
 * calls down(11..30) synchronously (no suspension: machines on the worker's
 * stack, nothing allocated beyond completed tasks), then saw(10), already in
 * its box, yields. The driver (an async1 method, moved onto the worker by a
 * first yield) starts the tasks, each of which first yields so that they
 * start in order through the FIFO run queue (the tasklet driver's rta_spawn
 * queues them the same way), and awaits each.
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/bench.h"
#include "../common/workloads.h"

/* The amplitude being measured (wl_saw_amps): base depth <-> peak depth. */
static int saw_base = 10, saw_peak = 30;

#define POOL 64

typedef struct saw_run {
    int tasks, cycles_each;
    rta_task **ts;
    rta_vtask *vts;
    uint64_t ns, allocs;
    int bad;
} saw_run;

/* down(d, first) */
typedef struct down_sm {
    rta_async1_sm hdr;
    int d, first;
    rta_task *t;
} down_sm;
typedef struct down_pool_sm {
    rta_async1_sm hdr;
    int d, first;
    rta_vtask vt;
} down_pool_sm;

/* saw(d, cycles) and its root */
typedef struct saw_sm {
    rta_async1_sm hdr;
    int d, cycles, c;
    int64_t s;
    rta_task *t;
} saw_sm;
typedef struct saw_pool_sm {
    rta_async1_sm hdr;
    int d, cycles, c;
    int64_t s;
    rta_vtask vt;
} saw_pool_sm;

/* ---- default task builder ---- */

RTA_ASYNC1_METHOD(down_task, rta_task *);
static void down_task_move_next(rta_async1_sm *m);
static rta_task *down_task(int d, int first)
{
    down_sm sm;
    sm.d = d;
    sm.first = first;
    RTA_ASYNC1_START(down_task, &sm, down_task_move_next);
    return RTA_ASYNC1_TASK(down_task, &sm);
}
static void down_task_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(down_task, down_sm, sm, m);
    if (sm->first && sm->d == (saw_base + saw_peak) / 2)
        RTA_AWAIT1_YIELD(); /* the first suspension: midway */
    if (sm->d == saw_peak)
        RTA_ASYNC1_RETURN(1);
    RTA_AWAIT1_TASK(sm->t, down_task(sm->d + 1, sm->first), v);
    RTA_ASYNC1_RETURN(v + 1);
    RTA_ASYNC1_END();
}

RTA_ASYNC1_METHOD(saw_task, rta_task *);
static void saw_task_move_next(rta_async1_sm *m);
static rta_task *saw_task(int d, int cycles)
{
    saw_sm sm;
    sm.d = d;
    sm.cycles = cycles;
    RTA_ASYNC1_START(saw_task, &sm, saw_task_move_next);
    return RTA_ASYNC1_TASK(saw_task, &sm);
}
static void saw_task_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(saw_task, saw_sm, sm, m);
    if (sm->d == 0) {
        RTA_AWAIT1_YIELD(); /* the root: start through the run queue */
        RTA_AWAIT1_TASK(sm->t, saw_task(1, sm->cycles), v);
        RTA_ASYNC1_RETURN(v);
    }
    if (sm->d < saw_base) {
        RTA_AWAIT1_TASK(sm->t, saw_task(sm->d + 1, sm->cycles), v);
        RTA_ASYNC1_RETURN(v + 1);
    }
    sm->s = 0;
    for (sm->c = 0; sm->c < sm->cycles; sm->c++) {
        RTA_AWAIT1_TASK(sm->t, down_task(saw_base + 1, sm->c == 0), v); /* to depth 30 and back */
        sm->s += v;
        RTA_AWAIT1_YIELD(); /* suspend at depth 10 */
    }
    RTA_ASYNC1_RETURN(sm->s);
    RTA_ASYNC1_END();
}

/* ---- pooling value-task builder ---- */

RTA_ASYNC1_METHOD(down_pool, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, POOL));
static void down_pool_move_next(rta_async1_sm *m);
static rta_vtask down_pool(int d, int first)
{
    down_pool_sm sm;
    sm.d = d;
    sm.first = first;
    RTA_ASYNC1_START(down_pool, &sm, down_pool_move_next);
    return RTA_ASYNC1_TASK(down_pool, &sm);
}
static void down_pool_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(down_pool, down_pool_sm, sm, m);
    if (sm->first && sm->d == (saw_base + saw_peak) / 2)
        RTA_AWAIT1_YIELD(); /* the first suspension: midway */
    if (sm->d == saw_peak)
        RTA_ASYNC1_RETURN(1);
    RTA_AWAIT1_VTASK(sm->vt, down_pool(sm->d + 1, sm->first), v);
    RTA_ASYNC1_RETURN(v + 1);
    RTA_ASYNC1_END();
}

RTA_ASYNC1_METHOD(saw_pool, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, POOL));
static void saw_pool_move_next(rta_async1_sm *m);
static rta_vtask saw_pool(int d, int cycles)
{
    saw_pool_sm sm;
    sm.d = d;
    sm.cycles = cycles;
    RTA_ASYNC1_START(saw_pool, &sm, saw_pool_move_next);
    return RTA_ASYNC1_TASK(saw_pool, &sm);
}
static void saw_pool_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(saw_pool, saw_pool_sm, sm, m);
    if (sm->d == 0) {
        RTA_AWAIT1_YIELD(); /* the root: start through the run queue */
        RTA_AWAIT1_VTASK(sm->vt, saw_pool(1, sm->cycles), v);
        RTA_ASYNC1_RETURN(v);
    }
    if (sm->d < saw_base) {
        RTA_AWAIT1_VTASK(sm->vt, saw_pool(sm->d + 1, sm->cycles), v);
        RTA_ASYNC1_RETURN(v + 1);
    }
    sm->s = 0;
    for (sm->c = 0; sm->c < sm->cycles; sm->c++) {
        RTA_AWAIT1_VTASK(sm->vt, down_pool(saw_base + 1, sm->c == 0), v); /* to depth 30 and back */
        sm->s += v;
        RTA_AWAIT1_YIELD(); /* suspend at depth 10 */
    }
    RTA_ASYNC1_RETURN(sm->s);
    RTA_ASYNC1_END();
}

/* ---- the driver ---- */

typedef struct driver_sm {
    rta_async1_sm hdr;
    saw_run *r;
    int i;
    uint64_t t0;
    rta_task *t;
    rta_vtask vt;
} driver_sm;

RTA_ASYNC1_METHOD(driver, rta_task *);
static void driver_move_next(rta_async1_sm *m);
static rta_task *driver(saw_run *r)
{
    driver_sm sm;
    sm.r = r;
    RTA_ASYNC1_START(driver, &sm, driver_move_next);
    return RTA_ASYNC1_TASK(driver, &sm);
}
static void driver_move_next(rta_async1_sm *m)
{
    int64_t v;
    RTA_ASYNC1_BEGIN(driver, driver_sm, sm, m);
    RTA_AWAIT1_YIELD(); /* onto the worker */
    sm->r->allocs = bench_allocs();
    sm->t0 = bench_now_ns();
    for (int i = 0; i < sm->r->tasks; i++) {
        if (sm->r->vts)
            sm->r->vts[i] = saw_pool(0, sm->r->cycles_each);
        else
            sm->r->ts[i] = saw_task(0, sm->r->cycles_each);
    }
    for (sm->i = 0; sm->i < sm->r->tasks; sm->i++) {
        if (sm->r->vts) {
            RTA_AWAIT1_VTASK(sm->vt, sm->r->vts[sm->i], v);
        } else {
            RTA_AWAIT1_TASK(sm->t, sm->r->ts[sm->i], v);
        }
        if (v != (int64_t)sm->r->cycles_each * (saw_peak - saw_base) + saw_base - 1)
            sm->r->bad++;
    }
    sm->r->ns = bench_since(sm->t0);
    sm->r->allocs = bench_allocs() - sm->r->allocs;
    RTA_ASYNC1_RETURN(0);
    RTA_ASYNC1_END();
}

void bench_sawtooth_async1(const bench_opts *o)
{
    if (rta_init(&(rta_config){.workers = 1}) != 0) {
        fprintf(stderr, "sawtooth_async1: rta_init failed\n");
        exit(1);
    }
    static const char *const engines[] = {"async1-task", "async1-pool"};
    int cycles = wl_sawtooth_cycles(o->quick);
    static const int task_counts[] = {1, 100};
    for (int pool = 0; pool <= 1; pool++) {
        if (!bench_want(o, engines[pool]))
            continue;
        for (int amp = 0; amp < WL_SAW_AMPS; amp++)
            for (size_t k = 0; k < 2; k++) {
                saw_base = wl_saw_amps[amp][0];
                saw_peak = wl_saw_amps[amp][1];
                bench_sample s = {0}, al = {0};
                for (int run = 0; run < o->runs; run++)
                    BENCH_REPEAT
                    {
                        saw_run r = {.tasks = task_counts[k], .cycles_each = cycles / task_counts[k]};
                        if (pool)
                            r.vts = calloc((size_t)r.tasks, sizeof *r.vts);
                        else
                            r.ts = calloc((size_t)r.tasks, sizeof *r.ts);
                        rta_task *t = driver(&r);
                        rta_error *e = NULL;
                        rta_task_wait(t, &e);
                        if (e || r.bad) {
                            fprintf(stderr, "sawtooth_async1: %s\n",
                                    e ? rta_error_message(e) : "wrong result");
                            exit(1);
                        }
                        rta_task_release(t);
                        free(r.ts);
                        free(r.vts);
                        bench_sample_add(&s, (double)r.ns / (double)(r.tasks * r.cycles_each));
                        bench_sample_add(&al, (double)r.allocs / (double)(r.tasks * r.cycles_each));
                    }
                char params[96];
                wl_saw_params(params, sizeof params, cycles, task_counts[k], saw_base, saw_peak);
                bench_emit(o, "sawtooth", engines[pool], params, "ns_per_cycle", &s, "ns");
                bench_emit(o, "sawtooth", engines[pool], params, "allocs_per_cycle", &al, "allocs");
            }
    }
    rta_shutdown();
}
