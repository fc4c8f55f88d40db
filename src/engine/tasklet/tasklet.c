/*
 * Tasklet lifecycle: spawn, start, suspend, resume, finish.
 *
 * Switching protocol (docs/tasklet.md). A tasklet runs only on its worker.
 * The worker loop enters one from its own context (rta__tasklet_enter, the
 * switch, rta__tasklet_leave); from then on a suspending tasklet picks the
 * next ready work itself, on its own stack, by the loop's rules
 * (rta__sched_next_local / rta__sched_next_ready), and switches straight
 * into it when that is a tasklet it can enter from there (switch_on). The
 * loop's context runs again only when nothing is ready, for other engines'
 * work, for a tasklet whose region the suspending one occupies, and when a
 * tasklet ends (finish).
 *
 * Hand-off. A yield queues itself before the pick, so the pick sees it. An
 * await registers with its awaiter only after the switch (rta__tls.stackful_deferred, run
 * by whatever runs next on the worker): the awaiter sees a task whose frames
 * are captured. Either way an awaiter may complete on another thread at
 * once; its waiter only queues the tasklet on its worker, and that worker is
 * busy on this stack or the next one until it picks the tasklet again, so no
 * tasklet ever runs twice.
 */
#include "tasklet.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "../../arch/switch.h"
#include "../../sched/stackful.h"
#include "../../arch/sanitizer.h"

/* rta__tls.stackful holds the running tasklet; the core and the scheduler
 * read it as an rta_task (rta__stackful_task). */
_Static_assert(offsetof(rta__tasklet, task) == 0, "the task handle starts the tasklet");
/* The yield's fields together (tasklet.h), on LP64. */
_Static_assert(sizeof(void *) != 8 ||
                   offsetof(rta__tasklet, reg.susp_fp) + 8 - offsetof(rta__tasklet, work) <= 136,
               "the tasklet's hot fields spread out");
/* What a parked tasklet costs besides its stack copy (issue 21: at most 800
 * bytes per tasklet parked at depth 10 after 500 ms idle; docs/tasklet.md):
 * a malloc chunk of 480 for the object (which holds up to 472 bytes; the
 * object is 464), a region's bookkeeping. */
_Static_assert(sizeof(void *) != 8 || sizeof(rta__tasklet) <= 472, "the tasklet object grew");
_Static_assert(sizeof(void *) != 8 || sizeof(rta__region) <= 40, "the region's bookkeeping grew");

/* Per worker thread, in the core's TLS block (rta__tls): the thread's errno
 * address (set at thread_enter), which each suspension uses to keep its
 * tasklet's errno value across the switch (suspend); and a tasklet that
 * switched out to await or sleep and whose hand-off (awaiter registration,
 * cancel hook) is left to whatever runs next on this worker thread, once
 * its frames are captured (arrived, rta__tasklet_leave). One TLS load
 * each, where the worker's engine state took three dependent ones. */
#define tasklet_errnop (rta__tls_state.stackful_errnop)
#define tasklet_deferred (rta__tls_state.stackful_deferred)

/* ---- switching ---------------------------------------------------------------------- */

static void make_ready(rta__tasklet *t);
static void sleep_arm(rta__tasklet *t);

/* No tasklet is current: the thread runs runtime code, as in the scheduler
 * context (what rta_in_async and the throw machinery look at). */
static inline void no_tasklet(void)
{
    rta__tls_state.stackful = NULL;
    rta__tls_state.exec = &rta__tls_state.own;
}

/* The hand-off of a suspension. A yield's is done by the yielding tasklet
 * itself, before it picks the next work (so that the pick sees it queued):
 * another thread cannot run it, since only its own worker ever runs it and
 * that worker is busy on this very stack; if the pick is the tasklet itself,
 * it simply carries on. An await's registration is done by whoever runs next
 * on the worker (rta__tls.stackful_deferred, see arrived and rta__tasklet_leave): the spec
 * has the awaiter see a fully suspended task (its frames captured, so
 * walkable: tests/tasklet/test_awaiters.c), which it is only once the switch
 * saved its registers. Either runs with no current tasklet, as in the
 * scheduler context: awaiter callbacks see non-async code. */
static void handoff(rta__worker *wk, rta__tasklet *t)
{
    switch (t->reason) {
    case RTA__SUSP_YIELD:
        if (rta__likely(t->resume_via == RTA__RESUME_DIRECT))
            rta__fifo_push(&wk->local, &t->work);
        else
            make_ready(t);
        break;
    case RTA__SUSP_AWAIT: {
        const rta_awaiter_ops *ops = t->await_ops;
        t->await_ops = NULL;
        if (ops->unsafe_on_completed)
            ops->unsafe_on_completed(t->await_self, &t->resume);
        else
            ops->on_completed(t->await_self, &t->resume);
        break;
    }
    case RTA__SUSP_SLEEP:
        sleep_arm(t); /* the timer was armed before switching out */
        break;
    default:
        rta__fatal("tasklet %llu switched out without a reason", (unsigned long long)t->task.id);
    }
}

/* An await hand-off left by the tasklet that switched to us. */
static __attribute__((noinline)) void run_deferred(rta__worker *wk)
{
    rta__tasklet *p = (rta__tasklet *)tasklet_deferred;
    tasklet_deferred = NULL;
    rta__tasklet *cur = rta__tasklet_cur();
    rta__exec *x = rta__tls_state.exec;
    no_tasklet();
    handoff(wk, p);
    rta__tls_state.stackful = cur;
    rta__tls_state.exec = x;
}

/* Called on the tasklet's stack right after it was switched to, by the
 * scheduler context or directly by another tasklet. Whoever switched made it
 * the current tasklet first (enter), so it needs no argument: the switching
 * code keeps nothing live across the switch. */
static inline __attribute__((always_inline)) void arrived(void)
{
#if RTA__ASAN
    rta__tasklet_worker *tw = rta__tasklet_tw(rta__tls_state.worker);
    const void *lo;
    size_t size;
    rta__asan_finish_switch(rta__tasklet_cur()->asan_fake_stack, &lo, &size);
    /* What ASan reports is the stack we came from: a worker's first arrival
     * is always from its scheduler context (only the loop enters a tasklet
     * while none runs), so the first report is the thread's stack; later
     * ones may be another tasklet's region. */
    if (!tw->thread_stack_lo) {
        tw->thread_stack_lo = lo;
        tw->thread_stack_size = size;
    }
#endif
    if (rta__unlikely(tasklet_deferred != NULL))
        run_deferred(rta__tls_state.worker);
}

static int enter_slow(rta__worker *wk, rta__tasklet *t, const rta__region *avoid);

/* Makes resident tasklet t current: the part of enter that every switch
 * into a tasklet does. */
