/*
 * Worker threads and the scheduling loop.
 *
 * Loop order (one item per iteration):
 *   every 61st tick (RTA__SCHED_FAIR_TICKS): the global queue, the inbox and due timers first, so that
 *                    a busy worker never starves work from outside;
 *   odd ticks:       local FIFO, then own deque;   even ticks: the reverse,
 *                    so that a task that keeps yielding (local FIFO) cannot
 *                    starve unstarted tasks (deque) and vice versa;
 *   then:            inbox, global queue, stealing from the other workers.
 * With nothing found, the worker fires due timers and goes idle (idle_wait).
 *
 * Wake-up protocol: a worker that goes idle first marks itself idle
 * (seq_cst), then checks every source once more, then parks. Whoever makes
 * free work available publishes it first, then (seq_cst) reads idle_count and
 * unparks one idle worker. Either the idle worker's re-check sees the work or
 * the submitter sees the idle worker: no lost wake-up. Bound work always
 * unparks its own worker directly.
 */
#include "engine.h"

#include <errno.h>
#include <string.h>

rta__runtime rta__rt;

/*
 * Live work is counted as "started" and "finished" per thread that does it: a
 * worker writes its own counters with plain release stores; other threads use
 * the global atomics. rta__live_quiescent reads every finished counter, then
 * every started counter (acquire). A unit's start happens-before its finish,
 * so any finish it sees has its start visible too; and a unit that is still
 * live was either counted as started (making started > finished) or started
 * by a unit whose finish is not visible yet (likewise). Hence
 * started == finished implies nothing is live.
 */
void rta__live_add(long n)
{
    rta__worker *wk = rta__cur_worker();
    _Atomic uint64_t *c;
    if (wk) {
        c = n > 0 ? &wk->live_started : &wk->live_finished;
        uint64_t v = atomic_load_explicit(c, memory_order_relaxed);
        atomic_store_explicit(c, v + (uint64_t)(n > 0 ? n : -n), memory_order_release);
    } else {
        c = n > 0 ? &rta__rt.live_started : &rta__rt.live_finished;
        atomic_fetch_add_explicit(c, (uint64_t)(n > 0 ? n : -n), memory_order_acq_rel);
    }
}

bool rta__live_quiescent(void)
{
    uint64_t finished = atomic_load_explicit(&rta__rt.live_finished, memory_order_acquire);
    for (unsigned i = 0; i < rta__rt.nworkers; i++)
        finished += atomic_load_explicit(&rta__rt.workers[i]->live_finished, memory_order_acquire);
    uint64_t started = atomic_load_explicit(&rta__rt.live_started, memory_order_acquire);
    for (unsigned i = 0; i < rta__rt.nworkers; i++)
        started += atomic_load_explicit(&rta__rt.workers[i]->live_started, memory_order_acquire);
    return started == finished;
}

/* ---- queues ------------------------------------------------------------------------- */

static void global_push(rta__work *w)
{
    pthread_mutex_lock(&rta__rt.lock);
    rta__fifo_push(&rta__rt.global, w);
    atomic_fetch_add(&rta__rt.global_len, 1);
    pthread_mutex_unlock(&rta__rt.lock);
}

static rta__work *global_pop(void)
{
    if (atomic_load_explicit(&rta__rt.global_len, memory_order_relaxed) == 0)
        return NULL;
    pthread_mutex_lock(&rta__rt.lock);
    rta__work *w = rta__fifo_pop(&rta__rt.global);
    if (w)
        atomic_fetch_sub(&rta__rt.global_len, 1);
    pthread_mutex_unlock(&rta__rt.lock);
    return w;
}

/* Moves everything other threads pushed into the local FIFO, oldest first. */
static rta__work *take_inbox(rta__worker *wk)
{
    if (!atomic_load_explicit(&wk->inbox, memory_order_relaxed))
        return NULL;
    rta__work *w = atomic_exchange_explicit(&wk->inbox, NULL, memory_order_acquire);
    rta__work *fifo = NULL;
    while (w) {
        rta__work *n = w->next;
        w->next = fifo;
        fifo = w;
        w = n;
    }
    while (fifo) {
        rta__work *n = fifo->next;
        rta__fifo_push(&wk->local, fifo);
        fifo = n;
    }
    return rta__fifo_pop(&wk->local);
}

