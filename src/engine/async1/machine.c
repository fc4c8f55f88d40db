/*
 * async1 state machines: start on the caller's stack, the one move to the
 * heap, resumption through the scheduler, completion. See async1.h for the
 * life of a call and who owns a box when.
 */
#include "async1.h"

#include <errno.h>
#include <string.h>

__thread int rta__async1_direct;

/* Per-thread engine state. inline_ok is set only while rta_async1_complete
 * runs the waiters of a heap method that finished on a worker: a waiter that
 * belongs to another async1 box may then run that box right here instead of
 * queueing it (.NET runs await continuations synchronously in this case).
 * depth bounds the recursion this makes. */
static __thread struct {
    int inline_ok;
    int depth;
    /* start_task's box for its method's first suspension (the method whose
     * machine is prealloc_sm on the stack), NULL once taken. */
    struct rta__a1_box *prealloc;
    rta_async1_sm *prealloc_sm;
} a1_tls;

#define A1_INLINE_DEPTH_MAX 48

/* ---- context at method boundaries ------------------------------------------------- */

/* The async-local map is counted (src/core/internal.h): a method that sets a
 * local releases the map its caller holds, so the boundary keeps a counted
 * copy and puts it back. With no locals (the common case) this costs no
 * atomic operation. */
static inline void ctx_restore(rta__exec *x, rta__ctx saved)
{
    if (x->locals != saved.locals || x->sync_ctx != saved.sync_ctx || x->scheduler != saved.scheduler)
        rta__ctx_install(x, saved);
    else
        rta__ctx_drop(saved);
}

/* Arms the handler record of a move-next run: __builtin_setjmp where the
 * runtime throws through it (RTA__BUILTIN_SJLJ, src/core/internal.h), a few
 * instructions where glibc's setjmp took ~18 and the out-of-line push and
 * pop ~22 more, on a path taken once per resumption (an echo server's
 * request). The record never reaches rta__try_handler: the error is taken
 * over below. */
#if RTA__BUILTIN_SJLJ
#define A1_ARM_RECORD(t) ((t).kind = RTA__TRY_KIND_BUILTIN_JB, __builtin_setjmp((void **)(void *)(t).jb))
#else
#define A1_ARM_RECORD(t) setjmp((t).jb)
#endif

/* Runs sm->move_next under a handler; an escaping error faults the method.
 * x is the current exec (its try chain gets the handler record). sm and x
 * are not written after the record is armed (setjmp rules, C11 7.13.2.1). */
static void rta__a1_run_catching(rta_async1_sm *sm, rta__exec *x)
{
    rta__try t;
    rta__try_push_on(x, &t, "async1 move-next");
    if (A1_ARM_RECORD(t) == 0) {
        sm->move_next(sm);
        /* rta__try_pop's common case inline (the record is innermost); the
         * call reports a record left above it by a misused try body. */
        if (rta__likely(x->try_top == &t))
            x->try_top = t.prev;
        else
            rta__try_pop(&t);
        return;
    }
    /* As rta__call_catching does: take the error over from the record. */
    x->try_top = t.prev;
    x->handler_depth--;
    rta_error *e = t.err;
    sm->state = -2;
    sm->builder.method->ops->set_error(&sm->builder, e);
}

/* The header's inline start (rta__a1_start_mn) reads the exec's context at
 * these offsets and restores exactly these three fields: keep them in step. */
_Static_assert(offsetof(rta__tls, exec) == 0, "rta__a1_start_mn reads rta__tls_state.exec");
_Static_assert(offsetof(rta__exec, locals) == RTA__A1_X_LOCALS * sizeof(void *) &&
                   offsetof(rta__exec, sync_ctx) == RTA__A1_X_SYNC * sizeof(void *) &&
                   offsetof(rta__exec, scheduler) == RTA__A1_X_SCHED * sizeof(void *),
               "rta__a1_start_mn reads the context at these offsets");
_Static_assert(sizeof(rta__ctx) == 3 * sizeof(void *),
               "the context grew: rta__a1_start_mn saves and restores only locals, sync "
               "context and scheduler");