static inline __attribute__((always_inline)) void enter_resident(rta__worker *wk, rta__tasklet *t,
                                                                 rta__region *r, uint64_t tick)
{
    RTA__STAT_INC(wk, resumes_resident, 1);
    r->last_use = tick; /* wk->tick */
    rta__tls_state.stackful = t;
    rta__tls_state.exec = &t->exec;
}

/* The common case inline: t started (it has a region) and is resident. */
static inline int enter(rta__worker *wk, rta__tasklet *t, const rta__region *avoid)
{
    rta__region *r = t->region;
    if (rta__unlikely(!r || r->occupant != t))
        return enter_slow(wk, t, avoid);
    enter_resident(wk, t, r, wk->tick);
    return 1;
}

/* The direct switch from running tasklet t to entered tasklet n != t,
 * without the arrival (switch_on's callers do it: see there). */
static inline __attribute__((always_inline)) void switch_to_only(rta__tasklet *t, rta__tasklet *n)
{
    rta__asan_start_switch(&t->asan_fake_stack, rta__region_lo(n->region), rta__tasklet_cfg.region_bytes);
    rta__tsan_switch_to(n->tsan_fiber);
    rta__ctx_switch(&t->sp, n->sp);
}

/* The direct switch from running tasklet t to entered tasklet n != t. */
static inline __attribute__((always_inline)) void switch_to(rta__tasklet *t, rta__tasklet *n)
{
    switch_to_only(t, n);
    arrived();
}

/* t has done its hand-off (or t finished: reason DONE). Picks the next ready
 * work on this stack and switches straight into it, or to the worker
 * context when that cannot be done from here. w: work already taken from
 * the run queue by the caller, or NULL. Returns once t is resumed; the
 * caller then calls arrived(). Each switch is switch_on's last call, a tail
 * call: its frame is gone before the switch saves t's registers, so a
 * suspended tasklet's stack (what a compaction or an eviction copies) ends
 * at its suspending call's frame plus the switch's 64 bytes (issue 21: 56
 * bytes less per parked tasklet). */
static __attribute__((noinline)) void switch_on(rta__tasklet *t, rta__work *w)
{
    rta__worker *wk = t->worker;
    rta__tasklet_worker *tw = rta__tasklet_tw(wk);
    if (rta__likely(t->reason != RTA__SUSP_DONE)) {
        for (;; w = NULL) {
            if (!w)
                w = rta__sched_next_local(wk);
            if (!w) {
                no_tasklet(); /* due timers may fire */
                w = rta__sched_next_ready(wk);
                if (!w)
                    break;
            }
            if (rta__unlikely(w->run != rta__tasklet_run)) {
                tw->pending = w; /* cont/async1 work runs on the worker's stack */
                break;
            }
            rta__tasklet *n = rta__container_of(w, rta__tasklet, work);
            int entered = enter(wk, n, t->region);
            if (rta__unlikely(entered < 0)) {
                tw->pending = w; /* it needs this region: the scheduler copies */
                break;
            }
            if (rta__unlikely(entered == 0))
                continue; /* it cannot run now (enter_slow says why): the next one */
            if (n != t)
                switch_to_only(t, n);
            else /* the run queue's next is t itself: no switch, but the caller's
                  * arrived() finishes one, so ASan is told of one to t's own
                  * stack ("finishing a fiber switch that has not started"
                  * aborted every ASan test that yielded alone) */
                rta__asan_start_switch(&t->asan_fake_stack, rta__region_lo(t->region),
                                       rta__tasklet_cfg.region_bytes);
            return;
        }
    }
    /* Nothing ready that this stack can enter, or t finished: the worker
     * context takes over (parks, polls, steals, finishes t, runs pending). */
    tw->from = t;
    tw->to_sched++;
    /* A finished tasklet's stack dies: no fake stack to keep (NULL). */
    rta__asan_start_switch(t->reason == RTA__SUSP_DONE ? NULL : &t->asan_fake_stack, tw->thread_stack_lo,
                           tw->thread_stack_size);
    rta__tsan_switch_to(tw->tsan_thread_fiber);
    rta__ctx_switch(&t->sp, wk->sched_sp);
}

/* Every suspension and the end of a tasklet. The current tasklet stays t in
 * the common case (a plain yield, a pick from the local FIFO, entering a
 * resident tasklet: no other code runs); anything that may run other code
 * first says that no tasklet is current, as the scheduler context does. */
static void switch_out(rta__tasklet *t, enum rta__suspend_reason reason)
{
    t->reason = (uint8_t)reason;
    if (reason == RTA__SUSP_YIELD && rta__likely(t->resume_via == RTA__RESUME_DIRECT)) {
        rta__fifo_push(&t->worker->local, &t->work);
    } else if (reason == RTA__SUSP_AWAIT || reason == RTA__SUSP_SLEEP) {
        tasklet_deferred = t; /* registered once switched out */
    } else if (reason != RTA__SUSP_DONE) {
        no_tasklet();
        handoff(t->worker, t);
    }
    switch_on(t, NULL);
    arrived();
}

/* ---- start and finish ------------------------------------------------------------------- */

/* Named rta__* although static: async stack traces drop the runtime's own
 * frames by that prefix, so a trace ends at the task's root function. */
/* Ends the running tasklet with outcome/result/error: its frames are simply
 * abandoned (the region is reused), so no unwinding is needed. Never returns. */
static __attribute__((noreturn)) void end_running(rta__tasklet *t, rta_status outcome, int64_t result,
                                                  rta_error *e)
{
    t->outcome = outcome;
    t->result = result;
    t->error = e;
    t->exec.try_top = NULL;
    t->exec.handler_depth = 0;
    switch_out(t, RTA__SUSP_DONE);
    rta__fatal("finished tasklet %llu was resumed", (unsigned long long)t->task.id);
}

/* fn returned v: the end of the running tasklet (read from TLS). */
static __attribute__((noinline, noreturn)) void rta__tasklet_return(int64_t v)
{
    rta__tasklet *t = rta__tasklet_cur();
    if (rta__unlikely(t->exec.try_top != NULL)) {
        /* fn left an RTA_TRY with return/break/goto: the records are dead. */
        rta_error *e = rta_error_new(RTA_EINVALIDPROGRAM, "an RTA_TRY body was left with return/break/goto");
        end_running(t, RTA_FAULTED, 0, e ? e : rta__error_oom());
    }
    end_running(t, RTA_SUCCEEDED, v, NULL);
}

/* The first arrival of a tasklet (its arg: the tasklet, which is also the
 * current one once arrived). */
static __attribute__((noinline)) rta__tasklet *tasklet_begin(void)
{
    arrived();
    return rta__tasklet_cur();
}

/* The root of every tasklet. It arms no handler of its own: a throw that
 * finds no handler in the task ends up in rta__tasklet_fault, which faults
 * the task right there (a setjmp per task saved, a fifth of an empty task's
 * cost). Named rta__*: traces drop the runtime's frames. It is the
 * outermost frame of every tasklet's stack, which a compaction copies with
 * the rest: nothing lives across any of its calls (each returns what the
 * next needs, the end reads the tasklet back from TLS), so it is the return
 * address and the frame pointer, 16 bytes (it kept t in a callee-saved
 * register, with padding: 32; issue 21). */
