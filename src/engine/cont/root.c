/*
 * Roots: the task-returning thunk, the dispatcher, the hand-off.
 *
 * A root runs its frames in run_root, on the thread that called the thunk for
 * the synchronous start and on any worker afterwards (the dispatch is free
 * work). run_root installs the root's execution context, arms one catching
 * record for the whole run (not one per frame: setjmp costs as much as a
 * resume), and calls rta__cont_run_frames, which resumes one frame at a time:
 *
 *   resume(k) returns {v, NULL}: k finished; free it, hand v to k->next.
 *   k is RTA__CONT_F_DONE:      k finished at its suspension (a tail await)
 *                                with v at its frame's start: the same,
 *                                without resuming it.
 *   resume(k) returns {_, nk}:   k suspended again (nk == k: it reused its
 *                                continuation); the new innermost frame is
 *                                sentinel.next; hand off and return.
 *   k->next == NULL after a finish: the root function returned; complete.
 *
 * A throw out of a resumed frame lands in run_root's record. r->cur is the
 * frame whose C activation threw (its continuation is dead), or NULL when the
 * error came from get_result at head's await. UnwindToPossibleHandler: walk
 * outwards, adding each frame's name to the trace, freeing frames without a
 * handler at their await, until one has a handler; resume that one with
 * rta__cont_tls.in_error set (it re-enters its try block and throws there).
 * No handler left: the task faults (cancels for -ECANCELED).
 *
 * Hand-off invariant: the awaiter is told about the root only after every
 * frame is off the stack and the caller's context is restored, and nothing
 * touches the root after that call (it may already run on another worker).
 */
#include "cont_internal.h"

#include <errno.h>
#include <string.h>

enum { MODE_START, MODE_RESUME, MODE_AWAIT, MODE_DELIVER, MODE_CANCEL, MODE_CANCEL_RELEASE };
enum { OUT_DONE, OUT_SUSPENDED };

/* Every suspended cont task holds one: 528 bytes while it carried the eager
 * fallback's frames (now malloc'd only there). */
_Static_assert(sizeof(void *) != 8 || sizeof(rta__cont_root) <= 408, "the cont root grew");

static void destroy_root(rta_task *t)
{
    rta__cont_root *r = rta__container_of(t, rta__cont_root, task);
    /* Listed until here: a completed task someone holds shows as such. */
    rta__reg_remove_if(&r->reg);
    if (r->reg_frames) /* the eager fallback's alone: no call on every other root */
        free(r->reg_frames);
    free(r);
}

static void dispatch(rta__work *w);
static void run_root(rta__cont_root *r, bool from_queue);

/* What a sync context's post or a scheduler's queue is handed. Cont state is
 * heap data: the root runs right where the context runs the callback (a UI
 * thread, the scheduler's own thread...), not only when. */
static void root_posted(void *arg)
{
    run_root(arg, false);
}

/* Makes a suspended root runnable again the way its await decided: through
 * the sync context / scheduler current at the await, else on the workers.
 * Any thread; once per suspension. */
static void make_ready(rta__cont_root *r)
{
    /* The dispatch's first reads are of scope and exec, the one line of r
     * this wake does not touch: asked for now, it arrives while the waker
     * goes on (a root resumed after a long park: lifetime cont). */
    __builtin_prefetch(&r->scope);
    if (!rta__resume_wake(&r->reg, r->resume_via, r->resume_target, root_posted, r))
        rta__sched_submit(&r->work);
}

static void resume_cb(rta_waiter *w)
{
    rta__cont_root *r = rta__container_of(w, rta__cont_root, waiter);
    make_ready(r);
}

static void timer_fire(rta__timer *t)
{
    rta__cont_root *r = rta__container_of(t, rta__cont_root, timer);
    if (!atomic_exchange_explicit(&r->sleep_claim, 1, memory_order_acq_rel))
        make_ready(r);
}

/* A cancel of a sleeping root (any thread, under the scope's lock): unless
 * the timer came first, the root goes to the timer's worker as bound work,
 * where run_root withdraws the timer (owner only) before resuming it. */