void rta__async1_ctx_back(void *xv, void *sync_ctx, void *scheduler)
{
    /* As ctx_restore with saved = {NULL, sync_ctx, scheduler}: the method's
     * own map (if it set a local) is released by the install. */
    rta__ctx_install(xv, (rta__ctx){NULL, sync_ctx, scheduler});
}

/* rta_async1_start of a task-kind method not awaited at once: a new task,
 * which takes cancel requests of its own. Its scope must exist from the
 * start, since the waits of its first run begin (in methods it awaits)
 * before it suspends, and record the scope current then; and it lives in
 * the task's box, made only at that suspension. So the box is allocated
 * here, before the first move-next, and rta_async1_suspend takes it (the
 * method's one allocation either way); one that completes without
 * suspending gives it back (everything it awaited has completed) as the
 * thread's spare for the next start (async1.h): that common case, a method
 * that completes at once, then costs no malloc and free (thunk async1-task
 * from main, callgrind: 419 -> 330 instructions per call, 301 with the
 * spare's take and keep inline; 248 at 9266701, before the scope's box). */
static RTA_NOINLINE void start_task(rta_async1_sm *sm, rta__exec *x)
{
    size_t cap;
    rta__a1_box *b = rta__a1_start_box_take(sizeof *b + sm->size, &cap);
    void *prev = rta__tls_state.cancel;
    rta__a1_box *prev_box = a1_tls.prealloc;
    rta_async1_sm *prev_sm = a1_tls.prealloc_sm;
    /* Out of memory: the task takes no requests (suspend allocates), but it
     * is still not its starter's: never under the starter's scope. */
    rta__tls_state.cancel = &rta__scope_detached;
    if (b) {
        b->own.hooks = NULL;
        atomic_init(&b->own.bits, 0);
        a1_tls.prealloc = b;
        a1_tls.prealloc_sm = sm;
        rta__tls_state.cancel = &b->own;
    }
    uintptr_t hi = x->stack_hi, here = (uintptr_t)__builtin_frame_address(0);
    if (hi == 0 || here < hi)
        x->stack_hi = here;
    rta__a1_run_catching(sm, x);
    x->stack_hi = hi;
    rta__tls_state.cancel = prev;
    if (b && a1_tls.prealloc == b)
        rta__a1_start_box_keep(b, cap); /* completed without suspending */
    a1_tls.prealloc = prev_box;
    a1_tls.prealloc_sm = prev_sm;
}

void rta_async1_start(rta_async1_sm *sm)
{
    rta__exec *x = rta__cur_exec();
    rta__ctx saved = rta__ctx_capture(x);
    if (!rta__async1_direct && sm->builder.method->ops->task_kind == RTA_ASYNC1_RET_TASK && rta__running) {
        start_task(sm, x);
    } else if (rta__async1_direct) {
        /* Awaited at once by an async1 caller: an error before the first
         * suspension may unwind straight to the caller's handler (see the
         * header), so no handler of our own. */
        rta__async1_direct = 0;
        sm->move_next(sm);
    } else {
        /* Started from code that is not an async1 method (rta_spawn's caller
         * on any thread, a task-returning entry): the method runs on that
         * caller's stack until it suspends. A trace captured meanwhile (a
         * throw, a rethrow at an await of a failed task) ends here: the
         * frames above are not async frames (they were "main" in a trace).
         * The bound only ever moves down, and is put back. */
        uintptr_t hi = x->stack_hi, here = (uintptr_t)__builtin_frame_address(0);
        if (hi == 0 || here < hi)
            x->stack_hi = here;
        rta__a1_run_catching(sm, x);
        x->stack_hi = hi;
    }
    ctx_restore(x, saved);
}