static void rta__tasklet_entry(void *arg)
{
    (void)arg;
    rta__tasklet *t = tasklet_begin();
    rta__tasklet_return(((rta_fn)t->reg.fn)(t->arg));
}

static __attribute__((noreturn)) void rta__tasklet_fault(rta_error *e)
{
    rta__tasklet *t = rta__tasklet_cur();
    end_running(t, rta__error_status(e), 0, e);
}

static void finish(rta__worker *wk, rta__tasklet *t)
{
    rta__tsan_destroy_fiber(t->tsan_fiber); /* switched off it for good */
    t->tsan_fiber = NULL;
    if (t->region->occupant == t)
        t->region->occupant = NULL;
    rta__region_unbind(rta__tasklet_tw(wk), t->region);
    /* A registry reader may be walking the copy (rta__tasklet_reg_frames):
     * it goes only under the shard lock that reader holds. */
    bool lock = t->saved && t->reg.shard;
    if (lock)
        rta__reg_lock(&t->reg);
    free(t->saved);
    t->saved = NULL;
    t->saved_len = t->saved_cap = 0;
    if (lock)
        rta__reg_unlock(&t->reg);
    rta_error *e = t->error;
    t->error = NULL;
    if (t->outcome == RTA_CANCELED) {
        rta_error_free(e);
        e = NULL;
    }
    (void)wk;
    /* The task's context dies with it (its values may be freed now); the
     * waiters run after, so what they observe of the locals is final. */
    rta__locals_release(t->exec.locals);
    t->exec.locals = NULL;
    rta__live_add(-1);
    if (atomic_load_explicit(&t->task.refs, memory_order_acquire) == 1 &&
        atomic_load_explicit(&t->task.waiters, memory_order_acquire) == NULL) {
        /* Fire-and-forget: the runtime holds the only reference and nobody
         * waits, so nobody can observe the outcome (a new reference or
         * waiter needs a reference to begin with): skip the completion's
         * exchange and the release's decrement. */
        if (rta__unlikely(e != NULL))
            rta__unobserved_fault(t->task.id, e); /* released before it faulted */
        rta_error_free(e);
        rta_error_free(t->task.error);
        t->task.error = NULL;
        t->task.destroy(&t->task);
        return;
    }
    rta__task_complete_owned(&t->task, t->outcome, t->result, e);
    rta_task_release(&t->task); /* the runtime's reference */
}

/* A tasklet that could not get a region (no memory to evict the occupant of
 * one) never starts: it faults with -ENOMEM, as a failed allocation in its
 * body would have. */
static void fail_start(rta__worker *wk, rta__tasklet *t)
{
    (void)wk;
    rta_error *e = rta_error_new(-ENOMEM,
                                 "task %llu could not start: no memory to copy out a "
                                 "suspended task's stack and free a region",
                                 (unsigned long long)t->task.id);
    rta__locals_release(t->exec.locals);
    t->exec.locals = NULL;
    rta__task_complete_owned(&t->task, RTA_FAULTED, 0, e ? e : rta__error_oom());
    rta_task_release(&t->task);
    rta__live_add(-1);
}

static void tasklet_timer_fire(rta__timer *tm);

/* ---- resumption through the captured sync context / scheduler ---------------------- */

/* What a sync context's post or a scheduler's queue is handed: it decides
 * *when* the tasklet continues; *where* is fixed, since a started tasklet's
 * frames live in its worker's region (worker affinity, docs/semantics.md). */
static void tasklet_posted(void *arg)
{
    rta__tasklet *t = arg;
    rta__sched_ready_on(t->worker, &t->work);
}

/* Makes a suspended t runnable again, the way its await decided. Any thread;
 * runs once per suspension (the awaiter's waiter, the timer, or the yield). */
static void make_ready(rta__tasklet *t)
{
    if (!rta__resume_wake(&t->reg, t->resume_via, t->resume_target, tasklet_posted, t))
        rta__sched_ready_on(t->worker, &t->work);
}

/* Task context, right before switching out: decide how this suspension
 * resumes from the context current now (see rta__resume_plan). */
static inline void capture_resume(rta__tasklet *t, bool continue_on_captured)
{
    t->resume_via =
        rta__resume_plan(t->exec.sync_ctx, t->exec.scheduler, continue_on_captured, &t->resume_target);
}

/* A resume that could not get its region back (no memory to copy out the
 * occupant, or the occupant is pinned), or a start that found every region
 * pinned: t stays runnable and tries again in RETRY_MS, when memory may
 * have returned; meanwhile the worker runs everything else. Its timer is
 * free: t is not sleeping, it is being resumed. */
#define RETRY_MS 1

static void retry_fire(rta__timer *tm)
{
    rta__tasklet *t = rta__container_of(tm, rta__tasklet, timer);
    t->timer.fire = tasklet_timer_fire;
    rta__fifo_push(&t->worker->local, &t->work);
}

static void retry_later(rta__worker *wk, rta__tasklet *t)
{
    t->timer.fire = retry_fire;
    t->timer.deadline_ns = rta__now_ns() + RETRY_MS * 1000000u;
    if (rta__timer_heap_add(&wk->timers, &t->timer) < 0) {
        /* Not even the timer's slot: retry at the loop's next turn. */
        t->timer.fire = tasklet_timer_fire;
        rta__fifo_push(&wk->local, &t->work);
    }
}

/* Makes t's frames present in its region (starting it, or copying it back if
 * it was evicted) and makes it the current tasklet. `avoid` is the region
 * whose stack this runs on (a direct switch), which must not be touched, or
 * NULL (the scheduler context). Returns 1 when t can be switched to, 0 when
 * it cannot now (it could not start and has been faulted, or its region
 * could not be had for lack of memory and it retries later), -1 when t
 * needs region `avoid`. */
