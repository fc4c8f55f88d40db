/*
 * The I/O calls as async1 methods returning a value task (rta_async1_read,
 * _write, _tcp_accept, _tcp_connect, _sendto, _recvfrom, _run_blocking,
 * _open, _pread, _pwrite; the lists are io.h's RTA__IO_OP_FORMS and
 * RTA__IO_REQ_FORMS): what rtac lowers those calls to in an async2 function
 * built for the async1 engine (RUNTIME_AWAITS in
 * tools/rtac/rtac_lib/front.py), also awaitable from hand-written async1
 * code with RTA_AWAIT1_VTASK. Same contract as the plain calls (rta/io.h).
 *
 * Read and write on a worker are operations (op.c): their value task's
 * source is the wait record itself, no method runs. Every other call, and
 * read and write elsewhere, is a stub of one method, rta_io, that drives a
 * request (req.c), as cont.c's io_cont does: the syscall runs in the
 * method (on the caller's stack while it has not suspended, else in the
 * resumed box), never while it is suspended; a readiness wait is wait.c's
 * relay record (the deadline timer is withdrawn on the worker that armed
 * it), a blocking job pool.c's.
 * Called on a thread that is not a worker (main calling a method's stub)
 * while the runtime runs, the method first hops onto the workers (a
 * yield), as a C# method started without a context continues on the
 * thread pool: blocking in poll(2) there would hold up the caller, which
 * has not yet got its task; and the descriptor is registered with the
 * poller by a worker (an io_uring poll runs its wake-ups on the thread that
 * armed it, interrupting that thread's system calls: uring.c). With no
 * runtime running the calls block in poll(2), like the plain ones. No task
 * is spawned: the method completes synchronously when the syscall does
 * (the value task holds the result, nothing allocated), and a suspension
 * moves the machine into a box from the method's own pool, so a read/write
 * loop reuses boxes instead of allocating.
 *
 * Written with the async1 engine's public macros (rta/async1.h), as any
 * async1 code: the state machine holds what lives across the await. The
 * awaits inside are configure-await false (library code, as .NET's): the
 * caller's own await of the value task resumes it under its context.
 */
#include "io.h"

/* Idle boxes kept per worker thread: enough for a server's burst of reads
 * ending at once; a box is ~250 bytes. */
#define IO_POOL 64

typedef struct io_sm {
    rta_async1_sm hdr;
    rta__ioreq q;
    const rta_awaiter_ops *ops;
    void *self;
    int64_t r;
} io_sm;

RTA_ASYNC1_METHOD(rta_io, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, IO_POOL));

static void io_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(rta_io, io_sm, sm, m);
    if (!rta__cur_worker() && rta__running)
        RTA_AWAIT1_YIELD_CFG(false); /* see the top: never register or wait from here */
    for (;;) {
        {
            int64_t res;
            if (rta__ioreq_step(&sm->q, sm->r, &res, &sm->ops, &sm->self))
                RTA_ASYNC1_RETURN(res);
        }
        RTA_AWAIT1_CFG(sm->ops, sm->self, sm->r, false);
    }
    RTA_ASYNC1_END();
}

static rta_vtask io_async1(rta__ioreq q)
{
    io_sm sm;
    sm.q = q;
    sm.ops = NULL;
    sm.self = NULL;
    sm.r = 0;
    RTA_ASYNC1_START(rta_io, &sm, io_move_next);
    return RTA_ASYNC1_TASK(rta_io, &sm);
}

#define ASYNC1_FORM(name, params, req)                                                                       \
    rta_vtask rta_async1_##name(RTA__IO_UNPAREN params)                                                      \
    {                                                                                                        \
        return io_async1(req);                                                                               \
    }
RTA__IO_REQ_FORMS(ASYNC1_FORM)

/* Read and write on a worker (op.c): no method of their own; the syscall
 * runs right here, and a call that must wait returns a value task whose
 * source is its wait record. Elsewhere the rta_io method (see the top). */
#define ASYNC1_OP_FORM(name, params, req)                                                                    \
    rta_vtask rta_async1_##name(RTA__IO_UNPAREN params)                                                      \
    {                                                                                                        \
        rta__ioreq q = req;                                                                                  \
        if (rta__likely(rta__cur_worker() != NULL))                                                          \
            return rta__io_op_vtask(&q);                                                                     \
        return io_async1(q);                                                                                 \
    }
RTA__IO_OP_FORMS(ASYNC1_OP_FORM)
