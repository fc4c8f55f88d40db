/*
 * The scheduler: worker threads, their queues, timers and the idle wait.
 * See docs/scheduler.md for the design essay; the rules in brief:
 *
 *  - Work is an intrusive rta__work node with a run function. The scheduler
 *    never looks inside; engines embed nodes in their own objects.
 *  - *Bound* work (a started tasklet: its frames live at fixed addresses in
 *    a region its worker owns) runs only on its worker: rta__sched_ready_on.
 *    The owner pushes on a private FIFO with no atomics; other threads push
 *    on the worker's inbox (lock-free MPSC) and wake it.
 *  - *Free* work (unstarted tasks, async1/cont resumptions) goes to the
 *    submitting worker's Chase-Lev deque, from which idle workers steal, or to
 *    the global injection queue when submitted by a non-worker thread.
 *  - Timers are a per-worker min-heap, owner only.
 *  - A worker with nothing to do parks on its parker with the next timer's
 *    deadline as timeout. The parker is the seam where an epoll/io_uring
 *    poller takes over (src/io): waking a worker is rta__parker_unpark.
 */
#ifndef RTA_SCHED_H
#define RTA_SCHED_H

#include "../core/internal.h"

#include <pthread.h>

#if defined(__SANITIZE_THREAD__)
#define RTA__STAT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RTA__STAT_TSAN 1
#endif
#endif
#ifndef RTA__STAT_TSAN
#define RTA__STAT_TSAN 0
#endif

typedef struct rta__work {
    struct rta__work *next;
    void (*run)(struct rta__work *w);
} rta__work;

/* Intrusive FIFO, single owner. */
typedef struct rta__fifo {
    rta__work *head, *tail;
} rta__fifo;

static inline void rta__fifo_push(rta__fifo *q, rta__work *w)
{
    w->next = NULL;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
}

static inline rta__work *rta__fifo_pop(rta__fifo *q)
{
    rta__work *w = q->head;
    if (w) {
        q->head = w->next;
        if (!q->head)
            q->tail = NULL;
    }
    return w;
}

/* ---- parker: one sleeping thread, woken by anyone ----
 *
 * The idle wait goes through a replaceable implementation (rta__parker_ops):
 * the default is a futex word per worker (parker.c); the I/O layer installs
 * a poller-backed one (src/io) before the workers start, so that idle
 * workers wait in epoll/io_uring and a wake-up from any thread interrupts
 * that wait. The contract every implementation keeps:
 *  - park(p, timeout) sleeps until unparked or timeout_ns passes
 *    (UINT64_MAX = none); it may return early (callers re-check); only the
 *    owner thread parks p;
 *  - unpark(p) from any thread; an unpark before the park makes the next
 *    park return at once (the notification is remembered);
 *  - poll() (may be NULL) does a non-blocking round of the implementation's
 *    own event source; a busy worker calls it now and then so that events
 *    are not starved while every worker has work;
 *  - ready() (may be NULL: never) says, without a system call and from any
 *    thread, that a park now would find something to deliver at once (a
 *    completion already in io_uring's ring, not a wake-up's: uring.c): an
 *    idle worker then stops its spin and parks, instead of
 *    looking at its queues up to IDLE_SPINS times for work that only the
 *    park can hand it (worker.c). A hint: a wrong answer costs time only.
 * The state word is the futex's; other implementations may use it as well. */
typedef struct rta__parker {
    _Atomic int state; /* 0 empty, -1 parked, 1 notified; others per implementation */
} rta__parker;

typedef struct rta__parker_ops {
    const char *name;
    void (*park)(rta__parker *p, uint64_t timeout_ns);
    void (*unpark)(rta__parker *p);
    void (*poll)(void);
    bool (*ready)(void);
} rta__parker_ops;

/* The futex parker (parker.c): the default. */
RTA__HIDDEN extern const rta__parker_ops rta__parker_futex;
/* The implementation in use; set only while no worker runs (rta_init). */
RTA__HIDDEN extern const rta__parker_ops *rta__parker_impl;

static inline void rta__parker_park(rta__parker *p, uint64_t timeout_ns)
{
    rta__parker_impl->park(p, timeout_ns);
}

static inline void rta__parker_unpark(rta__parker *p)
{
    rta__parker_impl->unpark(p);
}

/* The futex primitives, for implementations that fall back to them. */
RTA__HIDDEN void rta__futex_park(rta__parker *p, uint64_t timeout_ns);
RTA__HIDDEN void rta__futex_unpark(rta__parker *p);
/* Wakes a thread asleep in rta__futex_park (state already set by the caller). */
RTA__HIDDEN void rta__futex_wake(rta__parker *p);

