/*
 * Tasks, promises and blocking waits.
 *
 * A task completes exactly once: the completer that wins the CAS
 * PENDING -> COMPLETING writes value/error, publishes the final status with a
 * release store, then takes the waiter list with an exchange against
 * RTA__WAITERS_DONE. A waiter pushed before that exchange is run by the
 * completer; a waiter that finds DONE is told to go on synchronously. The
 * status store happens-before the exchange, so a waiter that runs (or a
 * thread that sees DONE) always sees the result.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Atomic uint64_t next_task_id = 1;

/* ---- unobserved faults ---------------------------------------------------------------- */

static void (*_Atomic unobserved_hook)(uint64_t, const rta_error *, void *);
static void *_Atomic unobserved_data;

void rta__set_unobserved_hook(void (*fn)(uint64_t, const rta_error *, void *), void *data)
{
    atomic_store(&unobserved_data, data);
    atomic_store(&unobserved_hook, fn);
}

void rta__unobserved_fault(uint64_t id, const rta_error *e)
{
    void (*fn)(uint64_t, const rta_error *, void *) = atomic_load(&unobserved_hook);
    if (fn) {
        fn(id, e, atomic_load(&unobserved_data));
        return;
    }
    fprintf(stderr,
            "rtasync: unobserved fault: task %llu faulted and its last reference was released "
            "without its error being read: error %d (%s): %s\n",
            (unsigned long long)id, rta_error_code(e), rta_strerror(rta_error_code(e)), rta_error_message(e));
}

/* Ids are handed to threads in blocks, so creating a task costs no atomic
 * operation; they stay unique process-wide (not ordered across threads). */
#define ID_BLOCK 1024
static __thread uint64_t id_next, id_end;

static uint64_t new_task_id(void)
{
    if (rta__unlikely(id_next == id_end)) {
        id_next = atomic_fetch_add_explicit(&next_task_id, ID_BLOCK, memory_order_relaxed);
        id_end = id_next + ID_BLOCK;
    }
    return id_next++;
}

void rta__task_init(rta_task *t, enum rta__task_kind kind, uint32_t refs, void (*destroy)(rta_task *))
{
    atomic_init(&t->refs, refs);
    atomic_init(&t->status, RTA_PENDING);
    t->kind = kind;
    atomic_init(&t->flags, 0);
    t->id = new_task_id();
    t->value = 0;
    t->error = NULL;
    atomic_init(&t->waiters, NULL);
    t->destroy = destroy;
}

/* A NULL handle is what a failed rta_spawn / rta_promise_new returns. Every
 * public call that takes a handle accepts it and treats it as a task that
 * faulted with this error (a static object: reading it allocates nothing),
 * so that a missed check shows up as a clear error, never as a segfault. */
static rta_error null_task_error = {
    .code = -EINVAL,
    .message = (char *)"NULL task handle (rta_spawn, rta_promise_new or another call that "
                       "returns a task failed and its result was not checked)",
};

rta_task *rta_task_retain(rta_task *t)
{
    if (t) {
        rta__task_check_live(t, "rta_task_retain");
        atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    }
    return t;
}

void rta_task_release(rta_task *t)
{
    if (!t)
        return;
    /* acq_rel: the last releaser must see every write made under the other refs. */
    uint32_t old = atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel);
    if (rta__unlikely(old == RTA__POISON))
        rta__task_stale(t, "rta_task_release");
    if (old == 1) {
        if (rta__unlikely(t->error != NULL) &&
            !(atomic_load_explicit(&t->flags, memory_order_relaxed) & RTA__TF_OBSERVED) &&
            atomic_load_explicit(&t->status, memory_order_relaxed) == RTA_FAULTED)
            rta__unobserved_fault(t->id, t->error);
        rta_error_free(t->error);
        t->error = NULL;
        if (rta__unlikely(rta__debug_on()))
            rta__quarantine_put(t);
        else if (t->destroy)
            t->destroy(t);
        else
            free(t);
    } else if (old == 0) {
        rta__fatal("rta_task_release: task %llu released more often than retained",
                   (unsigned long long)t->id);
    }
}

