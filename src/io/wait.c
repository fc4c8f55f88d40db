/*
 * One readiness wait of a task (see io.h for who ends a wait and how).
 *
 * The record lives off the task's stack, in a per-thread pool: the waiting
 * task is resumed on the worker it waits on (tasklets are bound to their
 * worker), which returns the record to that worker's pool, so the steady
 * state allocates nothing. Every record ever allocated is also on a global
 * list, freed at shutdown (a worker thread's pool dies with the thread).
 */
#include "io.h"

#include <poll.h>

static __thread rta__iowait *pool;
static rta__iowait *all_records;
static pthread_mutex_t all_lock = PTHREAD_MUTEX_INITIALIZER;
/* Records freed on a thread that is not a worker (a cont root resumed by a
 * sync context's thread) go to a shared list, taken under all_lock: a plain
 * thread's pool would outlive rta_shutdown's free of the records. */
static rta__iowait *spare;

typedef struct record_block {
    struct record_block *next;
    rta__iowait w;
} record_block;

static rta__iowait *wait_alloc(void)
{
    rta__iowait *w = pool;
    if (w) {
        pool = w->next_free;
        return w;
    }
    pthread_mutex_lock(&all_lock);
    w = spare;
    if (w)
        spare = w->next_free;
    pthread_mutex_unlock(&all_lock);
    if (w)
        return w;
    record_block *b = malloc(sizeof *b);
    if (!b)
        return NULL;
    rta_vtask_core_init(&b->w.op_core); /* once: its version outlives each use (op.c) */
    pthread_mutex_lock(&all_lock);
    b->next = (record_block *)all_records;
    all_records = (rta__iowait *)b;
    pthread_mutex_unlock(&all_lock);
    return &b->w;
}

static void wait_free(rta__iowait *w)
{
    w->next_free = pool;
    pool = w;
}

void rta__io_wait_records_free(void)
{
    record_block *b = (record_block *)all_records;
    while (b) {
        record_block *n = b->next;
        free(b);
        b = n;
    }
    all_records = NULL;
    spare = NULL;
    pool = NULL;
}

int64_t rta_now_ns(void)
{
    return (int64_t)rta__now_ns();
}

rta_deadline rta_after_ms(int64_t ms)
{
    int64_t now = rta_now_ns();
    if (ms <= 0)
        return now;
    if (ms >= (RTA_FOREVER - now) / 1000000)
        return RTA_FOREVER;
    return now + ms * 1000000;
}

/* Takes w out of its op if it is still there, with result; runs the waiter. */
static void end_if_pending(rta__iowait *w, int result)
{
    rta__iofd *f = w->iofd;
    bool mine = false;
    rta__fdlock_lock(&f->lock);
    if (f->op[w->dir].wait == w) {
        f->op[w->dir].wait = NULL;
        w->result = result;
        mine = true;
    }
    rta__fdlock_unlock(&f->lock);
    if (mine)
        w->waiter->fn(w->waiter);
}

static void deadline_fire(rta__timer *t)
{
    end_if_pending(rta__container_of(t, rta__iowait, timer), -ETIMEDOUT);
}

static void wait_cancel(rta__cancel_hook *h)
{
    end_if_pending(rta__container_of(h, rta__iowait, hook.h), -ECANCELED);
}

static bool wait_is_completed(void *self)
{
    (void)self;
    return false; /* the caller looked at the ready flag just before */
}

/* Scheduler context on the task's worker, the task's frames switched out. */
static void wait_on_completed(void *self, rta_waiter *waiter)
{
    rta__iowait *w = self;
    rta__iofd *f = w->iofd;
    rta__ioop *op = &f->op[w->dir];
    w->waiter = waiter;
    rta__fdlock_lock(&f->lock);
    if (atomic_load(&rta__io_state.stopping) || !f->registered || rta__cancel_requested(w->task) ||
        (w->scope && rta__scope_requested(w->scope))) {
        /* Shutting down, closed since the check, or cancelled while
         * switching out (rta_task_cancel's hook found nothing to end yet
         * and took this lock before or after us: see sched.h). */
        w->result = -ECANCELED;
    } else if (atomic_load_explicit(&op->ready, memory_order_relaxed)) {
        /* the edge came while we switched out */
        atomic_store_explicit(&op->ready, false, memory_order_relaxed);
        w->result = 0;
    } else if (op->wait) {
        w->result = -EBUSY;
    } else {
        w->result = 0;
        if (w->timer.deadline_ns != UINT64_MAX && rta__timer_heap_add(&w->wk->timers, &w->timer) < 0)
            w->result = -ENOMEM;
        else
            op->wait = w;
    }
    bool now = op->wait != w;
    rta__fdlock_unlock(&f->lock);
    if (now)
        waiter->fn(waiter);
}