static __attribute__((noinline)) int enter_slow(rta__worker *wk, rta__tasklet *t, const rta__region *avoid)
{
    rta__region *r;
    no_tasklet(); /* a failed start completes t: its waiters run */
    if (!t->started) {
        r = rta__region_pick(wk, avoid);
        if (rta__unlikely(!r)) {
            if (avoid)
                return -1; /* the scheduler context tries every region */
            if (rta__regions_all_pinned(wk)) {
                t->worker = wk; /* bound from now on, as its start would */
                retry_later(wk, t);
                return 0;
            }
            fail_start(wk, t);
            return 0;
        }
        t->worker = wk;
        t->region = r;
        t->started = true;
        r->nbound++;
        r->occupant = t;
        rta__region_dirtied(wk, rta__tasklet_tw(wk), r);
        t->exec.stack_lo = (uintptr_t)rta__region_lo(r);
        t->exec.stack_hi = (uintptr_t)r->top;
        /* A task that faulted abandoned its frames, redzones and all. */
        rta__asan_unpoison(rta__region_lo(r), rta__tasklet_cfg.region_bytes);
        t->sp = rta__ctx_prepare(r->top, rta__tasklet_entry, t);
        t->tsan_fiber = rta__tsan_create_fiber();
        RTA__STAT_INC(wk, tasks_spawned, 1);
    } else {
        r = t->region;
        if (rta__likely(r->occupant == t)) {
            RTA__STAT_INC(wk, resumes_resident, 1);
        } else {
            if (r == avoid)
                return -1;
            if (rta__unlikely(!rta__region_enter(wk, r, t))) {
                retry_later(wk, t);
                return 0;
            }
            RTA__STAT_INC(wk, resumes_restored, 1);
            if (r->compacted) /* a refault: give this region longer next time */
                rta__compact_refault(r);
        }
    }
    r->last_use = wk->tick;
    rta__tls_state.stackful = t;
    rta__tls_state.exec = &t->exec;
    return 1;
}

/* Scheduler context, before the switch. Returns NULL if t could not start
 * (it has been faulted). */
static inline __attribute__((always_inline)) rta__tasklet *rta__tasklet_enter(rta__worker *wk, rta__work *w)
{
    rta__tasklet *t = rta__container_of(w, rta__tasklet, work);
    return enter(wk, t, NULL) > 0 ? t : NULL;
}

/* Where the loop switches to enter t (engine.h). */
static inline void fill_switch(const rta__tasklet *t, rta__switch_to *to)
{
    to->sp = t->sp;
#if RTA__ASAN
    to->stack_lo = rta__region_lo(t->region);
    to->stack_size = rta__tasklet_cfg.region_bytes;
#endif
#if RTA__TSAN
    to->tsan_fiber = t->tsan_fiber;
#endif
}

/* Scheduler context, after the switch into `entered` returned: some tasklet
 * (tw->from, not necessarily `entered`: tasklets switch to each other)
 * switched back. Its hand-off is done unless it finished; then the work it
 * handed over. */
static void rta__tasklet_leave(rta__worker *wk, rta__tasklet *entered)
{
    rta__tasklet_worker *tw = rta__tasklet_tw(wk);
    (void)entered;
    for (;;) {
        rta__tasklet *t = tw->from;
        tw->from = NULL;
        no_tasklet();
        if (tasklet_deferred)
            run_deferred(wk);
        if (t->reason == RTA__SUSP_DONE)
            finish(wk, t);
        rta__work *w = tw->pending;
        if (!w)
            return;
        tw->pending = NULL;
        if (w->run != rta__tasklet_run) {
            w->run(w);
            return;
        }
        t = rta__tasklet_enter(wk, w);
        if (!t)
            return;
        rta__switch_to to;
        fill_switch(t, &to);
        rta__sched_switch_in(wk, &to);
    }
}

/* The engine hooks around the loop's switch. */
static void *engine_enter(rta__worker *wk, rta__work *w, rta__switch_to *to)
{
    rta__tasklet *t = rta__tasklet_enter(wk, w);
    if (t)
        fill_switch(t, to);
    return t;
}

static void engine_leave(rta__worker *wk, void *task)
{
    rta__tasklet_leave(wk, task);
}

/* The work function of every tasklet. The worker loop recognises it and
 * runs enter / switch / leave itself (src/sched/engine.h); this
 * out-of-line form is for any other caller. */
void rta__tasklet_run(rta__work *w)
{
    rta__worker *wk = rta__cur_worker();
    rta__tasklet *t = rta__tasklet_enter(wk, w);
    if (t) {
        rta__switch_to to;
        fill_switch(t, &to);
        rta__sched_switch_in(wk, &to);
        rta__tasklet_leave(wk, t);
    }
}

static void tasklet_resume_cb(rta_waiter *w)
{
    rta__tasklet *t = rta__container_of(w, rta__tasklet, resume);
    make_ready(t);
}

static void tasklet_timer_fire(rta__timer *tm)
{
    rta__tasklet *t = rta__container_of(tm, rta__tasklet, timer);
    if (atomic_exchange_explicit(&t->sleep_claim, 1, memory_order_acq_rel))
        return; /* a cancel resumed the sleeper first */
    /* The timer fires on the sleeper's own worker: the direct path is its
     * local FIFO (no atomics). */
    if (!rta__resume_wake(&t->reg, t->resume_via, t->resume_target, tasklet_posted, t))
        rta__fifo_push(&t->worker->local, &t->work);
}

#define FREE_TASKLETS_MAX 256

static void tasklet_destroy(rta_task *task)
{
    rta__tasklet *t = (rta__tasklet *)task;
    /* Listed until here: a completed task someone holds shows as such. */
    rta__reg_remove_if(&t->reg);
    free(t->saved);
    rta__worker *wk = rta__cur_worker();
    rta__tasklet_worker *tw = wk ? rta__tasklet_tw(wk) : NULL;
    if (tw && tw->nfree < FREE_TASKLETS_MAX) {
        /* The free list links through the (now unused) work node. */
        t->work.next = (rta__work *)tw->free_tasklets;
        tw->free_tasklets = t;
        tw->nfree++;
        return;
    }
    free(t);
}

static rta__tasklet *tasklet_alloc(void)
{
    rta__worker *wk = rta__cur_worker();
    rta__tasklet_worker *tw = wk ? rta__tasklet_tw(wk) : NULL;
    if (tw && tw->free_tasklets) {
        rta__tasklet *t = tw->free_tasklets;
        tw->free_tasklets = (rta__tasklet *)t->work.next;
        tw->nfree--;
        return t;
    }
    return malloc(sizeof(rta__tasklet));
}

rta_task *rta_spawn(rta_fn fn, void *arg)
{
    if (!rta__running || !fn) {
        if (fn)
            rta__forked_refuse("rta_spawn");
        errno = fn ? EAGAIN : EINVAL;
        return NULL;
    }
    rta__tasklet *t = tasklet_alloc();
    if (!t) {
        errno = ENOMEM;
        return NULL;
    }
    /* Two references: the caller's and the runtime's (dropped at finish). */
    rta__task_init(&t->task, RTA__TASK_TASKLET, 2, tasklet_destroy);
    /* Every field is set here, no memset: a recycled object is reused as is,
     * and a `rep stos` of the whole object was a fifth of a spawn's cost. */
    rta__exec *cur = rta__cur_exec();
    t->work = (rta__work){.next = NULL, .run = rta__tasklet_run};
    t->reg.fn = (const void *)fn;
    t->arg = arg;
    t->worker = NULL;
    t->region = NULL;
    t->sp = NULL;
    t->saved = NULL;
    t->saved_len = t->saved_cap = 0;
    t->reason = RTA__SUSP_NONE;
    t->started = false;
    t->outcome = RTA_PENDING;
    t->result = 0;
    t->error = NULL;
    /* The spawner's context flows in (a counted reference to its locals);
     * changes the task makes stay in its own exec (the thunk rule). */
    rta__ctx c = rta__ctx_capture(cur);
    t->exec = (rta__exec){.locals = c.locals, .sync_ctx = c.sync_ctx, .scheduler = c.scheduler};
    t->resume_via = RTA__RESUME_DIRECT;
    t->resume_target = NULL;
    t->await_ops = NULL;
    t->await_self = NULL;
    t->resume = (rta_waiter){.fn = tasklet_resume_cb};
    t->timer = (rta__timer){.heap_index = RTA__TIMER_NONE, .fire = tasklet_timer_fire};
    atomic_store_explicit(&t->cancel, 0, memory_order_relaxed);
    t->cancel_hook = NULL;
    t->pinned = 0;
    t->asan_fake_stack = NULL;
    t->reg.shard = NULL;
    rta__live_add(1);
    rta__sched_submit(&t->work);
    return &t->task;
}