rta_status rta_task_status(const rta_task *t)
{
    if (rta__unlikely(!t))
        return RTA_FAULTED;
    rta__task_check_live(t, "rta_task_status");
    uint32_t s = atomic_load_explicit(&((rta_task *)t)->status, memory_order_acquire);
    return s == RTA__COMPLETING ? RTA_PENDING : (rta_status)s;
}

int64_t rta_task_value(const rta_task *t)
{
    if (rta__unlikely(!t))
        return 0;
    return rta_task_status(t) == RTA_SUCCEEDED ? t->value : 0;
}

const rta_error *rta_task_error(const rta_task *t)
{
    if (rta__unlikely(!t))
        return &null_task_error;
    return rta_task_status(t) == RTA_FAULTED ? rta__task_take_view((rta_task *)t) : NULL;
}

uint64_t rta_task_id(const rta_task *t)
{
    return t ? t->id : 0;
}

bool rta__task_complete(rta_task *t, rta_status st, int64_t value, rta_error *e)
{
    uint32_t expect = RTA_PENDING;
    if (!atomic_compare_exchange_strong_explicit(&t->status, &expect, RTA__COMPLETING, memory_order_acquire,
                                                 memory_order_relaxed)) {
        rta_error_free(e);
        return false;
    }
    rta__task_complete_owned(t, st, value, e);
    return true;
}

void rta__task_complete_owned(rta_task *t, rta_status st, int64_t value, rta_error *e)
{
    t->value = st == RTA_SUCCEEDED ? value : 0;
    t->error = st == RTA_FAULTED ? (e ? e : rta_error_new(-EINVAL, "faulted without an error")) : NULL;
    if (st != RTA_FAULTED)
        rta_error_free(e);
    if (st == RTA_FAULTED && !t->error)
        t->error = rta__error_oom();
    atomic_store_explicit(&t->status, st, memory_order_release);
    rta_waiter *w = atomic_exchange_explicit(&t->waiters, RTA__WAITERS_DONE, memory_order_acq_rel);
    /* The list is LIFO; run it in registration order. */
    rta_waiter *fifo = NULL;
    while (w) {
        rta_waiter *n = w->next;
        w->next = fifo;
        fifo = w;
        w = n;
    }
    while (fifo) {
        rta_waiter *n = fifo->next; /* fn may free or reuse the waiter */
        fifo->fn(fifo);
        fifo = n;
    }
}

bool rta_task_on_complete(rta_task *t, rta_waiter *w)
{
    if (rta__unlikely(!t))
        return false; /* "already complete": the caller reads the NULL-handle fault */
    rta__task_check_live(t, "rta_task_on_complete");
    rta_waiter *head = atomic_load_explicit(&t->waiters, memory_order_acquire);
    do {
        if (head == RTA__WAITERS_DONE)
            return false;
        w->next = head;
    } while (!atomic_compare_exchange_weak_explicit(&t->waiters, &head, w, memory_order_release,
                                                    memory_order_acquire));
    return true;
}

/* ---- the task awaiter ------------------------------------------------------------- */

__attribute__((noreturn)) void rta__throw_null_task(const char *call)
{
    rta_throw(-EINVAL, "%s: %s", call, null_task_error.message);
}

int64_t rta__task_result_or_throw(rta_task *t)
{
    switch (rta_task_status(t)) {
    case RTA_SUCCEEDED:
        return t->value;
    case RTA_FAULTED: {
        /* Every awaiter gets its own copy, so that each trace can grow with
         * the frames of the awaiter that rethrows it. */
        rta_error *c = rta_error_copy(rta__task_take_view(t));
        if (!c)
            c = rta__error_oom();
        rta__error_capture(c, 0);
        rta_throw_error(c);
    }
    case RTA_CANCELED:
        rta_throw(-ECANCELED, "task %llu was canceled", (unsigned long long)t->id);
    default:
        rta__fatal("result of task %llu read before it completed", (unsigned long long)t->id);
    }
}

/* A NULL self counts as complete and its result throws: the cont and async1
 * await macros reach a NULL task only through these ops. */