static void sleep_cancel(rta__cancel_hook *h)
{
    rta__cont_root *r = rta__container_of(h, rta__cont_root, sleep_hook.h);
    if (!atomic_exchange_explicit(&r->sleep_claim, 1, memory_order_acq_rel))
        rta__sched_ready_on(r->sleep_wk, &r->work);
}

int rta__cont_cancel(rta_task *t)
{
    if (t->destroy != destroy_root)
        return -1;
    rta__scope_request(&rta__container_of(t, rta__cont_root, task)->scope);
    return 1;
}

/* Whether the suspension r resumes from is a cancel point (rta_yield,
 * rta_sleep_ms, an await of a task: they throw -ECANCELED once the task is
 * cancelled; an I/O wait's awaiter returns -ECANCELED itself). */
static bool cancel_point(const rta__cont_root *r)
{
    return r->op == RTA__CONT_OP_YIELD || r->op == RTA__CONT_OP_SLEEP ||
           (r->op == RTA__CONT_OP_AWAIT &&
            (r->u.await.ops == &rta_task_awaiter || r->u.await.ops == &rta_task_release_awaiter));
}

/* The throw of a cancel point at its resume (run_frames' MODE_CANCEL): as
 * a tasklet's, a released await lets go of its task first. */
static RTA_NOINLINE __attribute__((noreturn)) void cancel_throw(rta__cont_root *r, bool release)
{
    if (release)
        rta_task_release(r->u.await.self);
    rta_throw(-ECANCELED, "task %llu was canceled (rta_task_cancel)", (unsigned long long)r->task.id);
}

static rta__cont_root *root_new(rta_cont_fn fn, void *arg, uint32_t refs)
{
    if (!rta__running || !fn) {
        if (fn)
            rta__forked_refuse(refs == 1 ? "rta_cont_call" : "rta_cont_spawn");
        errno = fn ? EAGAIN : EINVAL;
        return NULL;
    }
    /* malloc and memset, not calloc: glibc's calloc skips the per-thread
     * cache (tcache) and takes the arena's path every time. gcc folds a
     * malloc whose block is then zeroed back into calloc; the empty asm
     * hides where r came from. */
    rta__cont_root *r = malloc(sizeof *r);
    if (!r) {
        errno = ENOMEM;
        return NULL;
    }
    __asm__("" : "+r"(r));
    memset(r, 0, sizeof *r);
    rta__task_init(&r->task, RTA__TASK_ENGINE, refs, destroy_root);
    /* Not registered yet: not lazy to rta__cont_frames_lazy_of (rta__reg_add
     * sets the real room at the first suspension). */
    r->reg.frames_cap = RTA__CONT_REG_UNREGISTERED;
    r->work.run = dispatch;
    r->u.start.entry = fn;
    r->u.start.arg = arg;
    /* The thunk boundary: contexts flow in (a counted reference to the
     * caller's async-local map: either side may set a local later, which
     * releases its own reference), changes do not flow back (the root runs
     * on its own exec). Released when the root completes. */
    rta__ctx c = rta__ctx_capture(rta__cur_exec());
    r->exec.locals = c.locals;
    r->exec.sync_ctx = c.sync_ctx;
    r->exec.scheduler = c.scheduler;
    r->exec.async2 = 1; /* rta_in_async() while its frames run */
    return r;
}

/* The suspension reached the root: record the new innermost frame. k is the
 * frame that was resumed (NULL at the start), nk what it returned. */
static int suspended(rta__cont_root *r, rta_cont *k, rta_cont *nk)
{
    if (k && nk != k) {
        nk->next = k->next;
        rta__cont_free(k);
    }
    r->head = rta__cont_tls.sentinel.next;
    rta__cont_tls.sentinel.next = NULL;
    r->cur = NULL;
    return OUT_SUSPENDED;
}

/* Runs frames until the chain finishes or suspends. Throws pass through to
 * run_root's record; nothing here lives across them but what is stored in r.
 * Named rta__*: a trace records return addresses, so the frame it calls
 * shows up under this function's name, which the symbolizer drops as the
 * runtime's own. */
