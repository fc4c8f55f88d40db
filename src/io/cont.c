/*
 * The I/O calls as cont functions (rta_cont_read, _write, _tcp_accept,
 * _tcp_connect, _sendto, _recvfrom, _run_blocking, _open, _pread, _pwrite;
 * the lists are io.h's RTA__IO_OP_FORMS and RTA__IO_REQ_FORMS): what rtac
 * lowers those calls to in an async2 function built for the cont engine
 * (RUNTIME_AWAITS in tools/rtac/rtac_lib/front.py), also callable from
 * hand-written cont code with RTA_CONT_CALL. Same contract as the plain
 * calls (rta/io.h).
 *
 * Read and write on a worker are operations (op.c): no frame of their own.
 * Every other call, and read and write elsewhere, is a thin entry that
 * builds a request (req.c) and tail-calls rta__io_cont, the one cont
 * function that drives every request: the continuation a suspended call
 * leaves is rta__io_cont's, so a resume lands there, never in the entry.
 * The syscalls run in the resumed root, never while it is suspended; a
 * readiness wait is wait.c's relay record (the deadline timer is withdrawn
 * on the worker that armed it), a blocking job pool.c's. On a thread that
 * is not a worker (the synchronous start of rta_cont_call from main) they
 * block in poll(2), and a job runs right there, like the plain calls.
 *
 * Written with the cont engine's public macros (rta/cont.h), as any cont
 * code: the frame F holds what lives across the await.
 */
#include "io.h"

RTA__CONT_NO_CLOBBERED

static rta_cret rta__io_cont(rta_cont *rta__k_, const rta__ioreq *q);
static RTA_NOINLINE rta_cret rta__io_cont_resume(rta_cont *k)
{
    return rta__io_cont(k, NULL);
}

/* The frame's display name starts with rta_: task dumps and gdb leave the
 * runtime's own frames out, as they did rta_cont_read's. */
RTA__CONT_FN_ATTRS static rta_cret rta__io_cont(rta_cont *rta__k_, const rta__ioreq *q)
{
    RTA__CONT_FRAME_AS(rta__io_cont_resume, "rta_io", rta__ioreq q; int64_t r;);
    const rta_awaiter_ops *ops;
    void *self;
    F.q = *q;
    F.r = 0;
    for (;;) {
        int64_t res;
        if (rta__ioreq_step(&F.q, F.r, &res, &ops, &self))
            RTA_CONT_RETURN(res);
        RTA_CONT_AWAIT_CFG(F.r, ops, self, true);
    }
}

#define CONT_FORM(name, params, req)                                                                         \
    rta_cret rta_cont_##name(rta_cont *k, RTA__IO_UNPAREN params)                                            \
    {                                                                                                        \
        rta__ioreq q = req;                                                                                  \
        return rta__io_cont(k, &q);                                                                          \
    }
RTA__IO_REQ_FORMS(CONT_FORM)

/* Read and write on a worker (op.c): the syscall right here; a call that
 * must wait returns the await's sentinel with its wait record as the
 * awaiter, as RTA_CONT_AWAIT's helper does, so the caller's frame is the
 * one that suspends and resumes with the call's result (configure-await
 * true, as rta__io_cont's awaits). Elsewhere (the synchronous start of a
 * root on a plain thread, a root run by a sync context's thread) the
 * request machine, which blocks there. */
static inline rta_cret io_cont_op(rta_cont *k, rta__ioreq *q)
{
    if (rta__unlikely(!rta__cur_worker()))
        return rta__io_cont(k, q);
    int64_t res;
    rta__iowait *w;
    if (rta__io_op_start(q, &res, &w))
        return (rta_cret){res, NULL};
    return (rta_cret){0, rta__cont_await_k(&rta__io_op_ops, w, true)};
}

#define CONT_OP_FORM(name, params, req)                                                                      \
    rta_cret rta_cont_##name(rta_cont *k, RTA__IO_UNPAREN params)                                            \
    {                                                                                                        \
        rta__ioreq q = req;                                                                                  \
        return io_cont_op(k, &q);                                                                            \
    }
RTA__IO_OP_FORMS(CONT_OP_FORM)