int64_t rta__task_consume(rta_task *t, const char *call)
{
    if (rta__unlikely(!t))
        rta__throw_null_task(call);
    rta_error *c;
    switch (rta_task_status(t)) {
    case RTA_SUCCEEDED: {
        int64_t v = t->value;
        rta_task_release(t);
        return v;
    }
    case RTA_FAULTED:
        if (!(c = rta_error_copy(rta__task_take_view(t))))
            c = rta__error_oom();
        rta__error_capture(c, 0);
        break;
    case RTA_CANCELED:
        if (!(c = rta_error_new(-ECANCELED, "task %llu was canceled", (unsigned long long)t->id)))
            c = rta__error_oom();
        break;
    default:
        rta__fatal("%s: result of task %llu read before it completed", call, (unsigned long long)t->id);
    }
    rta_task_release(t);
    rta_throw_error(c);
}

static bool task_is_completed(void *self)
{
    return !self || rta__task_done(self);
}

static void task_on_completed(void *self, rta_waiter *w)
{
    if (!rta_task_on_complete(self, w))
        w->fn(w);
}

/* rta__ names, though static: these frames sit between the awaiting user
 * function and the rethrow's capture (rta__task_result_or_throw is inlined
 * into them at -O2), and traces hide the runtime's frames by that prefix
 * (rta__symbol_hidden). As task_get_result, a Release build put it into the
 * trace of every await that rethrew (rtac_traces_*: "sync_thrower
 * task_get_result late_awaiter"). */
static int64_t rta__task_get_result(void *self)
{
    if (rta__unlikely(!self))
        rta__throw_null_task("await of a task (rta_task_awaiter)");
    return rta__task_result_or_throw(self);
}

const rta_awaiter_ops rta_task_awaiter = {
    .is_completed = task_is_completed,
    .on_completed = task_on_completed,
    .unsafe_on_completed = task_on_completed,
    .get_result = rta__task_get_result,
};

static int64_t rta__task_consume_result(void *self)
{
    return rta__task_consume(self, "await of a task (rta_task_release_awaiter)");
}

const rta_awaiter_ops rta_task_release_awaiter = {
    .is_completed = task_is_completed,
    .on_completed = task_on_completed,
    .unsafe_on_completed = task_on_completed,
    .get_result = rta__task_consume_result,
};

/* ---- promises ---------------------------------------------------------------------- */

rta_task *rta_promise_new(void)
{
    rta_task *t = malloc(sizeof *t);
    if (!t) {
        errno = ENOMEM;
        return NULL;
    }
    rta__task_init(t, RTA__TASK_PROMISE, 1, NULL);
    return t;
}

/* A NULL promise completes nothing (false, errno EINVAL), as for one that
 * is already complete. */
static bool null_promise(void)
{
    errno = EINVAL;
    return false;
}

bool rta_promise_resolve(rta_task *p, int64_t value)
{
    if (rta__unlikely(!p))
        return null_promise();
    rta__task_check_live(p, "rta_promise_resolve");
    return rta__task_complete(p, RTA_SUCCEEDED, value, NULL);
}

bool rta_promise_reject(rta_task *p, rta_error *e)
{
    if (rta__unlikely(!p)) {
        rta_error_free(e); /* ownership passes on every path */
        return null_promise();
    }
    rta__task_check_live(p, "rta_promise_reject");
    if (!e)
        e = rta_error_new(-EINVAL, "promise rejected without an error");
    return rta__task_complete(p, RTA_FAULTED, 0, e);
}

bool rta_promise_cancel(rta_task *p)
{
    if (rta__unlikely(!p))
        return null_promise();
    rta__task_check_live(p, "rta_promise_cancel");
    return rta__task_complete(p, RTA_CANCELED, 0, NULL);
}

rta_task *rta_task_from_value(int64_t v)
{
    rta_task *t = rta_promise_new();
    if (t)
        rta_promise_resolve(t, v);
    return t;
}

/* ---- blocking wait for non-async threads ----------------------------------------- */

/* done: 0 while the waiter runs or spins, 2 once it sleeps in the kernel,
 * 1 when the task completed. The waker only makes the futex call when the
 * waiter announced it sleeps. */
typedef struct blocking_waiter {
    rta_waiter w;
    _Atomic uint32_t done;
} blocking_waiter;