static RTA_NOINLINE int rta__cont_run_frames(rta__cont_root *r, int mode, int64_t v, rta_error *err)
{
    rta_cont *k;
    rta_cret res;
    /* Trace walks stop at this frame: what it calls are the task's frames. */
    r->exec.stack_hi = (uintptr_t)__builtin_frame_address(0);
    /* A resumption is the common case (a yield's, a sleep's): one test
     * before the switch, not its chain of compares. */
    if (rta__unlikely(mode != MODE_RESUME)) {
        switch (mode) {
        case MODE_START: {
            rta_cont_fn fn = r->u.start.entry;
            void *arg = r->u.start.arg;
            r->started = 1;
            r->cur = NULL;
            res = fn(NULL, arg);
            if (res.k) {
                suspended(r, NULL, res.k);
                return OUT_SUSPENDED;
            }
            r->task.value = res.v; /* written by the completer again; a scratch slot until then */
            return OUT_DONE;
        }
        case MODE_AWAIT:
            r->cur = NULL;
            v = r->u.await.ops->get_result(r->u.await.self);
            break;
        case MODE_CANCEL:
        case MODE_CANCEL_RELEASE:
            r->cur = NULL; /* thrown at head's await, as get_result's errors are */
            cancel_throw(r, mode == MODE_CANCEL_RELEASE);
            break;
        default:
            break;
        }
    }
    k = r->head;
    rta__cont_tls.in_error = err; /* MODE_DELIVER only; the frame takes it at once */
    for (;;) {
        r->cur = k;
        uintptr_t d = k->desc;
        if (d & RTA__CONT_F_DONE) {
            /* Finished at its suspension (a tail await, rta/detail/cont.h):
             * its value is at the frame's start; nothing to resume. */
            memcpy(&res.v, (const void *)(k + 1), sizeof res.v);
        } else {
            rta__cont_tls.in_value = v;
            res = ((const rta_cont_desc *)(d & ~(uintptr_t)RTA__CONT_F_MASK))->resume(k);
            if (res.k) {
                suspended(r, k, res.k);
                return OUT_SUSPENDED;
            }
        }
        rta_cont *next = k->next;
        rta__cont_free(k);
        v = res.v;
        if (!next) {
            r->task.value = v;
            return OUT_DONE;
        }
        k = next;
    }
}

/* UnwindToPossibleHandler from frame k outwards; returns the frame to resume
 * with the error, or NULL (all frames freed). */
static rta_cont *unwind(rta_cont *k, rta_error **errp)
{
    rta_error *e = rta__error_reserve(*errp);
    *errp = e;
    while (k) {
        if (e != rta__error_oom())
            rta__error_push_name(e, rta__cont_desc(k)->name);
        if (k->desc & RTA__CONT_F_HANDLER)
            return k;
        rta_cont *n = k->next;
        rta__cont_free(k);
        k = n;
    }
    return NULL;
}

static void complete(rta__cont_root *r, rta_error *e)
{
    rta_status st = RTA_SUCCEEDED;
    if (e) {
        st = rta__error_status(e);
        if (st == RTA_CANCELED) {
            rta_error_free(e);
            e = NULL;
        }
    }
    bool inflight = r->inflight;
    /* The task's context dies with it (its values may be destroyed now); the
     * waiters run after, so what they observe of the locals is final. */
    rta__locals_release(r->exec.locals);
    r->exec.locals = NULL;
    rta__task_complete(&r->task, st, st == RTA_SUCCEEDED ? r->task.value : 0, e);
    if (inflight) {
        rta_task_release(&r->task); /* the runtime's reference */
        rta__live_add(-1);
    }
}

/* Timers live in a per-worker heap, owner only: arm on this worker, and
 * the cancel hook with it (a request already there: resume at once). */
static void arm_sleep(rta__cont_root *r, rta__worker *wk)
{
    r->timer.deadline_ns = r->u.deadline_ns;
    r->timer.fire = timer_fire;
    r->timer.heap_index = RTA__TIMER_NONE;
    if (rta__timer_heap_add(&wk->timers, &r->timer) < 0) {
        rta__fifo_push(&wk->local, &r->work); /* no memory for the heap: poll */
        return;
    }
    /* The timer fires on this thread only, after this returns. */
    atomic_store_explicit(&r->sleep_claim, 0, memory_order_relaxed);
    r->sleep_wk = wk;
    r->sleep_hook.h.fn = sleep_cancel;
    if (!rta__scope_arm(&r->scope, &r->sleep_hook)) {
        rta__timer_heap_remove(&wk->timers, &r->timer);
        rta__fifo_push(&wk->local, &r->work);
    }
}