/* ---- Chase-Lev work-stealing deque (bounded; overflow goes to the global queue) ---- */
#define RTA__DEQUE_CAP 4096
typedef struct rta__deque {
    _Alignas(64) _Atomic int64_t top;
    _Alignas(64) _Atomic int64_t bottom;
    _Atomic(rta__work *) buf[RTA__DEQUE_CAP];
} rta__deque;

RTA__HIDDEN bool rta__deque_push(rta__deque *d, rta__work *w); /* owner */
RTA__HIDDEN rta__work *rta__deque_pop(rta__deque *d);          /* owner */
RTA__HIDDEN rta__work *rta__deque_steal(rta__deque *d);        /* any thread */

/* Owner only: false if the deque is certainly empty. Lets the owner skip the
 * seq_cst fence of a pop in the common case of an empty deque (thieves only
 * ever make it emptier). */
static inline bool rta__deque_maybe_items(rta__deque *d)
{
    return atomic_load_explicit(&d->bottom, memory_order_relaxed) >
           atomic_load_explicit(&d->top, memory_order_relaxed);
}

/* ---- timers ----
 * A per-worker binary min-heap, owner thread only. Each timer stores its
 * position (heap_index) so that rta__timer_heap_remove takes O(log n): an
 * I/O deadline is withdrawn when the operation completes first. heap_index
 * is RTA__TIMER_NONE while the timer is in no heap (set by pop and remove;
 * initialise it so before the first add). */
#define RTA__TIMER_NONE ((size_t)-1)
typedef struct rta__timer {
    uint64_t deadline_ns;
    size_t heap_index;
    void (*fire)(struct rta__timer *t);
} rta__timer;

typedef struct rta__timer_heap {
    rta__timer **items;
    size_t len, cap;
} rta__timer_heap;

RTA__HIDDEN int rta__timer_heap_add(rta__timer_heap *h, rta__timer *t);
RTA__HIDDEN rta__timer *rta__timer_heap_peek(rta__timer_heap *h);
RTA__HIDDEN void rta__timer_heap_pop(rta__timer_heap *h);
/* Removes t if it is in h (heap_index != RTA__TIMER_NONE); returns whether
 * it was. O(log n). */
RTA__HIDDEN bool rta__timer_heap_remove(rta__timer_heap *h, rta__timer *t);
RTA__HIDDEN void rta__timer_heap_free(rta__timer_heap *h);
RTA__HIDDEN uint64_t rta__now_ns(void);

/* A cancelable wait's hook (the protocol and the calls that arm it are in
 * stackful.h). */
typedef struct rta__cancel_hook {
    void (*fn)(struct rta__cancel_hook *h); /* ends the wait with -ECANCELED; any thread */
} rta__cancel_hook;

/* A hook that can be armed on a cancel scope (below) as well: the link
 * lives beside it, so that a tasklet, which embeds a plain hook, does not
 * grow. A record that waits for either kind of task holds one of these
 * and arms &h with a tasklet. */
typedef struct rta__scope_hook {
    rta__cancel_hook h;
    struct rta__scope_hook *next; /* the scope's armed hooks */
} rta__scope_hook;

/* ---- cancel scopes (cancel.c) ----
 * The cancel state of a task of a stackless engine (a cont root, an async1
 * task): the request flag and the hooks of its waits pending now. The
 * protocol is the stackful one (stackful.h): a wait arms its hook before it
 * can be woken by anything else and disarms it once resumed, before its
 * record is reused; rta__scope_request sets the flag, then runs and unlinks
 * every armed hook under the scope's lock; a wait that registers with its
 * source after arming checks the flag under the source's lock as well.
 * Unlike a tasklet's single slot, a scope holds a list: an async1 task may
 * have several waits pending at once (methods started without being awaited
 * at once run under their caller's scope). A hook must not take the lock of
 * the scope it is armed on (it runs under it), nor run the waiting code
 * inline: it only makes it ready.
 * While a stackless task's code runs, its scope is rta__tls_state.cancel. */
typedef struct rta__cancel_scope {
    _Atomic uint32_t bits;  /* RTA__SCOPE_REQ, RTA__SCOPE_LOCK */
    rta__scope_hook *hooks; /* armed, under RTA__SCOPE_LOCK */
} rta__cancel_scope;
#define RTA__SCOPE_REQ 1u
#define RTA__SCOPE_LOCK 2u