/* ---- cancellation (protocol in sched.h) ------------------------------------------------------ */

#define CANCEL_REQ 1u
#define CANCEL_LOCK 2u

static void cancel_lock(rta__tasklet *t)
{
    while (atomic_fetch_or_explicit(&t->cancel, CANCEL_LOCK, memory_order_acquire) & CANCEL_LOCK)
        while (atomic_load_explicit(&t->cancel, memory_order_relaxed) & CANCEL_LOCK)
            rta__cpu_relax();
}

static void cancel_unlock(rta__tasklet *t)
{
    atomic_fetch_and_explicit(&t->cancel, ~CANCEL_LOCK, memory_order_release);
}

/* The engine's cancel_requested hook (stackful.h): any task, not NULL. */
static bool tasklet_cancel_requested(const rta_task *task)
{
    if (task->kind != RTA__TASK_TASKLET)
        return false;
    return atomic_load_explicit(&((rta__tasklet *)task)->cancel, memory_order_acquire) & CANCEL_REQ;
}

static bool cancel_arm_on(rta__tasklet *t, rta__cancel_hook *h)
{
    cancel_lock(t);
    bool ok = !(atomic_load_explicit(&t->cancel, memory_order_relaxed) & CANCEL_REQ);
    if (ok)
        t->cancel_hook = h;
    cancel_unlock(t);
    return ok;
}

/* The running-task hooks (stackful.h calls them only while a tasklet runs;
 * they still tolerate none). */
static bool tasklet_cancel_arm(rta__cancel_hook *h)
{
    rta__tasklet *t = rta__tasklet_cur();
    return t ? cancel_arm_on(t, h) : true;
}

static void tasklet_pin(void)
{
    rta__tasklet *t = rta__tasklet_cur();
    if (t)
        t->pinned++;
}

static void tasklet_unpin(void)
{
    rta__tasklet *t = rta__tasklet_cur();
    if (t && t->pinned)
        t->pinned--;
}

static void tasklet_cancel_disarm(void)
{
    rta__tasklet *t = rta__tasklet_cur();
    if (!t)
        return;
    cancel_lock(t);
    t->cancel_hook = NULL;
    cancel_unlock(t);
}

/* A cancel point of the running tasklet: throws -ECANCELED once requested. */
static inline void cancel_point(rta__tasklet *t, const char *what)
{
    if (rta__unlikely(atomic_load_explicit(&t->cancel, memory_order_acquire) & CANCEL_REQ))
        rta_throw(-ECANCELED, "%s: task %llu was canceled (rta_task_cancel)", what,
                  (unsigned long long)t->task.id);
}

/* The sleep's hook: resumes the sleeper unless its timer already did. */
static void sleep_cancel(rta__cancel_hook *h)
{
    rta__tasklet *t = rta__container_of(h, rta__tasklet, sleep_hook);
    if (!atomic_exchange_explicit(&t->sleep_claim, 1, memory_order_acq_rel))
        make_ready(t);
}

/* Scheduler context, the sleeper switched out: its hook is armed only now,
 * so that a cancel reads the resumption plan (resume_via) written before
 * the switch; a request that came meanwhile resumes it at once. */
static void sleep_arm(rta__tasklet *t)
{
    t->sleep_hook.fn = sleep_cancel;
    if (!cancel_arm_on(t, &t->sleep_hook))
        sleep_cancel(&t->sleep_hook);
}

/* The engine's cancel hook (engine.h; rta_task_cancel is src/sched/cancel.c). */
static int tasklet_cancel(rta_task *task)
{
    if (task->kind != RTA__TASK_TASKLET)
        return -1;
    rta__tasklet *t = (rta__tasklet *)task;
    atomic_fetch_or_explicit(&t->cancel, CANCEL_REQ, memory_order_seq_cst);
    cancel_lock(t);
    rta__cancel_hook *h = t->cancel_hook;
    t->cancel_hook = NULL; /* one cancel ends the wait; the task disarms anyway */
    if (h)
        h->fn(h);
    cancel_unlock(t);
    return 1;
}

/* ---- async2-only calls ------------------------------------------------------------------- */

RTA__HIDDEN const char *rta__handler_func(const rta__exec *x);

/* The current tasklet, or a thrown error saying why there is none / why the
 * call is not allowed here. */
static rta__tasklet *async_context(const char *what)
{
    rta__tasklet *t = rta__tasklet_cur();
    if (rta__unlikely(!t) && rta_in_async())
        rta_throw(RTA_ENOTASYNC,
                  "%s called from a cont function: it is a tasklet-only call; "
                  "cont code awaits only through the RTA_CONT_* macros "
                  "(RTA_CONT_AWAIT_TASK, RTA_CONT_YIELD, RTA_CONT_SLEEP_MS)",
                  what);
    if (rta__unlikely(!t))
        rta_throw(RTA_ENOTASYNC,
                  "%s called from non-async code (outside any task); "
                  "use rta_spawn/rta_task_wait there",
                  what);
    if (rta__unlikely(t->exec.handler_depth > 0))
        rta_throw(RTA_EINVALIDPROGRAM, "%s inside a catch or finally handler in function '%s'", what,
                  rta__handler_func(&t->exec));
    return t;
}

/* What every suspension does before it switches out: keep t's errno value,
 * decide how it resumes, register it and note the wait. fp: the frame of
 * the suspending call, where a registry walk starts (rta__tasklet_reg_frames). */