static rta__work *steal(rta__worker *wk)
{
    unsigned n = rta__rt.nworkers;
    unsigned start = (unsigned)(wk->tick * 2654435761u) % n;
    for (unsigned i = 0; i < n; i++) {
        rta__worker *victim = rta__rt.workers[(start + i) % n];
        if (victim == wk)
            continue;
        rta__work *w = rta__deque_steal(&victim->deque);
        if (w) {
            RTA__STAT_INC(wk, steals, 1);
            return w;
        }
    }
    return NULL;
}

/* Claims one idle worker (its idle flag 1 -> 0; whoever wins the CAS owns
 * the wake-up) and unparks it. Lock-free: a worker that goes idle and a
 * thread that submits work never contend for a lock here. */
static void wake_one(void)
{
    if (atomic_load(&rta__rt.idle_count) == 0)
        return;
    unsigned n = rta__rt.nworkers;
    unsigned start = atomic_fetch_add_explicit(&rta__rt.wake_rr, 1, memory_order_relaxed);
    for (unsigned i = 0; i < n; i++) {
        rta__worker *wk = rta__rt.workers[(start + i) % n];
        int one = 1;
        if (atomic_load_explicit(&wk->idle, memory_order_relaxed) == 1 &&
            atomic_compare_exchange_strong(&wk->idle, &one, 0)) {
            atomic_fetch_sub(&rta__rt.idle_count, 1);
            rta__parker_unpark(&wk->parker);
            return;
        }
    }
}

/*
 * A thread that is not a worker publishes work and only then wakes a
 * worker. Between the two, the worker may run the work to completion, the
 * program see it finished and call rta_shutdown, and rta__sched_stop free the
 * worker (its parker, the worker array) under the waker's feet: a use after
 * free TSan reported (issue 20, test core_shutdown_race). So such a thread
 * counts itself in before publishing and out after its last access;
 * rta__sched_stop waits for the count to drop to 0. The increment comes
 * before the publication, so a shutdown that saw the work finished sees it
 * too (publication, run, finish and shutdown's acquire read are ordered).
 * Worker threads need no count: stop joins them before freeing anything.
 */
static inline void foreign_enter(void)
{
    atomic_fetch_add_explicit(&rta__rt.foreign_inside, 1, memory_order_seq_cst);
}

static inline void foreign_leave(void)
{
    atomic_fetch_sub_explicit(&rta__rt.foreign_inside, 1, memory_order_release);
}

void rta__sched_submit(rta__work *w)
{
    rta__worker *wk = rta__cur_worker();
    if (wk && rta__rt.nworkers == 1) {
        /* Nobody could steal it: the private FIFO avoids the deque's fences,
         * and the only worker is this one, awake. */
        rta__fifo_push(&wk->local, w);
        return;
    }
    if (!wk) {
        foreign_enter();
        global_push(w);
        atomic_thread_fence(memory_order_seq_cst);
        wake_one();
        foreign_leave();
        return;
    }
    if (!rta__deque_push(&wk->deque, w))
        global_push(w);
    atomic_thread_fence(memory_order_seq_cst);
    wake_one();
}

void rta__sched_ready_on(rta__worker *wk, rta__work *w)
{
    rta__worker *cur = rta__cur_worker();
    if (cur == wk) {
        rta__fifo_push(&wk->local, w);
        return;
    }
    if (!cur)
        foreign_enter();
    rta__work *head = atomic_load_explicit(&wk->inbox, memory_order_relaxed);
    do
        w->next = head;
    while (!atomic_compare_exchange_weak_explicit(&wk->inbox, &head, w, memory_order_release,
                                                  memory_order_relaxed));
    rta__parker_unpark(&wk->parker);
    if (!cur)
        foreign_leave();
}