static int64_t wait_get_result(void *self)
{
    return ((rta__iowait *)self)->result;
}

static const rta_awaiter_ops wait_ops = {
    .is_completed = wait_is_completed,
    .on_completed = wait_on_completed,
    .unsafe_on_completed = wait_on_completed,
    .get_result = wait_get_result,
};

/* A thread outside the runtime blocks in poll(2) instead. */
static int block_wait(int fd, int dir, rta_deadline d)
{
    struct pollfd p = {.fd = fd, .events = dir == RTA__IO_RD ? POLLIN : POLLOUT};
    for (;;) {
        int timeout = -1;
        if (d != RTA_FOREVER) {
            int64_t left = d - rta_now_ns();
            if (left <= 0)
                return -ETIMEDOUT;
            timeout = (int)((left + 999999) / 1000000 > INT32_MAX ? INT32_MAX : (left + 999999) / 1000000);
        }
        int n = poll(&p, 1, timeout);
        if (n > 0)
            return p.revents & POLLNVAL ? -EBADF : 0;
        if (n < 0 && errno != EINTR)
            return -errno;
    }
}

/* What every wait does first: 1 retry at once (an edge came since the
 * caller's EAGAIN), 0 go on and wait, or -errno. */
static int wait_prelude(int fd, int dir, rta_deadline d, rta__iofd **fp)
{
    if (atomic_load(&rta__io_state.stopping) || rta__cancel_pending())
        return -ECANCELED;
    if (d != RTA_FOREVER && d <= rta_now_ns())
        return -ETIMEDOUT;
    rta__iofd *f = rta__iofd_get(fd, true);
    if (!f)
        return fd < 0 ? -EBADF : -ENOMEM;
    *fp = f;
    /* The common case without the lock: registered and no edge since the
     * EAGAIN. The awaiter's on_completed looks again under the lock (an
     * edge in between resumes the task at once; another waiter: -EBUSY). */
    if (atomic_load_explicit(&f->registered, memory_order_relaxed) &&
        !atomic_load_explicit(&f->op[dir].ready, memory_order_relaxed))
        return 0;
    rta__fdlock_lock(&f->lock);
    int rc = rta__iofd_register_locked(f);
    if (rc == 0 && atomic_load_explicit(&f->op[dir].ready, memory_order_relaxed)) {
        atomic_store_explicit(&f->op[dir].ready, false, memory_order_relaxed);
        rc = 1; /* an edge since the caller's EAGAIN: retry at once */
    } else if (rc == 0 && f->op[dir].wait) {
        rc = -EBUSY;
    }
    rta__fdlock_unlock(&f->lock);
    return rc;
}

static rta__iowait *wait_new(rta__iofd *f, int dir, rta_deadline d, rta__worker *wk)
{
    rta__iowait *w = wait_alloc();
    if (!w)
        return NULL;
    w->timer = (rta__timer){.deadline_ns = d == RTA_FOREVER ? UINT64_MAX : (uint64_t)d,
                            .heap_index = RTA__TIMER_NONE,
                            .fire = deadline_fire};
    w->wk = wk;
    w->iofd = f;
    w->dir = dir;
    w->result = 0;
    w->waiter = NULL;
    w->task = NULL;
    w->scope = NULL;
    w->scope_armed = false;
    return w;
}

/* The task dump's words for a wait's op (io.h), copied into the waiting
 * task's registry entry at the suspension (rta__reg_hint_wait). */
static void describe(rta__iowait *w, int op)
{
    static const char *const names[] = {"read", "write", "accept", "connect", "recvfrom", "sendto"};
    rta__reg_hint_wait(w, RTA__REG_WAIT_IO, (unsigned)op < 6 ? names[op] : NULL, w->iofd->fd,
                       w->timer.deadline_ns, 0);
}

int rta__io_wait(int fd, int op, rta_deadline d)
{
    int dir = RTA__IO_DIR(op);
    if (!rta__tls_state.stackful)
        return rta__tls_state.worker ? -ENOTSUP : block_wait(fd, dir, d);
    rta__iofd *f;
    int rc = wait_prelude(fd, dir, d, &f);
    if (rc != 0)
        return rc > 0 ? 0 : rc;
    rta__iowait *w = wait_new(f, dir, d, rta__cur_worker());
    if (!w)
        return -ENOMEM;
    w->task = rta__cancel_current();
    w->hook.h.fn = wait_cancel;
    if (!rta__cancel_arm(&w->hook.h)) {
        wait_free(w);
        return -ECANCELED;
    }
    describe(w, op);
    int64_t r = rta_await_awaiter_cfg(&wait_ops, w, true);
    /* Back on wk: no cancel can reach the record any more, and the deadline
     * is withdrawn if the wait ended otherwise; then the record is reusable. */
    rta__cancel_disarm();
    rta__timer_heap_remove(&w->wk->timers, &w->timer);
    wait_free(w);
    return (int)r;
}