static inline __attribute__((always_inline)) void
suspend_begin(rta__tasklet *t, enum rta__suspend_reason reason, bool cfg, uintptr_t fp)
{
    /* errno is the thread's, and other tasks (and the worker loop) run on
     * this thread while t is suspended: t gets its own value back. A
     * tasklet never changes threads (tasklet.h), so its worker's errno
     * address (taken once on that thread, tasklet_errnop: no call to
     * __errno_location here) is its errno before and after the switch. */
    t->saved_errno = *tasklet_errnop;
    capture_resume(t, cfg);
    /* Tasks that never suspend never touch the registry (registry.h). */
    if (rta__unlikely(!t->reg.shard))
        rta__reg_add(&t->reg, &t->task, "tasklet", t->reg.fn, RTA__REG_PC_RETURN, rta__tasklet_reg_frames,
                     NULL, 0);
    /* The async stack is the suspending call's callers up to the region's
     * top: read when asked (rta__tasklet_reg_frames), from fp, never walked now. */
    atomic_store_explicit(&t->reg.susp_fp, fp, memory_order_relaxed);
    rta__reg_note(&t->reg,
                  reason == RTA__SUSP_AWAIT   ? RTA__REG_AWAITING
                  : reason == RTA__SUSP_SLEEP ? RTA__REG_SLEEPING
                                              : RTA__REG_RUNNABLE,
                  t->await_ops, t->await_self, t->timer.deadline_ns);
    RTA__STAT_INC(t->worker, suspensions, 1); /* after the registry: tests poll it */
}

/* What every suspension does once resumed (after arrived()): returns the
 * resumed tasklet, read back from TLS. */
static inline __attribute__((always_inline)) rta__tasklet *suspend_end(void)
{
    rta__tasklet *t = rta__tasklet_cur();
    /* The debug trap for migration: errnop and any TLS address the task's
     * own code cached before the await are this thread's. */
    RTA__ASSERT(rta__tls_state.worker == t->worker);
    rta__reg_resumed(&t->reg);
    *tasklet_errnop = t->saved_errno;
    /* How this suspension resumed was read before t was queued again
     * (make_ready, the timer, the hand-off): nobody reads it while t runs,
     * and the yield's fast path takes it as direct (rta_yield_cfg). */
    t->resume_via = RTA__RESUME_DIRECT;
    return t;
}

/* Every suspension of the running tasklet: decide how it resumes, count it,
 * switch out; returns t once resumed. The callers use the returned t, not
 * their own: the current tasklet is read back from TLS after the switch,
 * and t's errno value is kept in t, so nothing but what the caller itself
 * needs afterwards lives in callee-saved registers across the switch.
 * Their saves stay on a suspended stack, which a compaction copies: 32
 * bytes per parked tasklet (issue 21). */
static inline rta__tasklet *suspend(rta__tasklet *t, enum rta__suspend_reason reason, bool cfg)
{
    suspend_begin(t, reason, cfg, (uintptr_t)__builtin_frame_address(0));
    switch_out(t, reason);
    return suspend_end();
}

/* rta_await's suspension in three calls (issue 21: bytes per parked
 * tasklet). A tasklet parked on a task or promise keeps the frame of the
 * function that called the switch on its stack, and a compaction copies it:
 * rta_await_cfg's was 64 bytes (four callee-saved registers, the stack
 * arguments of rta__reg_add, the return address and the frame pointer).
 * rta__await_parked, reached from rta_await_cfg by a tail call (whose
 * frame is gone by then), keeps only its return address and frame pointer:
 * the work before and after the switch is out of line (await_begin returns
 * t, await_end reads it back from TLS), so no value lives across any of its
 * calls in a callee-saved register, and the task awaited is t->await_self
 * again after the switch (nothing but this await writes it; the hand-off
 * clears only await_ops). 48 bytes less per parked tasklet. */
static __attribute__((noinline)) rta__tasklet *await_begin(rta__tasklet *t, rta_task *task, bool cfg,
                                                           uintptr_t fp)
{
    t->await_ops = &rta_task_awaiter;
    t->await_self = task;
    suspend_begin(t, RTA__SUSP_AWAIT, cfg, fp);
    t->reason = RTA__SUSP_AWAIT;
    tasklet_deferred = t; /* registered once switched out (switch_out) */
    return t;
}

static __attribute__((noinline)) rta__tasklet *await_end(void)
{
    arrived();
    return suspend_end();
}

static __attribute__((noinline)) int64_t rta__await_parked(rta__tasklet *t, rta_task *task, bool cfg)
{
    t = await_begin(t, task, cfg, (uintptr_t)__builtin_frame_address(0));
    switch_on(t, NULL);
    t = await_end();
    cancel_point(t, "rta_await");
    return rta__task_result_or_throw((rta_task *)t->await_self);
}

/* The suspension entries. Their plain names are macros in rta/context.h that
 * pass the lexical configure-await flag; the functions themselves (named in
 * parentheses here to dodge those macros) use true, the .NET default. */
int64_t rta_await_awaiter_cfg(const rta_awaiter_ops *ops, void *self, bool cfg)
{
    rta__tasklet *t = async_context("rta_await_awaiter");
    if (rta__unlikely(!ops))
        rta_throw(-EINVAL, "rta_await_awaiter: NULL awaiter ops");
    if (ops->is_completed(self))
        return ops->get_result(self);
    t->await_ops = ops;
    t->await_self = self;
    t = suspend(t, RTA__SUSP_AWAIT, cfg);
    return ops->get_result(self);
}

int64_t(rta_await_awaiter)(const rta_awaiter_ops *ops, void *self)
{
    return rta_await_awaiter_cfg(ops, self, true);
}

/* A value task (src/core/vtask.c has its awaiter). */
int64_t rta_vtask_await(rta_vtask vt)
{
    if (vt.obj_ == 0)
        return vt.v_;
    /* vt is a local of the awaiting tasklet: its frames come back at the same
     * addresses, and nobody writes into it while it waits. */
    return rta_await_awaiter_cfg(&rta_vtask_awaiter, &vt, true);
}

int64_t rta_await_cfg(rta_task *task, bool cfg)
{
    rta__tasklet *t = async_context("rta_await");
    if (rta__unlikely(!task))
        rta__throw_null_task("rta_await");
    rta__task_check_live(task, "rta_await");
    cancel_point(t, "rta_await");
    if (!rta__task_done(task))
        return rta__await_parked(t, task, cfg); /* a tail call: this frame is gone */
    return rta__task_result_or_throw(task);
}

int64_t(rta_await)(rta_task *task)
{
    return rta_await_cfg(task, true);
}

int64_t rta_await_release_cfg(rta_task *task, bool cfg)
{
    rta__tasklet *t = rta__tasklet_cur();
    if (rta__unlikely(!t || t->exec.handler_depth > 0)) {
        rta_task_release(task);             /* consumed on this path too */
        async_context("rta_await_release"); /* throws why */
    }
    if (rta__unlikely(!task))
        rta__throw_null_task("rta_await_release");
    rta__task_check_live(task, "rta_await_release");
    if (rta__unlikely(atomic_load_explicit(&t->cancel, memory_order_relaxed))) {
        rta_task_release(task); /* consumed on this path too */
        cancel_point(t, "rta_await_release");
    }
    if (!rta__task_done(task)) {
        t->await_ops = &rta_task_awaiter;
        t->await_self = task;
        t = suspend(t, RTA__SUSP_AWAIT, cfg);
        if (rta__unlikely(atomic_load_explicit(&t->cancel, memory_order_relaxed))) {
            rta_task_release(task);
            cancel_point(t, "rta_await_release");
        }
    }
    return rta__task_consume(task, "rta_await_release");
}