/* Off the stack, context restored: tell whoever resumes the root.
 * from_queue: run_root was called by dispatch, i.e. by the worker loop (or
 * the tasklet engine's leave, also on the worker's own stack, where the loop
 * would call it). Returns NULL, or for a yield there the work the loop would
 * pick next, already taken from the run queue: run_root runs it (a cont
 * dispatch, the same root when nothing else was queued). */
static rta__work *hand_off(rta__cont_root *r, rta__cont_thread *ct, bool from_queue)
{
    rta__worker *wk = rta__cur_worker();
    uint8_t op = r->op; /* and the resume plan: written by the await helper */
    if (op == RTA__CONT_OP_NONE) {
        /* No helper ran: RTA_CONT_YIELD's inline record, if anything
         * (rta__cont_yield_here). What the helper recorded at the await is
         * the same here: the chain's way out to this point (saves, the
         * free-list pops, alloc.c's slow path keeps errno) changes neither
         * errno nor the root's context, and the caller's context restored
         * since is the thread's, not r's. */
        uint8_t y = rta__cont_tls.yield;
        if (rta__likely(y != 0)) {
            rta__cont_tls.yield = 0;
            op = r->op = RTA__CONT_OP_YIELD;
            r->saved_errno = *rta__cont_errnop(ct);
            r->resume_via = rta__resume_plan(r->exec.sync_ctx, r->exec.scheduler, y > 1, &r->resume_target);
        }
    }
    /* First suspension: u still holds the entry function. */
    if (rta__unlikely(!r->reg.shard))
        rta__cont_reg_add(r);
    /* The async stack is read when asked (frames.c), unless this process
     * cannot read its own memory fault-safely: then record it now. */
    if (rta__unlikely(!rta__cont_frames_lazy_of(r)))
        rta__cont_record_frames(r);
    /* The registry's note is made in each case, with the op a constant
     * there (rta__reg_note is inline: a yield's is three stores, without
     * the selects on op that one call for all three cases compiled to). */
    switch (op) {
    case RTA__CONT_OP_AWAIT: {
        const rta_awaiter_ops *ops = ct->ops;
        void *self = ct->self;
        rta__reg_note(&r->reg, RTA__REG_AWAITING, ops, self, 0);
        r->u.await.ops = ops;
        r->u.await.self = self;
        if (rta__unlikely(rta__scope_requested(&r->scope)) && cancel_point(r)) {
            make_ready(r); /* a cancelled task's await of a task throws without waiting */
            return NULL;
        }
        r->waiter.fn = resume_cb;
        if (ops->unsafe_on_completed)
            ops->unsafe_on_completed(self, &r->waiter);
        else
            ops->on_completed(self, &r->waiter);
        return NULL;
    }
    case RTA__CONT_OP_YIELD:
        rta__reg_note(&r->reg, RTA__REG_RUNNABLE, NULL, NULL, 0);
        /* A yield stays on this worker's FIFO (no fence, no wake-up); the
         * loop alternates it with the deque, so other work runs first. */
        if (r->resume_via != RTA__RESUME_DIRECT) {
            make_ready(r); /* through the captured sync context / scheduler */
        } else if (wk) {
            /* Through the run queue as the tasklet engine's yield goes
             * (rta__sched_requeue_local: r to the back, the front out, the
             * tick and the fairness countdown counted as the loop would),
             * without returning to the loop for a pick it would make the
             * same way. Only when the front is a cont dispatch (or there is
             * none: then it is r), which run_root can run itself; other
             * work (a tasklet is switched to from the loop's frame) is left
             * to the loop. Every RTA__SCHED_FAIR_TICKS picks, or when the
             * deque's turn comes, r is queued and NULL comes back. */
            rta__work *h = wk->local.head;
            if (from_queue && (!h || h->run == dispatch)) {
                uint64_t tick;
                return rta__sched_requeue_local(wk, &r->work, &tick);
            }
            rta__fifo_push(&wk->local, &r->work);
        } else {
            rta__sched_submit(&r->work);
        }
        return NULL;
    case RTA__CONT_OP_SLEEP: {
        uint64_t due = rta__now_ns() + ct->sleep_ms * 1000000u;
        rta__reg_note(&r->reg, RTA__REG_SLEEPING, NULL, NULL, due);
        r->u.deadline_ns = due;
        r->timer.heap_index = RTA__TIMER_NONE; /* in no heap until armed */
        if (wk)
            arm_sleep(r, wk);
        else
            rta__sched_submit(&r->work); /* a worker arms it (dispatch) */
        return NULL;
    }
    default:
        rta__fatal("cont: task %llu suspended without an await helper (a cont function "
                   "returned a continuation it did not make through the macros?)",
                   (unsigned long long)r->task.id);
    }
}