static void blocking_wake(rta_waiter *w)
{
    blocking_waiter *b = rta__container_of(w, blocking_waiter, w);
    /* The waiting thread may return as soon as it sees 1: a wake on its
     * dead stack slot is harmless (at worst a spurious wake of nobody). */
    if (atomic_exchange_explicit(&b->done, 1, memory_order_acq_rel) == 2)
        syscall(SYS_futex, &b->done, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static void blocking_sleep(blocking_waiter *b)
{
    /* Short waits are common (a task that runs at once on an idle worker):
     * watch for a few microseconds before sleeping. */
    for (int i = 0; i < 512; i++) {
        if (atomic_load_explicit(&b->done, memory_order_acquire) == 1)
            return;
        rta__cpu_relax();
    }
    uint32_t expect = 0;
    if (!atomic_compare_exchange_strong_explicit(&b->done, &expect, 2, memory_order_acq_rel,
                                                 memory_order_acquire))
        return; /* completed meanwhile */
    while (atomic_load_explicit(&b->done, memory_order_acquire) != 1)
        syscall(SYS_futex, &b->done, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
}

/* rta_task_wait's refusals: with err, a new error there; without, the
 * caller cannot be told by the return value (0 is a valid result), so the
 * error is thrown where the caller can catch it (inside a task it faults the
 * task with this message unless handled) and otherwise printed to stderr.
 * errno is set too: EINVAL, EAGAIN (not running) or EDEADLK (blocking). */
static int64_t wait_refused(rta_error **err, bool can_throw, int code, const char *msg)
{
    errno = code == -EINVAL ? EINVAL : code == RTA_ENOTINIT ? EAGAIN : EDEADLK;
    if (err) {
        *err = rta_error_new(code, "%s", msg);
        if (!*err)
            *err = rta__error_oom(); /* rta_error_free ignores it */
        return 0;
    }
    if (can_throw)
        rta_throw(code, "%s", msg);
    fprintf(stderr, "rtasync: %s\n", msg);
    return 0;
}

int64_t rta_task_wait(rta_task *t, rta_error **err)
{
    char msg[320];
    if (err)
        *err = NULL;
    if (rta__unlikely(!t)) {
        snprintf(msg, sizeof msg, "rta_task_wait: %s", null_task_error.message);
        return wait_refused(err, rta_in_async(), -EINVAL, msg);
    }
    rta__task_check_live(t, "rta_task_wait");
    /* Not running first: a child forked on a worker thread still has the
     * worker's thread state, and what it needs to hear is the fork. */
    if (!rta__task_done(t) && !rta__running) {
        snprintf(msg, sizeof msg,
                 "rta_task_wait: task %llu is pending and the runtime is not running (%s): "
                 "nothing could complete it",
                 (unsigned long long)t->id,
                 rta__forked_child ? "this process is a child forked while its parent's "
                                     "runtime was running; the runtime does not exist here"
                                   : "rta_init not called, or rta_shutdown already done");
        return wait_refused(err, rta_in_async(), RTA_ENOTINIT, msg);
    }
    if (rta__unlikely(rta__tls_state.worker != NULL)) {
        snprintf(msg, sizeof msg,
                 "rta_task_wait on task %llu called inside the runtime (a task or a worker "
                 "thread), where blocking would stall a worker: use rta_await there",
                 (unsigned long long)t->id);
        return wait_refused(err, true, RTA_EBLOCKING, msg);
    }
    if (!rta__task_done(t)) {
        blocking_waiter b = {.w = {.fn = blocking_wake}};
        atomic_init(&b.done, 0);
        if (rta_task_on_complete(t, &b.w))
            blocking_sleep(&b);
    }
    switch (rta_task_status(t)) {
    case RTA_SUCCEEDED:
        return t->value;
    case RTA_FAULTED:
        if (err && !(*err = rta_error_copy(rta__task_take_view(t))))
            *err = rta__error_oom();
        return 0;
    default:
        if (err && !(*err = rta_error_new(-ECANCELED, "task %llu was canceled", (unsigned long long)t->id)))
            *err = rta__error_oom();
        return 0;
    }
}
