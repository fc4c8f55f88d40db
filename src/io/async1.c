/*
 * rta_read, rta_write and rta_tcp_accept as async1 methods: what rtac
 * lowers those calls to in an async2 function built for the async1 engine
 * (RUNTIME_AWAITS in tools/rtac/rtac_lib/front.py), also awaitable from
 * hand-written async1 code with RTA_AWAIT1_VTASK. Same contract as the
 * plain calls (rta/io.h). Like cont.c: the syscall runs in the method (on the caller's
 * stack while it has not suspended, else in the resumed box), never while
 * it is suspended, and the readiness wait is wait.c's relay record (the
 * deadline timer is withdrawn on the worker that armed it). Called on a
 * thread that is not a worker (main calling a method's stub) while the
 * runtime runs, the method first hops onto the workers (a yield), as a C#
 * method started without a context continues on the thread pool: blocking
 * in poll(2) there would hold up the caller, which has not yet got its
 * task; and the descriptor is registered with the poller by a worker (an
 * io_uring poll runs its wake-ups on the thread that armed it, interrupting
 * that thread's system calls: uring.c). With no runtime running the calls
 * block in poll(2), like the plain ones. No task is spawned: the method
 * completes synchronously when the syscall does (the value task holds the
 * result, nothing allocated), and a suspension moves the machine into a
 * box from the method's own pool, so a read/write loop reuses boxes
 * instead of allocating.
 *
 * Written with the async1 engine's public macros (rta/async1.h), as any
 * async1 code: the state machine holds what lives across the await. The
 * awaits inside are configure-await false (library code, as .NET's): the
 * caller's own await of the value task resumes it under its context.
 */
#include "io.h"

#include <unistd.h>

/* Idle boxes kept per worker thread, per method: enough for a server's
 * burst of reads ending at once; a box is ~200 bytes. */
#define IO_POOL 64

typedef struct read_sm {
    rta_async1_sm hdr;
    int fd;
    void *buf;
    size_t n;
    rta_deadline d;
    rta__iowait *w;
    int64_t r;
} read_sm;

RTA_ASYNC1_METHOD(rta_read, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, IO_POOL));

static void read_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(rta_read, read_sm, sm, m);
    if (!rta__cur_worker() && rta__running)
        RTA_AWAIT1_YIELD_CFG(false); /* see the top: never register or wait from here */
    {
        int prc = rta__iofd_prepare(sm->fd);
        if (prc < 0)
            RTA_ASYNC1_RETURN(prc);
    }
    for (;;) {
        {
            ssize_t r = rta__io_recv(sm->fd, sm->buf, sm->n);
            if (r >= 0)
                RTA_ASYNC1_RETURN(r);
            int rc = rta__io_again_begin(sm->fd, RTA__IO_RD, sm->d, &sm->w);
            if (rc < 0)
                RTA_ASYNC1_RETURN(rc);
            if (rc > 0)
                continue; /* EINTR, an edge since the EAGAIN, or a blocking wait done */
        }
        RTA_AWAIT1_CFG(&rta__io_relay_ops, sm->w, sm->r, false);
        if (sm->r < 0)
            RTA_ASYNC1_RETURN(sm->r);
    }
    RTA_ASYNC1_END();
}

rta_vtask rta_async1_read(int fd, void *buf, size_t n, rta_deadline d)
{
    read_sm sm;
    sm.fd = fd;
    sm.buf = buf;
    sm.n = n;
    sm.d = d;
    sm.w = NULL;
    sm.r = 0;
    RTA_ASYNC1_START(rta_read, &sm, read_move_next);
    return RTA_ASYNC1_TASK(rta_read, &sm);
}

typedef struct write_sm {
    rta_async1_sm hdr;
    int fd;
    bool sock;
    const char *buf;
    size_t n;
    size_t done;
    rta_deadline d;
    rta__iowait *w;
    int64_t r;
} write_sm;

RTA_ASYNC1_METHOD(rta_write, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, IO_POOL));

static void write_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(rta_write, write_sm, sm, m);
    if (!rta__cur_worker() && rta__running)
        RTA_AWAIT1_YIELD_CFG(false); /* see the top: never register or wait from here */
    {
        int prc = rta__iofd_prepare(sm->fd);
        if (prc < 0)
            RTA_ASYNC1_RETURN(prc);
    }
    while (sm->done < sm->n) {
        {
            ssize_t r = rta__io_send(sm->fd, sm->buf + sm->done, sm->n - sm->done, &sm->sock);
            if (r >= 0) {
                sm->done += (size_t)r;
                continue;
            }
            int rc = rta__io_again_begin(sm->fd, RTA__IO_WR, sm->d, &sm->w);
            if (rc < 0)
                RTA_ASYNC1_RETURN(rc);
            if (rc > 0)
                continue;
        }
        RTA_AWAIT1_CFG(&rta__io_relay_ops, sm->w, sm->r, false);
        if (sm->r < 0)
            RTA_ASYNC1_RETURN(sm->r);
    }
    RTA_ASYNC1_RETURN((int64_t)sm->n);
    RTA_ASYNC1_END();
}

rta_vtask rta_async1_write(int fd, const void *buf, size_t n, rta_deadline d)
{
    write_sm sm;
    sm.fd = fd;
    sm.sock = true;
    sm.buf = buf;
    sm.n = n;
    sm.done = 0;
    sm.d = d;
    sm.w = NULL;
    sm.r = 0;
    RTA_ASYNC1_START(rta_write, &sm, write_move_next);
    return RTA_ASYNC1_TASK(rta_write, &sm);
}

typedef struct accept_sm {
    rta_async1_sm hdr;
    int lfd;
    rta_deadline d;
    rta__iowait *w;
    int64_t r;
} accept_sm;

RTA_ASYNC1_METHOD(rta_tcp_accept, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, IO_POOL));

static void accept_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(rta_tcp_accept, accept_sm, sm, m);
    if (!rta__cur_worker() && rta__running)
        RTA_AWAIT1_YIELD_CFG(false); /* see the top: never register or wait from here */
    {
        int prc = rta__iofd_prepare(sm->lfd);
        if (prc < 0)
            RTA_ASYNC1_RETURN(prc);
    }
    for (;;) {
        {
            int fd = rta__accept_try(sm->lfd);
            if (fd >= 0)
                RTA_ASYNC1_RETURN(fd);
            int rc = rta__io_again_begin(sm->lfd, RTA__IO_ACCEPT, sm->d, &sm->w);
            if (rc < 0)
                RTA_ASYNC1_RETURN(rc);
            if (rc > 0)
                continue;
        }
        RTA_AWAIT1_CFG(&rta__io_relay_ops, sm->w, sm->r, false);
        if (sm->r < 0)
            RTA_ASYNC1_RETURN(sm->r);
    }
    RTA_ASYNC1_END();
}

rta_vtask rta_async1_tcp_accept(int lfd, rta_deadline d)
{
    accept_sm sm;
    sm.lfd = lfd;
    sm.d = d;
    sm.w = NULL;
    sm.r = 0;
    RTA_ASYNC1_START(rta_tcp_accept, &sm, accept_move_next);
    return RTA_ASYNC1_TASK(rta_tcp_accept, &sm);
}
