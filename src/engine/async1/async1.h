/*
 * The async1 engine's internals: the heap box a suspended state machine lives
 * in, the per-thread cache that pools boxes and counts per-method statistics.
 *
 * Life of a method call:
 *   stub -> rta_async1_start (caller's stack) -> move-next ... first await
 *   that is not complete -> rta_async1_suspend: box = malloc or pool rent,
 *   memcpy the machine into it (the only copy ever made), register box->waiter
 *   with the awaiter -> the completer runs box->waiter.fn, which submits
 *   box->work to the scheduler (or, when the completer is an async1 method
 *   finishing on a worker, runs it inline as .NET does, to a bounded depth)
 *   -> box_run: install the captured context, move-next under a handler ...
 *   -> set_result/set_error: rta_async1_complete finishes the box's task or
 *   value-task core. That is the last touch of the machine by its own code.
 *
 * Ownership of a box:
 *   task kind:   its rta_task has two references, the machine's (dropped by
 *                rta_async1_complete) and the caller's; the last frees the box.
 *   pooled kind: the machine holds it until it completes the core; the
 *                consumer's get_result then returns it to the pool (of the
 *                consumer's thread). Between the two, nobody else touches it.
 * live accounting: +1 when a box is made, -1 when its machine completes.
 */
#ifndef RTA_ASYNC1_INTERNAL_H
#define RTA_ASYNC1_INTERNAL_H

#include "../../core/registry.h"
#include "../../sched/engine.h"

typedef struct rta__a1_box {
    rta__work work;    /* resumption as free work */
    rta_waiter waiter; /* handed to awaiters; fn = box_wake */
    rta__ctx ctx;      /* context captured at the await (counted) */
    rta_async1_method *method;
    struct rta__a1_box *next_free; /* pool link while idle */
    bool pooled;
    bool resume_direct; /* the await had configure-await false */
    int saved_errno;    /* the method's errno at its await, given back at the resume */
    /* The cancel scope (sched.h) current at the await, current again while
     * the method runs (rta__tls_state.cancel): its task's. own_scope: &own
     * when this box's task has a scope of its own (a task-kind method
     * started by code that did not await it at once: rta_spawn, a call from
     * C; machine.c's start_task), which rta_task_cancel requests; NULL
     * otherwise (own unused). */
    rta__cancel_scope *scope;
    rta__cancel_scope *own_scope;
    rta__cancel_scope own;
    rta__reg_entry reg;             /* in the task registry while suspended or held */
    _Atomic uintptr_t reg_frame[1]; /* reg's recorded frame: the method's resume point */
    union {
        rta_task task; /* task kind: the method's task */
        struct {
            rta_vtask_source src; /* pooled kind: the method's value-task source */
            rta_vtask_core core;
        } p;
    } u;
    _Alignas(16) unsigned char sm[]; /* the state machine (sm->size bytes) */
} rta__a1_box;

static inline rta_async1_sm *rta__a1_box_sm(rta__a1_box *b)
{
    return (rta_async1_sm *)(void *)b->sm;
}

/* Counter indexes, rta_async1_stats order. */
enum { A1_HEAP_MOVES, A1_POOL_HITS, A1_POOL_MISSES, A1_POOL_RETURNS, A1_POOL_DROPS, A1_NSTATS };

/* pool.c: boxes of pooled methods, per thread. */
RTA__HIDDEN rta__a1_box *rta__a1_pool_rent(rta_async1_method *m, size_t bytes);
RTA__HIDDEN void rta__a1_pool_return(rta__a1_box *b);
/* start_task's box (machine.c): one spare per thread, so that a task-kind
 * method started from non-async code that completes without suspending (its
 * box unused) costs no malloc and free. take returns a box of at least bytes
 * (NULL: out of memory) and its capacity in *cap; keep takes back an unused
 * box of capacity cap (keeps it as the spare or frees it). Inline, on the
 * path of every such start (thunk async1-task from main: the two calls were
 * 43 of its 333 instructions). The spare is freed with the thread's cache
 * (pool.c, tc_flush_all); a thread holds one only once registered there:
 * only start_box_alloc, the path that mallocs, can make the box that a keep
 * later stores, and it registers the thread first. */
typedef struct rta__a1_spare_box {
    rta__a1_box *box;
    size_t cap;
} rta__a1_spare_box;
RTA__HIDDEN extern __thread rta__a1_spare_box rta__a1_spare;
RTA__HIDDEN rta__a1_box *rta__a1_start_box_alloc(size_t bytes, size_t *cap);

static inline rta__a1_box *rta__a1_start_box_take(size_t bytes, size_t *cap)
{
    rta__a1_box *b = rta__a1_spare.box;
    if (rta__likely(b != NULL && rta__a1_spare.cap >= bytes)) {
        rta__a1_spare.box = NULL;
        *cap = rta__a1_spare.cap;
        return b;
    }
    return rta__a1_start_box_alloc(bytes, cap);
}

static inline void rta__a1_start_box_keep(rta__a1_box *b, size_t cap)
{
    if (rta__likely(rta__a1_spare.box == NULL)) {
        rta__a1_spare.box = b;
        rta__a1_spare.cap = cap;
    } else {
        free(b);
    }
}
RTA__HIDDEN void rta__a1_count(rta_async1_method *m, int which);
RTA__HIDDEN void rta__a1_thread_flush(void);

/* vtask.c: the pooled box's source ops (on the core's rta_vtask_core). */
RTA__HIDDEN extern const rta_vtask_source_ops rta__a1_box_source_ops;

/* machine.c */
RTA__HIDDEN void rta__a1_box_free_task(rta_task *t);

/* The engine's cancel hook (engine.h): a task-kind box's own scope. */
RTA__HIDDEN int rta__async1_cancel(rta_task *t);

/* The engine's descriptor (src/sched/engine.h): its lifetime hooks. */
RTA__HIDDEN extern rta__engine rta__async1_engine;

#endif