int64_t(rta_await_release)(rta_task *task)
{
    return rta_await_release_cfg(task, true);
}

/* From 2 to 10,000 tasks (issue 21; docs/tasklet.md "cache lines per
 * resume"): among thousands of tasklets, each resume touches lines of a
 * task that last ran a whole round ago: its hot fields, its region, the top
 * of its stack. A yield therefore asks for them ahead, in a pipeline over
 * the run queue. f, the front after this yield's pick, runs at the next
 * switch; g, two places behind it, runs three switches from now, and its
 * hot fields were asked for one yield ago (when it was the one after g);
 * so now g's region and stack top (read from those fields: the switch's
 * saved registers and the yield's frame above them, sp to sp + 112), and
 * the hot fields of the one after g (work to reg.susp_fp: 128 bytes from
 * &work). So a task's fields are asked for four yields before it runs and
 * its region and stack three: one yield ahead, as first written, left the
 * L3's latency showing at 10,000 tasks (docs/tasklet.md "Asking further
 * ahead"). Hints only: a prefetch never faults, and every load here is of
 * an object in the run queue (f is never NULL, a queued work's next is NULL
 * or queued, and only a tasklet's sp and region are read). Not taken with
 * two tasks (the front is the yielder itself), whose yield counts 110
 * instructions at most. */
static inline __attribute__((always_inline)) void prefetch_front(const rta__work *f)
{
    const rta__work *g = f->next;
    if (!g || !(g = g->next))
        return; /* a queue this short keeps its lines in L1 */
    const char *after = (const char *)g->next;
    __builtin_prefetch(after);
    __builtin_prefetch(after + 64);
    __builtin_prefetch(after + 127);
    if (g->run == rta__tasklet_run) {
        const rta__tasklet *m = rta__container_of(g, rta__tasklet, work);
        const char *sp = m->sp;
        __builtin_prefetch(m->region);
        __builtin_prefetch(sp);
        __builtin_prefetch(sp + 64);
        __builtin_prefetch(sp + 111);
    }
}

/* The general yield: every check with its message, suspend() in full. */
static __attribute__((noinline)) void yield_slow(bool cfg)
{
    rta__tasklet *t = async_context("rta_yield");
    cancel_point(t, "rta_yield");
    t = suspend(t, RTA__SUSP_YIELD, cfg);
    cancel_point(t, "rta_yield");
}

/* The common yield inline, with the switch's common case (queue t, the run
 * queue's next is a resident tasklet: switch once, straight into it):
 * a tasklet outside any handler, not canceled, already in the registry,
 * resuming directly (rta__resume_plan). Anything else is yield_slow,
 * which says why it throws. Instructions per yield (callgrind,
 * docs/tasklet.md) are counted here: t's worker is read once (stores to
 * the uint8_t fields below may alias anything, so a re-read would be a
 * load each time), errno's address is a TLS word, and reason is written
 * only when the scheduler context may read it (switch_on). */
void rta_yield_cfg(bool cfg)
{
    rta__tasklet *t = rta__tasklet_cur();
    if (rta__unlikely(!t || t->exec.handler_depth > 0 ||
                      (atomic_load_explicit(&t->cancel, memory_order_acquire) & CANCEL_REQ) ||
                      !t->reg.shard)) {
        yield_slow(cfg);
        return;
    }
    /* Either context captured (rta__resume_plan): one test for both. */
    if (rta__unlikely(((uintptr_t)t->exec.sync_ctx | (uintptr_t)t->exec.scheduler) != 0 && cfg)) {
        yield_slow(cfg);
        return;
    }
    rta__worker *wk = t->worker;
    /* errno as in suspend(), kept in this frame's memory (volatile: not in
     * a callee-saved register): nothing of this frame but the frame pointer
     * lives across the switch in a register (t is the current tasklet
     * again afterwards), so the prologue saves no callee-saved registers
     * that rta__ctx_switch saves again, and the value shares the cache
     * line of the frame, which the resume touches anyway. */
    volatile int saved_errno = *tasklet_errnop;
    uint64_t tick;
    rta__work *w = rta__sched_requeue_local(wk, &t->work, &tick);
    /* The run queue's new front, which runs at the next switch (n's stale
     * link when n was alone: then the front is t). Read here, right after
     * the queue update stored it, so that it needs no load. */
    const rta__work *f = wk->local.head;
    /* resume_via is RTA__RESUME_DIRECT already: the yield comes here only
     * without a captured context, and every suspension that resumes
     * otherwise sets it back once resumed (suspend_end). */
    RTA__ASSERT(t->resume_via == RTA__RESUME_DIRECT);
    /* Two stores for the registry (where the frames start, the state). */
    rta__reg_suspend_at(&t->reg, (uintptr_t)__builtin_frame_address(0), RTA__REG_RUNNABLE);
    rta__tasklet *n;
    rta__region *r;
    if (rta__likely(
            w != NULL && w->run == rta__tasklet_run &&
            (n = rta__container_of(w, rta__tasklet, work), r = n->region, r != NULL && r->occupant == n))) {
        RTA__STAT_INC(wk, suspensions, 1);
        enter_resident(wk, n, r, tick);
        if (n != t) {
            if (f != &t->work)
                prefetch_front(f);
            switch_to(t, n);
        }
    } else {
        RTA__STAT_INC(wk, suspensions, 1);
        t->reason = RTA__SUSP_YIELD;
        switch_on(t, w);
        arrived();
    }
    t = rta__tasklet_cur();
    RTA__ASSERT(rta__tls_state.worker == t->worker); /* as in suspend() */
    rta__reg_resumed(&t->reg);
    *tasklet_errnop = saved_errno;
    cancel_point(t, "rta_yield");
}

void(rta_yield)(void)
{
    rta_yield_cfg(true);
}

void rta_sleep_ms_cfg(uint64_t ms, bool cfg)
{
    rta__tasklet *t = async_context("rta_sleep_ms");
    if (ms == 0) {
        rta_yield_cfg(cfg);
        return;
    }
    cancel_point(t, "rta_sleep_ms");
    t->timer.deadline_ns = rta__now_ns() + ms * 1000000u;
    atomic_store_explicit(&t->sleep_claim, 0, memory_order_relaxed);
    if (rta__timer_heap_add(&t->worker->timers, &t->timer) < 0)
        rta_throw(-ENOMEM, "rta_sleep_ms: no memory for the timer");
    t = suspend(t, RTA__SUSP_SLEEP, cfg); /* the cancel hook is armed after the switch */
    tasklet_cancel_disarm();
    /* Resumed by a cancel: the timer is still armed (owner thread: remove). */
    rta__timer_heap_remove(&t->worker->timers, &t->timer);
    cancel_point(t, "rta_sleep_ms");
}