/* ---- the loop ------------------------------------------------------------------------ */

static void fire_timers(rta__worker *wk)
{
    rta__timer *t = rta__timer_heap_peek(&wk->timers);
    if (!t)
        return;
    uint64_t now = rta__now_ns();
    while (t && t->deadline_ns <= now) {
        rta__timer_heap_pop(&wk->timers);
        t->fire(t);
        t = rta__timer_heap_peek(&wk->timers);
    }
}

/* The randomised scheduling mode (RTA_SCHED_RANDOM=seed, for stress tests:
 * docs/testing.md). Every pick fires due timers, rotates the local FIFO by
 * 0-3 places (bound work runs in a shuffled order), then looks at the
 * sources (local FIFO, own deque, inbox, global queue, stealing) starting at
 * a random one, so a worker may steal or take outside work while it has its
 * own. fair_left stays 0: the inline pick (rta__sched_next_local) then
 * always defers to this one. Costs the normal mode one predictable branch in
 * next_work and nothing on the inline path. */
static uint64_t rng_next(rta__worker *wk)
{
    uint64_t x = wk->rng; /* xorshift64*, never 0 */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    wk->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static rta__work *next_work_random(rta__worker *wk, bool may_steal)
{
    rta__work *w = NULL;
    uint64_t tick = wk->tick + 1;
    __atomic_store_n(&wk->tick, tick, __ATOMIC_RELAXED); /* read by the stall watcher */
    wk->fair_left = 0;
    uint64_t r = rng_next(wk);
    if (wk->timers.len)
        fire_timers(wk);
    if (rta__parker_impl->poll && (r & 7) == 0)
        rta__parker_impl->poll();
    r >>= 3;
    for (unsigned k = r & 3; k && wk->local.head && wk->local.head->next; k--)
        rta__fifo_push(&wk->local, rta__fifo_pop(&wk->local));
    r >>= 2;
    unsigned n = may_steal && rta__rt.nworkers > 1 ? 5 : 4, first = (unsigned)(r % n);
    for (unsigned i = 0; i < n && !w; i++) {
        switch ((first + i) % n) {
        case 0:
            w = rta__fifo_pop(&wk->local);
            break;
        case 1:
            w = rta__deque_maybe_items(&wk->deque) ? rta__deque_pop(&wk->deque) : NULL;
            break;
        case 2:
            w = take_inbox(wk);
            break;
        case 3:
            w = global_pop();
            break;
        default:
            w = steal(wk);
            break;
        }
    }
    return w;
}

static rta__work *next_work(rta__worker *wk, bool may_steal)
{
    rta__work *w;
    if (rta__unlikely(rta__rt.random_seed != 0))
        return next_work_random(wk, may_steal);
    /* Only this worker writes tick; the stall watcher (watch.c) reads it
     * from its thread, so the store is atomic (relaxed: a plain store on
     * every target, and TSan sees it). */
    uint64_t tick = wk->tick + 1;
    __atomic_store_n(&wk->tick, tick, __ATOMIC_RELAXED);
    /* A countdown rather than tick % 61: the inline pick in sched.h tests
     * it with one compare. */
    if (wk->fair_left-- == 0) {
        wk->fair_left = RTA__SCHED_FAIR_TICKS - 1;
        if (wk->timers.len)
            fire_timers(wk);
        /* A poller parker (src/io) delivers I/O events while every worker is busy. */
        if (rta__parker_impl->poll)
            rta__parker_impl->poll();
        if ((w = global_pop()) || (w = take_inbox(wk)))
            return w;
    }
    bool deque = rta__deque_maybe_items(&wk->deque);
    if (tick & 1) {
        if ((w = rta__fifo_pop(&wk->local)) || (deque && (w = rta__deque_pop(&wk->deque))))
            return w;
    } else {
        if ((deque && (w = rta__deque_pop(&wk->deque))) || (w = rta__fifo_pop(&wk->local)))
            return w;
    }
    if ((w = take_inbox(wk)) || (w = global_pop()))
        return w;
    return may_steal && rta__rt.nworkers > 1 ? steal(wk) : NULL;
}

/* The loop's own choice, made by a suspending tasklet on its stack (the
 * direct switch, docs/tasklet.md): same queues, same order, same tick, so
 * fairness is the loop's. Stealing is left to the worker context. */
rta__work *rta__sched_next_ready(rta__worker *wk)
{
    return next_work(wk, false);
}

static bool has_work(rta__worker *wk)
{
    if (wk->local.head || atomic_load(&wk->inbox) || atomic_load(&rta__rt.global_len))
        return true;
    for (unsigned i = 0; i < rta__rt.nworkers; i++) {
        rta__deque *d = &rta__rt.workers[i]->deque;
        if (atomic_load(&d->top) < atomic_load(&d->bottom))
            return true;
    }
    return false;
}

/* Before sleeping in the kernel, watch the queues for a few microseconds:
 * work that arrives meanwhile (a non-async thread spawning and waiting, a
 * completion on another worker) then costs no futex wake-up on either side.
 * An unpark during the spin only flips the parker word (no syscall).
 * The spin stops early when the parker says a park would deliver something
 * at once (ready(), sched.h): a file read through io_uring usually completes
 * while it is submitted, and its completion waits in the ring, where only
 * the poller's round picks it up; spinning first cost such a read ~8.2 us
 * of CPU, the park ~1.8 (docs/io.md "The parker says ready"). */
#define IDLE_SPINS 256

static bool spin_for_work(rta__worker *wk)
{
    bool (*ready)(void) = rta__parker_impl->ready;
    int i;
    bool found = false;
    for (i = 0; i < IDLE_SPINS; i++) {
        if (has_work(wk)) {
            found = true;
            break;
        }
        if (ready && ready())
            break;
        /* An unpark arrived: consume it (1 -> 0) and go look at the queues.
         * Returning without consuming it (only park resets the word) made
         * every later idle_wait see it again and return without parking: the
         * worker looped through its idle path at full CPU for as long as it
         * stayed idle (issue 14's "sync measures half of tasklet": process
         * CPU time counted it). Going to park instead is correct too but
         * costs a yield about 2x (bench_fib tasklet, yield at every leaf):
         * the run queue a wake-up announces is not always one has_work sees.
         * An unpark after this exchange sets the word again: none is lost. */
        int one = 1;
        if (atomic_compare_exchange_strong(&wk->parker.state, &one, 0)) {
            found = true;
            break;
        }
        rta__cpu_relax();
    }
    RTA__STAT_INC(wk, idle_spins, i);
    return found;
}

static void idle_wait(rta__worker *wk)
{
    /* seq_cst: announce idleness before the last look at the queues (the
     * partner is the fence in rta__sched_submit before wake_one). */
    atomic_store(&wk->idle, 1);
    atomic_fetch_add(&rta__rt.idle_count, 1);

    if (!has_work(wk) && !atomic_load(&rta__rt.stopping) && !spin_for_work(wk)) {
        uint64_t timeout = UINT64_MAX;
        rta__timer *t = rta__timer_heap_peek(&wk->timers);
        if (t) {
            uint64_t now = rta__now_ns();
            timeout = t->deadline_ns > now ? t->deadline_ns - now : 0;
        }
        if (timeout) {
            atomic_store_explicit(&wk->parked, 1, memory_order_relaxed);
            RTA__STAT_INC(wk, parks, 1);
            rta__parker_park(&wk->parker, timeout);
            atomic_store_explicit(&wk->parked, 0, memory_order_relaxed);
        }
    }

    /* Still marked idle: nobody claimed us, undo the announcement. A waker
     * that won the CAS already took us off the count. */
    int one = 1;
    if (atomic_compare_exchange_strong(&wk->idle, &one, 0))
        atomic_fetch_sub(&rta__rt.idle_count, 1);
}

/* rta_init returns only once every worker has done its per-thread set-up
 * (the overflow handler's signal stack is allocated there). Otherwise that
 * allocation lands at some moment after rta_init returned, inside whatever
 * the program does next: a test counting allocations saw it as one of its
 * own (async1_suspend failed 3 of 300 runs this way). */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cond = PTHREAD_COND_INITIALIZER;

static void worker_started(void)
{
    pthread_mutex_lock(&start_lock);
    rta__rt.nstarted++;
    pthread_cond_broadcast(&start_cond);
    pthread_mutex_unlock(&start_lock);
}

static void wait_workers_started(unsigned n)
{
    pthread_mutex_lock(&start_lock);
    while (rta__rt.nstarted < n)
        pthread_cond_wait(&start_cond, &start_lock);
    pthread_mutex_unlock(&start_lock);
}

static void *worker_main(void *arg)
{
    rta__worker *wk = arg;
    rta__tls_state.worker = wk;
    rta__tls_state.exec = &rta__tls_state.own;
    /* Work run by this loop (async1 and cont resumptions) has the loop as
     * its root: trace walks stop below this frame. */
    rta__tls_state.own.stack_hi = (uintptr_t)__builtin_frame_address(0);
    for (unsigned i = 0; i < rta__rt.nengines; i++)
        if (rta__rt.engines[i]->thread_enter)
            rta__rt.engines[i]->thread_enter(wk);
    worker_started();
    /* Fixed while the workers run: kept in registers across the loop. */
    const rta__engine *sf = rta__rt.stackful;
    void (*sf_run)(rta__work *) = sf ? sf->run : NULL;
    for (;;) {
        rta__work *w = next_work(wk, true);
        if (w) {
            if (w->run == sf_run) {
                /* Switched to from this frame (engine.h). */
                rta__switch_to to;
                void *task = sf->enter(wk, w, &to);
                if (task) {
                    RTA__ASSERT(to.sp != NULL);
                    rta__sched_switch_in(wk, &to);
                    sf->leave(wk, task);
                }
            } else {
                w->run(w);
            }
            continue;
        }
        fire_timers(wk);
        if (wk->local.head)
            continue;
        if (atomic_load(&rta__rt.stopping))
            break;
        idle_wait(wk);
    }
    /* In reverse: an engine listed later may use one listed earlier. */
    for (unsigned i = rta__rt.nengines; i-- > 0;)
        if (rta__rt.engines[i]->thread_exit)
            rta__rt.engines[i]->thread_exit(wk);
    rta__tls_state.worker = NULL;
    return NULL;
}

/* ---- start / stop -------------------------------------------------------------------- */

static void engines_worker_fini(rta__worker *wk)
{
    for (unsigned i = rta__rt.nengines; i-- > 0;)
        if (rta__rt.engines[i]->worker_fini)
            rta__rt.engines[i]->worker_fini(wk);
}

static int engines_worker_init(rta__worker *wk)
{
    for (unsigned i = 0; i < rta__rt.nengines; i++)
        if (rta__rt.engines[i]->worker_init) {
            int rc = rta__rt.engines[i]->worker_init(wk);
            if (rc < 0)
                return rc;
        }
    return 0;
}

static void set_engines(rta__engine *const *engines, unsigned nengines)
{
    if (nengines > RTA__ENGINE_SLOTS)
        rta__fatal("rta__sched_start: %u engines, room for %d", nengines, RTA__ENGINE_SLOTS);
    rta__rt.engines = engines;
    rta__rt.nengines = nengines;
    rta__rt.stackful = NULL;
    unsigned next = RTA__ENGINE_SLOT_STACKFUL + 1;
    for (unsigned i = 0; i < nengines; i++) {
        rta__engine *e = engines[i];
        if (e->run) {
            if (rta__rt.stackful || !e->enter || !e->leave || !e->fault || !e->cancel_requested ||
                !e->cancel_arm || !e->cancel_disarm || !e->pin || !e->unpin)
                rta__fatal("rta__sched_start: engine '%s': a second stackful engine, or one "
                           "without a stackful hook (engine.h)",
                           e->name);
            rta__rt.stackful = e;
            e->slot = RTA__ENGINE_SLOT_STACKFUL;
        } else {
            if (next == RTA__ENGINE_SLOTS)
                rta__fatal("rta__sched_start: no slot left for engine '%s'", e->name);
            e->slot = next++;
        }
    }
    rta__stackful_fault = rta__rt.stackful ? rta__rt.stackful->fault : NULL;
}

int rta__sched_start(unsigned nworkers, rta__engine *const *engines, unsigned nengines)
{
    set_engines(engines, nengines);
    rta__rt.nworkers = nworkers;
    rta__rt.nstarted = 0;
    rta__rt.workers = calloc(nworkers, sizeof *rta__rt.workers);
    if (!rta__rt.workers)
        goto oom;
    for (unsigned i = 0; i < nworkers; i++) {
        rta__worker *wk = aligned_alloc(64, (sizeof *wk + 63) & ~(size_t)63);
        if (!wk)
            goto oom;
        memset(wk, 0, sizeof *wk);
        wk->index = i;
        /* splitmix64 of seed and index: distinct, never 0 in practice. */
        uint64_t z = rta__rt.random_seed + (i + 1) * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        wk->rng = (z ^ (z >> 31)) | 1;
        rta__rt.workers[i] = wk;
        int rc = engines_worker_init(wk);
        if (rc < 0) {
            rta__rt.nworkers = i + 1;
            rta__sched_stop();
            return rc;
        }
    }
    for (unsigned i = 0; i < nworkers; i++) {
        int rc = pthread_create(&rta__rt.workers[i]->thread, NULL, worker_main, rta__rt.workers[i]);
        if (rc != 0) {
            /* Stop the threads already running; the others were never started. */
            atomic_store(&rta__rt.stopping, 1);
            for (unsigned j = 0; j < i; j++) {
                rta__parker_unpark(&rta__rt.workers[j]->parker);
                pthread_join(rta__rt.workers[j]->thread, NULL);
            }
            for (unsigned j = 0; j < nworkers; j++)
                engines_worker_fini(rta__rt.workers[j]);
            for (unsigned j = 0; j < nworkers; j++)
                free(rta__rt.workers[j]);
            free(rta__rt.workers);
            return -rc;
        }
    }
    wait_workers_started(nworkers);
    return 0;
oom:
    /* Workers set up before the failure own engine state too (the array is
     * zeroed: unallocated slots are NULL). */
    if (rta__rt.workers)
        for (unsigned i = 0; i < nworkers; i++) {
            if (rta__rt.workers[i])
                engines_worker_fini(rta__rt.workers[i]);
            free(rta__rt.workers[i]);
        }
    free(rta__rt.workers);
    return -ENOMEM;
}

/* Precondition: no live work (rta_shutdown waited for it). */
void rta__sched_stop(void)
{
    /* Foreign threads still finishing a wake-up for work that already ran
     * (foreign_enter): a few instructions each, so spinning is fine. */
    while (atomic_load_explicit(&rta__rt.foreign_inside, memory_order_acquire))
        sched_yield();
    atomic_store(&rta__rt.stopping, 1);
    for (unsigned i = 0; i < rta__rt.nworkers; i++)
        if (rta__rt.workers[i]->thread)
            rta__parker_unpark(&rta__rt.workers[i]->parker);
    for (unsigned i = 0; i < rta__rt.nworkers; i++)
        if (rta__rt.workers[i]->thread)
            pthread_join(rta__rt.workers[i]->thread, NULL);
    for (unsigned i = 0; i < rta__rt.nworkers; i++) {
        rta__worker *wk = rta__rt.workers[i];
        engines_worker_fini(wk);
        rta__timer_heap_free(&wk->timers);
        free(wk);
    }
    free(rta__rt.workers);
    rta__rt.workers = NULL;
    rta__rt.nworkers = 0;
}