/* The scope of stackless code that belongs to no task able to take a
 * request: an async1 method started by rta_spawn (or rta_group_spawn) as a
 * value task, which has no task of its own to cancel (rta_vtask_as_task's
 * bridge), or a task-kind method whose own scope could not be allocated.
 * Current while such code runs, so that its waits see neither the cancel
 * state of the task that spawned it (whose scope was current, or on a
 * tasklet rta__cancel_pending's fallback, the tasklet's flag) nor any later
 * request of that task. Never requested; arming on it arms nothing. */
RTA__HIDDEN extern rta__cancel_scope rta__scope_detached;

/* Sets the request and ends every armed wait. Any thread; idempotent. */
RTA__HIDDEN void rta__scope_request(rta__cancel_scope *s);
/* Arms h on s: false when a request is there already (h not armed). */
RTA__HIDDEN bool rta__scope_arm(rta__cancel_scope *s, rta__scope_hook *h);
/* Unlinks h if still armed (a request unlinks the hooks it runs); once this
 * returns, no request runs h any more. */
RTA__HIDDEN void rta__scope_disarm(rta__cancel_scope *s, rta__scope_hook *h);

static inline bool rta__scope_requested(const rta__cancel_scope *s)
{
    return atomic_load_explicit(&s->bits, memory_order_acquire) & RTA__SCOPE_REQ;
}

/* The scope of the stackless task running on this thread, or NULL. */
static inline rta__cancel_scope *rta__scope_current(void)
{
    return (rta__cancel_scope *)rta__tls_state.cancel;
}

/* ---- workers ---- */

/* Statistics counters: written by the owner only, read by anyone (relaxed).
 * On x86-64 the increment is one add to memory: a single writer's aligned
 * 8-byte store is never torn for a reader, and the relaxed load + store
 * pair cost gcc three instructions (a load, an add, a store) on the yield
 * path, which counts two of these (docs/tasklet.md). Not under
 * ThreadSanitizer, which must see the accesses to model them. */
#if defined(__x86_64__) && !RTA__STAT_TSAN
#define RTA__STAT_INC(wk, field, n) __asm__("addq %1, %0" : "+m"((wk)->stats.field) : "er"((uint64_t)(n)))
#else
#define RTA__STAT_INC(wk, field, n)                                                                          \
    atomic_store_explicit(&(wk)->stats.field,                                                                \
                          atomic_load_explicit(&(wk)->stats.field, memory_order_relaxed) + (n),              \
                          memory_order_relaxed)
#endif

typedef struct rta__worker_stats {
    _Atomic uint64_t tasks_spawned, suspensions, resumes_resident, resumes_restored, evictions, bytes_copied,
        steals, frames_captured, compactions, idle_spins, parks;
} rta__worker_stats;

/* Engines one runtime can run (engine.h). */
#define RTA__ENGINE_SLOTS 4
struct rta__engine;

typedef struct rta__worker {
    unsigned index;
    pthread_t thread;
    rta__fifo local;            /* bound work, owner only */
    _Atomic(rta__work *) inbox; /* bound work pushed by other threads (LIFO stack) */
    rta__parker parker;
    _Atomic int idle; /* 1 while idle and not yet claimed by a waker */
    /* 1 from just before the worker parks until it returns from the park,
     * claimed or not: the stall watcher must not take a worker that a waker
     * has claimed (idle 0) but the OS has not yet run for one running work. */
    _Atomic int parked;
    rta__timer_heap timers; /* owner only */
    uint64_t tick;          /* loop iterations, for fairness */
    unsigned fair_left;     /* ticks before the next fairness tick (worker.c) */
    uint64_t rng;           /* the randomised mode's generator (owner only) */
    rta__worker_stats stats;
    /* Each engine's per-worker state, by its slot (engine.h). */
    void *engine[RTA__ENGINE_SLOTS];
    void *sched_sp; /* the loop's context while a stackful task runs */
    /* Live-work accounting (see rta__live_add): written by the owner only. */
    _Atomic uint64_t live_started, live_finished;
    rta__deque deque; /* free work, stealable */
} rta__worker;

typedef struct rta__runtime {
    unsigned nworkers;
    rta__worker **workers;
    _Atomic int stopping;
    /* Live work started / finished by threads that are not workers. */
    _Atomic uint64_t live_started, live_finished;
    pthread_mutex_t lock; /* guards the global queue */
    rta__fifo global;
    _Atomic size_t global_len;
    _Atomic unsigned idle_count; /* workers whose idle flag is 1 */
    _Atomic unsigned wake_rr;    /* where wake_one starts looking */
    unsigned nstarted;           /* workers past their set-up (guarded by start_lock) */
    /* The randomised scheduling mode's seed (RTA_SCHED_RANDOM; 0: off), set by
     * rta_init before the workers start (worker.c, next_work_random). */
    uint64_t random_seed;
    /* Threads other than the workers currently inside rta__sched_submit or
     * rta__sched_ready_on: rta__sched_stop waits for 0 before freeing what
     * they touch (see foreign_enter in worker.c). */
    _Atomic unsigned foreign_inside;
    /* The engines rta__sched_start was given (engine.h), and the stackful
     * one among them (NULL if none). Fixed while workers run. */
    struct rta__engine *const *engines;
    unsigned nengines;
    const struct rta__engine *stackful;
} rta__runtime;