void(rta_sleep_ms)(uint64_t ms)
{
    rta_sleep_ms_cfg(ms, true);
}

size_t rta_task_frames(rta_task *task, rta_frame_info *out, size_t max)
{
    if (!task)
        return 0;
    rta__task_check_live(task, "rta_task_frames");
    if (task->kind != RTA__TASK_TASKLET)
        return 0;
    rta__tasklet *t = (rta__tasklet *)task;
    /* Only the owner worker can look: nothing else can move the frames then. */
    if (!t->started || rta__task_done(task) || rta__cur_worker() != t->worker || rta__tasklet_cur() == t)
        return 0;
    const rta__region *r = t->region;
    const char *data = r->occupant == t ? (const char *)t->sp : (const char *)t->saved;
    return rta__region_frames(r, t->sp, data, out, max);
}

/* ---- worker hooks ---------------------------------------------------------------------- */

static int tasklet_worker_init(rta__worker *wk)
{
    rta__tasklet_worker *tw = calloc(1, sizeof *tw);
    if (!tw)
        return -ENOMEM;
    wk->engine[RTA__ENGINE_SLOT_STACKFUL] = tw;
    rta__compact_init(tw);
    return rta__regions_init(tw, rta__tasklet_cfg.regions_per_worker);
}

static void tasklet_worker_fini(rta__worker *wk)
{
    rta__tasklet_worker *tw = rta__tasklet_tw(wk);
    if (!tw)
        return;
    rta__regions_fini(tw);
    free(tw);
    wk->engine[RTA__ENGINE_SLOT_STACKFUL] = NULL;
}

static void tasklet_thread_enter(rta__worker *wk)
{
    rta__tasklet_worker *tw = rta__tasklet_tw(wk);
    tw->tsan_thread_fiber = rta__tsan_current_fiber();
    tasklet_errnop = &errno; /* this thread's: every tasklet of wk runs here */
    rta__overflow_thread_enter(tw);
}

static void tasklet_thread_exit(rta__worker *wk)
{
    rta__tasklet_worker *tw = rta__tasklet_tw(wk);
    while (tw->free_tasklets) {
        rta__tasklet *t = tw->free_tasklets;
        tw->free_tasklets = (rta__tasklet *)t->work.next;
        free(t);
    }
    tw->nfree = 0;
    rta__overflow_thread_exit(tw);
}

/* Regions per worker unless configured (docs/tasklet.md). ThreadSanitizer
 * gives every region a fiber with its own shadow stack and trace (about
 * 0.75 MiB each): 16,384 per worker ran a TSan build out of memory
 * (sched_stress_foreign, tasklet_many_suspended), so its builds share
 * regions sooner. */
#if RTA__TSAN
#define DEFAULT_REGIONS 256
#else
#define DEFAULT_REGIONS 16384
#endif

/* Idle compaction (compact.c, docs/tasklet.md): between 1x and about 2.25x
 * this after a tasklet's last run, its stack is copied out and its pages
 * given back (200: within the 500 ms of issue 21's idle memory figure); and
 * the resident stacks a worker keeps before it compacts sooner. */
#define DEFAULT_IDLE_COMPACT_MS 200
#define DEFAULT_RESIDENT_BUDGET ((size_t)64 << 20)

rta__tasklet_settings rta__tasklet_cfg;

static int tasklet_configure(rta_config *c)
{
    size_t v;
    int rc;
    if (!c->stack_size) {
        if ((rc = rta__env_size("RTA_STACK_SIZE", &v)) < 0)
            return rc;
        c->stack_size = rc ? v : 256 * 1024;
    }
    if (!c->regions_per_worker) {
        if ((rc = rta__env_size("RTA_REGIONS", &v)) < 0)
            return rc;
        c->regions_per_worker = rc ? (v > UINT_MAX ? UINT_MAX : (unsigned)v) : DEFAULT_REGIONS;
    }
    if (!c->idle_compact_ms) {
        const char *off = getenv("RTA_IDLE_COMPACT_MS");
        if (off && strcmp(off, "off") == 0)
            c->idle_compact_ms = RTA_IDLE_COMPACT_OFF;
        else if ((rc = rta__env_size("RTA_IDLE_COMPACT_MS", &v)) < 0)
            return rc;
        else
            c->idle_compact_ms = !rc             ? DEFAULT_IDLE_COMPACT_MS
                                 : v >= UINT_MAX ? RTA_IDLE_COMPACT_OFF
                                 : v == 0        ? 1 /* as soon as a check finds it */
                                                 : (unsigned)v;
    }
    if (!c->resident_budget) {
        if ((rc = rta__env_size("RTA_RESIDENT_BUDGET", &v)) < 0)
            return rc;
        c->resident_budget = rc ? v : DEFAULT_RESIDENT_BUDGET;
    }
    if (c->stack_size < 16 * 1024 || c->stack_size > ((size_t)1 << 30)) {
        fprintf(stderr, "rtasync: stack size %zu out of range 16 KiB..1 GiB\n", c->stack_size);
        return -EINVAL;
    }
    if (c->regions_per_worker == 0 || c->regions_per_worker > (1u << 20)) {
        fprintf(stderr, "rtasync: regions per worker %u out of range 1..1048576\n", c->regions_per_worker);
        return -EINVAL;
    }
    return 0;
}

static int tasklet_init(const rta_config *c)
{
    rta__tasklet_cfg.stack_size = c->stack_size;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    rta__tasklet_cfg.region_bytes = (c->stack_size + page - 1) & ~(page - 1);
    rta__tasklet_cfg.regions_per_worker = c->regions_per_worker;
    rta__tasklet_cfg.idle_compact_ms = c->idle_compact_ms;
    rta__tasklet_cfg.resident_budget = c->resident_budget;
    rta__region_probe_guard();
    rta__overflow_install();
    return 0;
}

rta__engine rta__tasklet_engine = {
    .name = "tasklet",
    .configure = tasklet_configure,
    .init = tasklet_init,
    .worker_init = tasklet_worker_init,
    .worker_fini = tasklet_worker_fini,
    .thread_enter = tasklet_thread_enter,
    .thread_exit = tasklet_thread_exit,
    .run = rta__tasklet_run,
    .enter = engine_enter,
    .leave = engine_leave,
    .fault = rta__tasklet_fault,
    .cancel = tasklet_cancel,
    .cancel_requested = tasklet_cancel_requested,
    .cancel_arm = tasklet_cancel_arm,
    .cancel_disarm = tasklet_cancel_disarm,
    .pin = tasklet_pin,
    .unpin = tasklet_unpin,
};