/* rta_spawn (and rta_group_spawn) of a value-task method (rtac's
 * rta__a1_spawn_v): the method is a task of its own from its first line,
 * though it has no task that takes cancel requests (rta_vtask_as_task's
 * bridge says no to rta_task_cancel). It runs under the detached scope,
 * not its spawner's: what it waits for must end neither at a cancel of the
 * task that spawned it, nor at once because that task was cancelled before
 * (on a tasklet, with no scope current, the tasklet's own flag would be
 * what its waits asked). Each box captures the scope at its awaits, so
 * this holds for the method's whole life. Not awaited at once: an error
 * before the first suspension faults the method (rta_async1_start's
 * handler), never unwinds through here. */
rta_task *rta__async1_spawn_v(rta_vtask (*stub)(void *), void *arg)
{
    void *prev = rta__tls_state.cancel;
    rta__async1_direct = 0; /* a spawned method is a task, even in an await's operand */
    rta__tls_state.cancel = &rta__scope_detached;
    rta_vtask v = stub(arg);
    rta__tls_state.cancel = prev;
    return rta_vtask_as_task(v);
}

/* Functions that run user frames are named rta__*: a trace records return
 * addresses, and the symbolizer drops the runtime's own (rta_*) frames. */

/* ---- resumption --------------------------------------------------------------------- */

static void rta__a1_box_run(rta__work *w)
{
    rta__a1_box *b = rta__container_of(w, rta__a1_box, work);
    rta__exec *x = rta__cur_exec();
    rta__ctx saved = rta__ctx_capture(x);
    int inline_ok = a1_tls.inline_ok;
    a1_tls.inline_ok = 0;
    rta__ctx_install(x, b->ctx); /* consumes the box's capture */
    void *prev_cancel = rta__tls_state.cancel;
    rta__tls_state.cancel = b->scope;
    rta__reg_set_state(&b->reg, RTA__REG_RUNNING);
    errno = b->saved_errno; /* the method's own, whichever thread this is */
    /* After this returns the box may be gone (completed and released, or
     * resumed on another thread): do not touch it. */
    rta__a1_run_catching(rta__a1_box_sm(b), x);
    rta__tls_state.cancel = prev_cancel;
    rta__ctx_install(x, saved);
    a1_tls.inline_ok = inline_ok;
}

static void rta__a1_box_run_posted(void *arg)
{
    rta__a1_box_run(&((rta__a1_box *)arg)->work);
}

/* The awaiter's completion, on the completing thread: must not block. A
 * method that awaited under a sync context (or a custom scheduler) resumes
 * through it, as C#'s await does, unless that await had configure-await
 * false; otherwise as free work. */
static void rta__a1_box_wake(rta_waiter *w)
{
    rta__a1_box *b = rta__container_of(w, rta__a1_box, waiter);
    void *target = NULL;
    uint8_t via = rta__resume_plan(b->ctx.sync_ctx, b->ctx.scheduler, !b->resume_direct, &target);
    if (rta__resume_wake(&b->reg, via, target, rta__a1_box_run_posted, b))
        return;
    /* configure-await false goes straight to the workers, never inline: the
     * completer may be running under the context the await declined. */
    if (!b->resume_direct && a1_tls.inline_ok && a1_tls.depth < A1_INLINE_DEPTH_MAX && rta__cur_worker()) {
        a1_tls.depth++;
        rta__a1_box_run(&b->work);
        a1_tls.depth--;
        return;
    }
    rta__sched_submit(&b->work);
}

void rta__a1_box_free_task(rta_task *t)
{
    rta__a1_box *b = rta__container_of(t, rta__a1_box, u.task);
    /* Listed until here: a completed task someone holds shows as such. */
    rta__reg_remove_if(&b->reg);
    free(b);
}

int rta__async1_cancel(rta_task *t)
{
    if (t->destroy != rta__a1_box_free_task)
        return -1;
    rta__a1_box *b = rta__container_of(t, rta__a1_box, u.task);
    if (!b->own_scope)
        return 0; /* a method awaited at once: its caller's task is the one to cancel */
    /* The hooks make their waiters ready; none may run a box inline here
     * (under the scope's lock, maybe a group's): a cancel issued by a
     * completion's waiter would otherwise (rta_async1_complete). */
    int inline_ok = a1_tls.inline_ok;
    a1_tls.inline_ok = 0;
    rta__scope_request(b->own_scope);
    a1_tls.inline_ok = inline_ok;
    return 1;
}