/* ---- the wait for frames that suspend by returning (cont.c) -------------
 * A cont root resumes on whichever worker takes it, but the deadline timer
 * sits in the heap of the worker wk that armed it (owner only). So a cont
 * record's waiter is a relay: the wait ends (event, deadline, close,
 * shutdown) and the relay withdraws the timer on wk before it wakes the
 * root, inline when it already runs on wk (always with one worker; and a
 * deadline that fired was popped there) or when no timer was armed, else as
 * bound work queued to wk. The root's get_result then reads the result and
 * frees the record.
 * Cancellation: the record keeps the scope of the task that began the wait
 * (a cont root's, an async1 task's: sched.h). Its hook is armed in
 * on_completed, when the frames have unwound and before the record can be
 * woken (a request that came first makes wait_on_completed end it at once,
 * under the fd lock as the tasklet's protocol does), and disarmed in
 * get_result, before the record is reused. */

static void relay_finish(rta__iowait *w)
{
    rta__timer_heap_remove(&w->wk->timers, &w->timer);
    rta_waiter *outer = w->outer;
    outer->fn(outer); /* the root may run at once elsewhere: w is its own now */
}

static void relay_hop(rta__work *h)
{
    relay_finish(rta__container_of(h, rta__iowait, hop));
}

static void relay_fn(rta_waiter *x)
{
    rta__iowait *w = rta__container_of(x, rta__iowait, relay);
    if (w->timer.deadline_ns == UINT64_MAX || rta__cur_worker() == w->wk) {
        relay_finish(w);
    } else {
        w->hop.run = relay_hop;
        rta__sched_ready_on(w->wk, &w->hop);
    }
}

static void relay_on_completed(void *self, rta_waiter *waiter)
{
    rta__iowait *w = self;
    w->outer = waiter;
    w->relay.fn = relay_fn;
    if (w->scope && !w->scope_armed) {
        /* Once per record: an operation (op.c) waits again with it after a
         * spurious edge; a hook a request already ran stays off, and
         * wait_on_completed sees the request itself. */
        w->hook.h.fn = wait_cancel;
        w->scope_armed = true;
        rta__scope_arm(w->scope, &w->hook); /* false: wait_on_completed sees the request */
    }
    wait_on_completed(w, &w->relay);
}

static int64_t relay_get_result(void *self)
{
    rta__iowait *w = self;
    if (w->scope_armed)
        rta__scope_disarm(w->scope, &w->hook); /* a request running the hook finishes first */
    int64_t r = w->result;
    if (rta__cur_worker()) {
        wait_free(w);
    } else {
        pthread_mutex_lock(&all_lock);
        w->next_free = spare;
        spare = w;
        pthread_mutex_unlock(&all_lock);
    }
    return r;
}

const rta_awaiter_ops rta__io_relay_ops = {
    .is_completed = wait_is_completed,
    .on_completed = relay_on_completed,
    .unsafe_on_completed = relay_on_completed,
    .get_result = relay_get_result,
};

int rta__io_wait_begin(int fd, int op, rta_deadline d, rta__iowait **out)
{
    int dir = RTA__IO_DIR(op);
    *out = NULL;
    rta__worker *wk = rta__cur_worker();
    if (!wk) { /* the synchronous start of a root on a plain thread: block it */
        int rc = block_wait(fd, dir, d);
        return rc < 0 ? rc : 1;
    }
    rta__iofd *f;
    int rc = wait_prelude(fd, dir, d, &f);
    if (rc != 0)
        return rc;
    *out = wait_new(f, dir, d, wk);
    if (*out) {
        (*out)->scope = rta__scope_current();
        describe(*out, op); /* the caller's await follows at once */
    }
    return *out ? 0 : -ENOMEM;
}

int rta__io_again(int fd, int dir, rta_deadline d)
{
    int e = errno;
    if (e == EINTR)
        return 0;
    if (e != EAGAIN && e != EWOULDBLOCK)
        return -e;
    return rta__io_wait(fd, dir, d);
}

int rta__io_again_begin(int fd, int dir, rta_deadline d, rta__iowait **w)
{
    *w = NULL;
    int e = errno;
    if (e == EINTR)
        return 1;
    if (e != EAGAIN && e != EWOULDBLOCK)
        return -e;
    return rta__io_wait_begin(fd, dir, d, w);
}

/* An operation's record waits again after an edge its syscall found
 * spurious (op.c): relay_on_completed's wait without its first-wait set-up
 * (whatever the record arms for the wait's whole life stays armed until
 * get_result). The outer waiter is still the operation's. */
void rta__io_relay_rearm(rta__iowait *w)
{
    w->relay.fn = relay_fn;
    wait_on_completed(w, &w->relay);
}