/* A throw nobody caught inside r's frames landed in t, the run's catching
 * record (UnwindToPossibleHandler, above). Returns the frame to resume with
 * the error (*errp), now r->head, or NULL: no handler left, every frame
 * freed, the task ends with *errp. */
static RTA_NOINLINE rta_cont *take_throw(rta__cont_root *r, rta__try *t, rta_error **errp)
{
    r->exec.try_top = t->prev;
    r->exec.handler_depth--;
    rta_error *e = t->err;
    rta_cont *k;
    if (r->cur) {
        k = r->cur->next;
        rta__cont_free(r->cur);
        r->cur = NULL;
    } else {
        k = r->head; /* thrown at head's await (get_result), or at the start (NULL) */
    }
    rta__cont_tls.in_error = NULL;
    k = unwind(k, &e);
    *errp = e;
    if (k)
        r->head = k;
    return k;
}

/* One call of run_root: the thread's context to put back after each run
 * (NULL exec, not set up yet on this thread, is put back as it was), and
 * where RTA__BUILTIN_SJLJ builds catch the runs' throws.
 *
 * The catching record (x86-64 without ASan or TSan: RTA__BUILTIN_SJLJ,
 * src/core/internal.h) is armed once per run_root call with
 * __builtin_setjmp (frame pointer, stack pointer, a label) and linked into
 * each dispatched root's try chain around its run; rta_throw_error leaves
 * through it with __builtin_longjmp to run_root's receiver, which finds the
 * root in `root`. A setjmp receiver makes gcc keep every value of its
 * function that lives across a call in memory and save every callee-saved
 * register in its prologue: armed in the dispatch loop it cost loads and
 * stores of the loop's values on each dispatch, armed per dispatch in a
 * function of its own that function's prologue and epilogue (about 45
 * instructions of a yielding fib leaf, docs/cont.md); here run_root holds
 * nothing but this across the call, and run_dispatches none of it. */
typedef struct run_ctx {
#if RTA__BUILTIN_SJLJ
    rta__try t;
    rta__cont_root *root; /* whose frames run while t is linked */
#endif
    rta__exec *prev;
    uintptr_t prev_root_sp;
    rta__cont_root *prev_root;
    void *prev_cancel;
} run_ctx;

/* Puts back the thread's context as run_root found it. */
static inline void run_ctx_leave(const run_ctx *c)
{
    rta__tls_state.exec = c->prev;
    rta__tls_state.cancel = c->prev_cancel;
    rta__cont_thr.root_sp = c->prev_root_sp;
    rta__cont_thr.root = c->prev_root;
}

/* Without RTA__BUILTIN_SJLJ (the sanitizers' builds, other architectures):
 * glibc's setjmp, one record per dispatch, armed here. Runs r's frames
 * inside it and takes the throws nobody caught inside them. Returns
 * OUT_DONE or OUT_SUSPENDED; *errp: the error the task ends with (OUT_DONE
 * after a throw), untouched otherwise. Locals read after a longjmp are
 * volatile (mode, err: written in the loop) or never written after the
 * setjmp (r, errp), so C11 7.13.2.1 keeps their values. */
