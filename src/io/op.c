/*
 * Read and write as operations that finish themselves (io.h, "operations"):
 * what rta_cont_read/_write and rta_async1_read/_write run on a worker.
 *
 * Why: driven by the request machine (req.c), a read that waits cost a
 * cont function of its own (its frame zeroed, the request copied in, the
 * frame saved at the await and restored at the resume, one more frame for
 * the dispatcher to resume) or, for async1, a method of its own (a state
 * machine started on the stack, moved into a pooled box at the await, a
 * registry entry, a context capture, a handler record and a value-task
 * completion that queued the awaiting method): 1,695 and 2,639 user-space
 * instructions per echo request where a tasklet took 964 (docs/io.md).
 * Here the caller tries the syscall itself; only a call that must wait
 * takes a wait record (wait.c's pool: nothing allocated in a steady
 * state), and the record is what the caller awaits: a cont frame awaits it
 * directly (rta__io_op_ops, the call returns the await's sentinel, so the
 * caller's frame is the one that suspends), an async1 method through a
 * value task whose source is the record.
 *
 * The record's wait is wait.c's relay wait (the deadline timer withdrawn on
 * the worker that armed it before anything else runs). Its outer waiter is
 * op_edge, which retries the syscall where it runs: in the poller's
 * dispatch, or on the deadline's worker after the relay's hop, never in
 * the caller, which is suspended. That is safe because the buffer of a
 * cont or async1 call is never in a stack region (cont frames and state
 * machines are heap data, and their buffers must not point into a frame
 * that moves, as for the request machine). An edge after which the
 * syscall still says EAGAIN (a partial write that filled the buffer
 * again, a spurious wake-up) makes the same record wait again
 * (rta__io_relay_rearm, which arms nothing twice); an edge that arrives
 * meanwhile runs op_edge at once (nested, once per edge).
 *
 * Invariants: the record belongs to the wait until op_edge delivered the
 * result (cont: op_consumer runs, and nothing touches the record after;
 * async1: op_core completes, which runs its waiter last); then to the
 * consumer, whose get_result frees it.
 */
#include "io.h"

int rta__io_op_more(rta__ioreq *q, int64_t *res, rta__iowait **w)
{
    for (;;) {
        /* 1: EINTR, or an edge since the EAGAIN: try again at once */
        int rc = rta__io_again_begin(q->fd, q->kind == RTA__REQ_READ ? RTA__IO_RD : RTA__IO_WR, q->d, w);
        if (rc < 0) {
            *res = rc;
            return 1;
        }
        if (rc == 0) {
            (*w)->op_q = *q;
            (*w)->op_consumer = NULL;
            return 0;
        }
        int64_t r = rta__io_op_attempt(q);
        if (r >= 0) {
            *res = r;
            return 1;
        }
    }
}

/* The relay's outer waiter: the wait ended (w->result: 0 an edge, else
 * -ETIMEDOUT or -ECANCELED), its timer withdrawn. */
static void op_edge(rta_waiter *x)
{
    rta__iowait *w = rta__container_of(x, rta__iowait, op_edge);
    int64_t r = w->result;
    while (r == 0) {
        r = rta__io_op_attempt(&w->op_q);
        if (r >= 0)
            break;
        int e = errno;
        if (e == EINTR) {
            r = 0;
            continue;
        }
        if (e != EAGAIN && e != EWOULDBLOCK) {
            r = -e;
            break;
        }
        /* Not ready after all (a partial write filled the buffer again,
         * a spurious edge): wait again, the relay comes back here. Not
         * through relay_on_completed: what it arms for the wait's life (a
         * cancel hook) is armed already, and arming it twice would link it
         * into its list twice. */
        rta__io_relay_rearm(w);
        return;
    }
    w->op_res = r;
    rta_waiter *c = w->op_consumer;
    if (c)
        c->fn(c); /* cont: the root may run at once elsewhere */
    else
        rta_vtask_core_set_result(&w->op_core, r); /* runs its waiter last */
}

/* ---- cont: the record as the awaiter of the caller's frame ---------------- */

static bool op_is_completed(void *self)
{
    (void)self;
    return false; /* rta__io_op_start saw EAGAIN just before */
}

/* Scheduler context, the root's chain off the stack: arm the wait. */
static void op_on_completed(void *self, rta_waiter *waiter)
{
    rta__iowait *w = self;
    w->op_consumer = waiter;
    w->op_edge.fn = op_edge;
    rta__io_relay_ops.on_completed(w, &w->op_edge);
}

static int64_t op_get_result(void *self)
{
    rta__iowait *w = self;
    int64_t r = w->op_res;
    rta__io_relay_ops.get_result(w); /* frees the record */
    return r;
}

const rta_awaiter_ops rta__io_op_ops = {
    .is_completed = op_is_completed,
    .on_completed = op_on_completed,
    .unsafe_on_completed = op_on_completed,
    .get_result = op_get_result,
};

/* ---- async1: the record as a value-task source ----------------------------- */

static inline rta__iowait *src_rec(void *src)
{
    return rta__container_of((rta_vtask_source *)src, rta__iowait, op_src);
}

static rta_status src_get_status(void *src, uint32_t token)
{
    return rta_vtask_core_get_status(&src_rec(src)->op_core, token);
}

static void src_on_completed(void *src, uint32_t token, rta_waiter *w)
{
    rta_vtask_core_on_completed(&src_rec(src)->op_core, token, w);
}

static int64_t src_get_result(void *src, uint32_t token)
{
    rta__iowait *w = src_rec(src);
    int64_t r = rta_vtask_core_get_result(&w->op_core, token); /* throws on a stale token: w is not ours */
    rta__io_relay_ops.get_result(w);                           /* frees the record */
    return r;
}

static const rta_vtask_source_ops src_ops = {
    .get_status = src_get_status,
    .on_completed = src_on_completed,
    .get_result = src_get_result,
};

rta_vtask rta__io_op_vtask(rta__ioreq *q)
{
    int64_t res;
    rta__iowait *w;
    if (rta__io_op_start(q, &res, &w))
        return rta_vtask_from_value(res);
    uint32_t token = rta_vtask_core_reset(&w->op_core);
    w->op_src.ops = &src_ops;
    w->op_edge.fn = op_edge;
    /* The dump describes the awaiting method's wait by its value task's
     * source (rta__reg_take_hint), not by the record's address. */
    rta__reg_hint_tls.self = &w->op_src;
    /* Armed now, on this worker (the deadline's timer goes into its heap):
     * an edge already there completes the core before this returns. */
    rta__io_relay_ops.on_completed(w, &w->op_edge);
    return rta_vtask_from_source(&w->op_src, token);
}