extern rta__runtime rta__rt;

static inline rta__worker *rta__cur_worker(void)
{
    return rta__tls_state.worker;
}

/* Queue free work (stealable). Any thread. */
RTA__HIDDEN void rta__sched_submit(rta__work *w);
/* Queue bound work on worker wk. Any thread. */
RTA__HIDDEN void rta__sched_ready_on(rta__worker *wk, rta__work *w);
/* Every RTA__SCHED_FAIR_TICKS-th loop tick looks at the global queue, the
 * inbox and due timers first (worker.c). */
#define RTA__SCHED_FAIR_TICKS 61

/* Owner only: the next ready work by the scheduling loop's order (local
 * FIFO, own deque, inbox, global queue, due timers now and then), without
 * stealing; NULL when none. Counts as one loop tick. For engines that pick
 * their successor on a suspending task's own stack. Due timers may fire. */
RTA__HIDDEN rta__work *rta__sched_next_ready(rta__worker *wk);

/* Owner only: the loop's own choice when it is the common one, inline: not
 * a fairness tick, and the local FIFO has work and is looked at first this
 * tick (odd ticks, or an empty deque). Then it pops it and counts the tick;
 * otherwise NULL, changing nothing (call rta__sched_next_ready). Runs no
 * other code. */
static inline rta__work *rta__sched_next_local(rta__worker *wk)
{
    uint64_t tick = wk->tick + 1;
    rta__work *w = wk->local.head;
    if (rta__likely(w != NULL && wk->fair_left != 0 && ((tick & 1) || !rta__deque_maybe_items(&wk->deque)))) {
        __atomic_store_n(&wk->tick, tick, __ATOMIC_RELAXED); /* read by the stall watcher */
        wk->fair_left--;
        wk->local.head = w->next;
        if (!w->next)
            wk->local.tail = NULL;
        return w;
    }
    return NULL;
}
/* Owner only: rta__fifo_push(&wk->local, w) followed by
 * rta__sched_next_local(wk), in fewer steps (a yield: the yielding work goes
 * to the back and the front comes out, one queue update). Returns what
 * next_local would have: the front (w itself when the FIFO was empty, then
 * left empty), counting the tick; or NULL, with w queued and nothing else
 * changed, when this tick does not take the local FIFO first. *tick_out:
 * the tick counted when the front is returned (wk->tick, without a load
 * after its atomic store). */
static inline rta__work *rta__sched_requeue_local(rta__worker *wk, rta__work *w, uint64_t *tick_out)
{
    uint64_t tick = wk->tick + 1;
    *tick_out = tick;
    rta__work *h = wk->local.head;
    w->next = NULL;
    if (rta__likely(wk->fair_left != 0 && ((tick & 1) || !rta__deque_maybe_items(&wk->deque)))) {
        if (!h) {
            __atomic_store_n(&wk->tick, tick, __ATOMIC_RELAXED); /* read by the stall watcher */
            wk->fair_left--;
            return w;
        }
        /* No branch on whether h was alone: then the tail is h, and h's
         * link, stale once h is popped (nothing reads a popped work's next;
         * every push rewrites it), makes w the new head. The tick's store
         * between the tail's and the head's keeps gcc from pairing those
         * two in a vector store, which cost an instruction more per yield
         * (and the new head out of a general register: rta_yield_cfg
         * reads it). */
        wk->local.tail->next = w;
        wk->local.tail = w;
        __atomic_store_n(&wk->tick, tick, __ATOMIC_RELAXED); /* read by the stall watcher */
        wk->fair_left--;
        wk->local.head = h->next;
        return h;
    }
    rta__fifo_push(&wk->local, w);
    return NULL;
}
/* Accounting for shutdown: n > 0 units of live work started, n < 0 finished.
 * No atomic read-modify-write on workers (see worker.c). */
RTA__HIDDEN void rta__live_add(long n);
/* True when everything started has finished (shutdown's condition). */
RTA__HIDDEN bool rta__live_quiescent(void);

/* rta__sched_start / rta__sched_stop: src/sched/engine.h. */

#endif