#if !RTA__BUILTIN_SJLJ
static RTA_NOINLINE int run_caught(rta__cont_root *r, int first_mode, rta_error **errp)
{
    volatile int mode = first_mode;
    rta_error *volatile err = NULL;
    for (;;) {
        rta__try t;
        rta__try_push_on(&r->exec, &t, "rta__cont_run");
        if (setjmp(t.jb) == 0) {
            /* The value handed in is 0: a yield's, a sleep's; an await's
             * comes from get_result (MODE_AWAIT), an error's from err. */
            int out = rta__cont_run_frames(r, mode, 0, err);
            /* rta__try_pop's common case inline (the record is innermost:
             * frames leave theirs at their suspensions); the call handles
             * the rest (records left by a misused try body). */
            if (rta__likely(r->exec.try_top == &t))
                r->exec.try_top = t.prev;
            else
                rta__try_pop(&t);
            return out;
        }
        rta_error *e;
        if (!take_throw(r, &t, &e)) {
            *errp = e;
            return OUT_DONE;
        }
        err = e;
        mode = MODE_DELIVER;
    }
}
#endif

/* Runs or resumes first on this thread, then the cont dispatches its yields
 * take from the run queue (hand_off). deliver: a throw's handler frame is
 * first->head, resumed with this error inside the run already begun (the
 * context installed, the registry's count odd), by run_root's receiver. */
static RTA_NOINLINE void run_dispatches(rta__cont_root *first, bool from_queue, run_ctx *c,
                                        rta_error *deliver)
{
    /* The next dispatch comes in through next_root (hand_off's pick). */
    rta__cont_root *next_root = first;
    rta__cont_root *r;
    rta__cont_thread *ct = &rta__cont_thr;
    int mode, out;
    rta_error *err;
    uintptr_t here;
    bool lazy;
#if RTA__BUILTIN_SJLJ
    if (rta__unlikely(deliver != NULL)) {
        r = first;
        lazy = rta__cont_frames_lazy_of(r);
        mode = MODE_DELIVER;
        err = deliver;
        goto run;
    }
#else
    (void)deliver;
#endif
again:
    r = next_root;
    if (rta__unlikely(r->op == RTA__CONT_OP_SLEEP)) {
        /* Off first: a request running the hook finishes before the
         * timer's union may be reused. */
        rta__scope_disarm(&r->scope, &r->sleep_hook);
        if (rta__scope_requested(&r->scope)) {
            /* Still in a heap only when the cancel won the claim: its hop
             * brought the root to that heap's worker, this one. */
            if (r->timer.heap_index != RTA__TIMER_NONE)
                rta__timer_heap_remove(&rta__cur_worker()->timers, &r->timer);
        } else if (from_queue && rta__now_ns() < r->u.deadline_ns) {
            arm_sleep(r, rta__cur_worker());
            return;
        }
        /* Due, but reached through the workers (armed from a non-worker
         * thread, polled, or cancelled): still resume the way the sleep
         * decided. */
        if (from_queue && r->resume_via != RTA__RESUME_DIRECT) {
            make_ready(r);
            return;
        }
    }
    ct->root = r;                      /* where the await helpers write the suspension's plan */
    rta__tls_state.cancel = &r->scope; /* what the waits begun here record */
    /* Pointers below this frame die with a suspension (the debug check). */
    here = (uintptr_t)__builtin_frame_address(0);
    /* stack_lo stays 0 (root_new's memset): error.c writes the bounds only
     * for an exec whose stack_hi is 0, never this one once it has run. */
    r->exec.stack_hi = here;
    ct->root_sp = here;
    rta__tls_state.exec = &r->exec;
    /* The lazy frame readers' count (frames.c): odd from here, before any
     * frame of the chain is touched, to the end of the run. */
    lazy = rta__cont_frames_lazy_of(r);
    if (lazy)
        rta__reg_frames_begin(&r->reg);
    rta__reg_set_state(&r->reg, RTA__REG_RUNNING);
    err = NULL;
    if (!r->started) {
        mode = MODE_START;
    } else {
        *rta__cont_errnop(ct) = r->saved_errno; /* the task's own, whichever thread this is */
        mode = r->op == RTA__CONT_OP_AWAIT ? MODE_AWAIT : MODE_RESUME;
        if (rta__unlikely(rta__scope_requested(&r->scope)) && cancel_point(r))
            mode = r->op == RTA__CONT_OP_AWAIT && r->u.await.ops == &rta_task_release_awaiter
                       ? MODE_CANCEL_RELEASE
                       : MODE_CANCEL;
    }
    r->op = RTA__CONT_OP_NONE;
#if RTA__BUILTIN_SJLJ
run:
    c->root = r;
    c->t.prev = r->exec.try_top;
    c->t.err = NULL;
    c->t.state = RTA__TRY_BODY;
    r->exec.try_top = &c->t;
    /* The value handed in is 0: a yield's, a sleep's; an await's comes
     * from get_result (MODE_AWAIT), an error's from err. */
    out = rta__cont_run_frames(r, mode, 0, err);
    /* rta__try_pop's common case inline (the record is innermost: frames
     * leave theirs at their suspensions); the call handles the rest
     * (records left by a misused try body). */
    if (rta__likely(r->exec.try_top == &c->t))
        r->exec.try_top = c->t.prev;
    else
        rta__try_pop(&c->t);
    err = NULL; /* a delivered error belongs to the frame it was handed to */
#else
    out = run_caught(r, mode, &err);
#endif
    run_ctx_leave(c);

    if (out == OUT_SUSPENDED && rta__unlikely(ct->susp_error != NULL)) {
        /* Debug check: a saved frame points into the stack it left. */
        err = ct->susp_error;
        ct->susp_error = NULL;
        rta__cont_free_chain(r->head);
        r->head = NULL;
        out = OUT_DONE;
    }
    if (out == OUT_DONE) {
        complete(r, err);
        return;
    }
    /* The chain is off the stack and r->head final: readers may walk it
     * again from here (release: they see every store of this run). A root
     * registered at this suspension starts at 0 (rta__reg_add). */
    if (lazy)
        atomic_store_explicit(&r->reg.seq, atomic_load_explicit(&r->reg.seq, memory_order_relaxed) + 1,
                              memory_order_release);
    if (!r->inflight) {
        r->inflight = 1;
        rta_task_retain(&r->task);
        rta__live_add(1);
    }
    rta__work *next = hand_off(r, ct, from_queue);
    if (!next)
        return;
    /* The run queue's next pick, a cont dispatch (hand_off): run it here,
     * as dispatch would, without the return and the call. */
    next_root = rta__container_of(next, rta__cont_root, work);
    goto again;
}