/* rta_sleep_ms in async1 code: a tasklet sleeps (rta__a1_delay), and a
 * cancel of the awaiting task cancels it, through a hook the tasklet arms
 * on that task's scope for the length of its sleep (the record is on the
 * heap: the tasklet's stack may be copied out while it sleeps). The
 * awaiting method awaits the tasklet at once, so the scope outlives it. */
typedef struct a1_delay {
    rta__scope_hook hook;
    rta__cancel_scope *scope;
    rta_task *t;
    uint64_t ms;
} a1_delay;

static void delay_cancel(rta__cancel_hook *h)
{
    rta_task_cancel(rta__container_of(h, a1_delay, hook.h)->t); /* the sleeper resumes; no lock of ours */
}

static int64_t delay_run(void *arg)
{
    a1_delay *volatile d = arg; /* volatile: read after the handler's longjmp */
    d->t = rta__stackful_task();
    d->hook.h.fn = delay_cancel;
    volatile bool armed = !d->scope || rta__scope_arm(d->scope, &d->hook);
    RTA_TRY {
        if (!armed)
            rta_throw(-ECANCELED, "rta_sleep_ms: the task was canceled (rta_task_cancel)");
        rta_sleep_ms_cfg(d->ms, false);
    }
    RTA_FINALLY {
        if (armed && d->scope)
            rta__scope_disarm(d->scope, &d->hook);
        free(d);
    }
    RTA_END_TRY;
    return 0;
}

rta_task *rta__async1_delay(uint64_t ms)
{
    a1_delay *d = malloc(sizeof *d);
    if (!d) {
        errno = ENOMEM;
        return NULL;
    }
    *d = (a1_delay){.scope = rta__scope_current(), .ms = ms};
    rta_task *t = rta_spawn(delay_run, d);
    if (!t)
        free(d);
    return t;
}

void rta_async1_suspend(rta_async1_sm *sm, const rta_awaiter_ops *aw, void *self, bool unsafe, bool pooled)
{
    /* errno is the thread's and the box may resume on another thread:
     * taken before this call's own allocations can change it. */
    int saved_errno = errno;
    rta__a1_box *b = sm->box;
    if (!b) {
        if (rta__unlikely(!rta__running))
            rta_throw(RTA_ENOTINIT, "async1 method '%s' suspended but the runtime is not running%s",
                      sm->builder.method->name,
                      rta__forked_child ? " (this process is a child forked while its parent's "
                                          "runtime was running; the runtime does not exist here)"
                                        : "");
        rta_async1_method *m = sm->builder.method;
        size_t bytes = sizeof *b + sm->size;
        if (pooled) {
            b = rta__a1_pool_rent(m, bytes);
            if (!b)
                rta_throw(-ENOMEM, "async1 method '%s': no memory for its box", m->name);
            b->own_scope = NULL;
            sm->builder.obj = b;
            sm->builder.token = rta_vtask_core_reset(&b->u.p.core);
        } else {
            rta__cancel_scope *own = NULL;
            if (a1_tls.prealloc_sm == sm && a1_tls.prealloc) {
                b = a1_tls.prealloc; /* start_task's, sized for this machine */
                a1_tls.prealloc = NULL;
                own = &b->own;
            } else {
                b = malloc(bytes);
            }
            if (!b)
                rta_throw(-ENOMEM, "async1 method '%s': no memory for its box", m->name);
            b->own_scope = own;
            b->pooled = false;
            /* The machine's reference and the caller's (handed out by task()). */
            rta__task_init(&b->u.task, RTA__TASK_ENGINE, 2, rta__a1_box_free_task);
            sm->builder.obj = &b->u.task;
        }
        b->work.run = rta__a1_box_run;
        b->waiter.fn = rta__a1_box_wake;
        b->method = m;
        b->reg.shard = NULL;
        rta__reg_add(&b->reg, pooled ? NULL : &b->u.task, "async1", (const void *)sm->move_next,
                     RTA__REG_PC_EXACT, NULL, b->reg_frame, 1);
        rta__a1_count(m, A1_HEAP_MOVES);
        rta__live_add(1);
        /* The stack copy keeps obj/box for the stub's task() call; the heap
         * copy is the machine from now on. */
        sm->box = b;
        memcpy(b->sm, sm, sm->size);
        char *lo = (char *)sm;
        if ((char *)self >= lo && (char *)self < lo + sm->size)
            self = b->sm + ((char *)self - lo);
    }
    /* Counted: installed (and consumed) by rta__a1_box_run when it resumes. */
    b->ctx = rta__ctx_capture(rta__cur_exec());
    b->resume_direct = (sm->resume_flags & RTA_ASYNC1_SM_DIRECT) != 0;
    b->saved_errno = saved_errno;
    b->scope = (rta__cancel_scope *)rta__tls_state.cancel;
    /* The async stack of a method is its own frame (which await: the
     * state); its callers are the tasks that await it (the dump links them). */
    rta__reg_frames_begin(&b->reg);
    atomic_store_explicit(&b->reg_frame[0], (uintptr_t)rta__a1_box_sm(b)->move_next, memory_order_relaxed);
    rta__reg_frames_end(&b->reg, 1, false);
    atomic_store_explicit(&b->reg.await_point, rta__a1_box_sm(b)->state, memory_order_relaxed);
    rta__reg_note(&b->reg, RTA__REG_AWAITING, aw, self, RTA__REG_NO_DUE);
    /* From here on the waiter may run (and the box move on) at any moment. */
    if (unsafe && aw->unsafe_on_completed)
        aw->unsafe_on_completed(self, &b->waiter);
    else
        aw->on_completed(self, &b->waiter);
}