/* Runs or resumes r on this thread: the thunk's start (from_queue false),
 * a sync context's or scheduler's callback (false) and every dispatch from
 * the workers (true: a sleep may not be due yet). */
static RTA_NOINLINE void run_root(rta__cont_root *first, bool from_queue)
{
    run_ctx c;
    c.prev = rta__tls_state.exec;
    c.prev_root_sp = rta__cont_thr.root_sp;
    c.prev_root = rta__cont_thr.root;
    c.prev_cancel = rta__tls_state.cancel;
#if RTA__BUILTIN_SJLJ
    c.t.func = "rta__cont_run";
    c.t.kind = RTA__TRY_KIND_BUILTIN_JB;
    if (__builtin_setjmp((void **)(void *)c.t.jb) != 0) {
        /* A throw nobody caught inside c.root's frames: run_dispatches'
         * frame is gone, the root's context still installed. */
        rta__cont_root *r = c.root;
        rta_error *e;
        if (take_throw(r, &c.t, &e)) {
            run_dispatches(r, from_queue, &c, e);
            return;
        }
        run_ctx_leave(&c);
        complete(r, e);
        return;
    }
#endif
    run_dispatches(first, from_queue, &c, NULL);
}

/* Worker: resume a suspended root (or start a spawned one), then the cont
 * dispatches its yields take from the run queue (hand_off, run_root). */
static void dispatch(rta__work *w)
{
    run_root(rta__container_of(w, rta__cont_root, work), true);
}

rta_task *rta_cont_call(rta_cont_fn fn, void *arg)
{
    rta__cont_root *r = root_new(fn, arg, 1);
    if (!r)
        return NULL;
    run_root(r, false);
    return &r->task;
}

rta_task *rta_cont_spawn(rta_cont_fn fn, void *arg)
{
    rta__cont_root *r = root_new(fn, arg, 2);
    if (!r)
        return NULL;
    r->inflight = 1;
    rta__live_add(1);
    rta__sched_submit(&r->work);
    return &r->task;
}