/* ---- completion ---------------------------------------------------------------------- */

/* Completed tasks handed out for small synchronous results, as .NET caches
 * Task<int> for -1..8. Never freed: their count starts so high that releases
 * cannot bring it to zero in practice, and the engine's own consumers skip
 * the count altogether (rta__async1_task_consume). */
#define A1_CACHE_LO (-1)
#define A1_CACHE_HI 8
#define A1_PINNED (1u << 31)
#define CACHED(v)                                                                                            \
    {                                                                                                        \
        .refs = A1_PINNED, .status = RTA_SUCCEEDED, .kind = RTA__TASK_ENGINE, .value = (v),                  \
        .waiters = RTA__WAITERS_DONE                                                                         \
    }
static rta_task task_cache[] = {CACHED(-1), CACHED(0), CACHED(1), CACHED(2), CACHED(3),
                                CACHED(4),  CACHED(5), CACHED(6), CACHED(7), CACHED(8)};
_Static_assert(sizeof task_cache / sizeof task_cache[0] == A1_CACHE_HI - A1_CACHE_LO + 1,
               "one cached task per value");

static inline bool is_cached(const rta_task *t)
{
    return t >= task_cache && t < task_cache + sizeof task_cache / sizeof task_cache[0];
}

static rta_task *faulted_task(rta_error *e)
{
    rta_task *t = rta_promise_new();
    if (!t) {
        rta_error_free(e);
        return NULL;
    }
    if (e && rta_error_code(e) == -ECANCELED) {
        rta_error_free(e);
        rta_promise_cancel(t);
    } else {
        rta_promise_reject(t, e);
    }
    return t;
}

void rta_async1_complete(rta_async1_builder *b, int64_t v, rta_error *e)
{
    rta_async1_sm *sm = (rta_async1_sm *)((char *)b - offsetof(rta_async1_sm, builder));
    rta__a1_box *box = sm->box;
    if (!box) {
        /* Synchronous: the stub's task() turns this into the result. */
        b->flags = RTA_ASYNC1_B_DONE;
        if (e) {
            b->obj = faulted_task(e);
            if (!b->obj)
                rta__fatal("async1 method '%s': out of memory for its faulted task", b->method->name);
        } else {
            b->value = v;
        }
        return;
    }
    rta_status st = rta__error_status(e);
    int inline_ok = a1_tls.inline_ok;
    a1_tls.inline_ok = 1;
    if (box->pooled) {
        rta__reg_remove_if(&box->reg); /* no handle to hold: it leaves now */
        /* The consumer may return the box to a pool (and it may be rented
         * again) as soon as the core completes: nothing after that touches it. */
        if (e)
            rta_vtask_core_set_error(&box->u.p.core, e);
        else
            rta_vtask_core_set_result(&box->u.p.core, v);
    } else {
        if (st == RTA_CANCELED) {
            rta_error_free(e);
            e = NULL;
        }
        rta__task_complete(&box->u.task, st, v, e);
        rta_task_release(&box->u.task); /* the machine's reference */
    }
    a1_tls.inline_ok = inline_ok;
    rta__live_add(-1);
}

rta_task *rta_async1_builder_task(rta_async1_builder *b)
{
    if (b->obj)
        return b->obj; /* the box's task or a faulted one: the caller's reference */
    int64_t v = b->value;
    if (v >= A1_CACHE_LO && v <= A1_CACHE_HI)
        return &task_cache[v - A1_CACHE_LO];
    return rta_task_from_value(v);
}

rta_vtask rta_async1_builder_vtask(rta_async1_builder *b)
{
    rta_async1_sm *sm = (rta_async1_sm *)((char *)b - offsetof(rta_async1_sm, builder));
    rta__a1_box *box = sm->box;
    if (!b->obj)
        return rta_vtask_from_value(b->value);
    if (box && box->pooled)
        return rta_vtask_from_source(&box->u.p.src, b->token);
    return rta_vtask_from_task(b->obj);
}

/* ---- helpers the await macros call ------------------------------------------------------- */

/* A NULL task (a failed call's result) is "ready" and consuming it throws. */
bool rta__async1_task_ready(rta_task *t)
{
    return !t || rta__task_done(t);
}

int64_t rta__async1_task_consume(rta_task *t)
{
    if (rta__unlikely(!t))
        rta__throw_null_task("RTA_AWAIT1_TASK");
    if (rta__likely(rta_task_status(t) == RTA_SUCCEEDED)) {
        int64_t v = t->value;
        if (!is_cached(t))
            rta_task_release(t);
        return v;
    }
    /* Take a copy of the outcome, drop our reference, then throw. */
    rta_error *c;
    if (rta_task_status(t) == RTA_CANCELED)
        c = rta_error_new(-ECANCELED, "task %llu was canceled", (unsigned long long)t->id);
    else
        c = rta_error_copy(rta__task_take_view(t));
    if (!c)
        c = rta__error_oom();
    rta_task_release(t);
    rta__error_capture(c, 0);
    rta_throw_error(c);
}

rta_error *rta__async1_take_error(rta_error *e)
{
    rta_error *c = rta_error_copy(e);
    return c ? c : rta__error_oom();
}

void rta__async1_bad_state(rta_async1_sm *sm)
{
    rta__fatal("async1 method '%s' resumed in unknown state %d (a missing RTA_ASYNC1_RETURN or "
               "a machine resumed after it finished)",
               sm->builder.method ? sm->builder.method->name : "?", (int)sm->state);
}

/* ---- Task.Yield ------------------------------------------------------------------------ */

static bool yield_is_completed(void *self)
{
    (void)self;
    return false;
}

/* Never completes synchronously: the waiter queues its owner, which then
 * runs after the work already queued. */
static void yield_on_completed(void *self, rta_waiter *w)
{
    (void)self;
    w->fn(w);
}

static int64_t yield_get_result(void *self)
{
    (void)self;
    return 0;
}

const rta_awaiter_ops rta_async1_yield_awaiter = {
    .is_completed = yield_is_completed,
    .on_completed = yield_on_completed,
    .unsafe_on_completed = yield_on_completed,
    .get_result = yield_get_result,
};
