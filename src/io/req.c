/*
 * One I/O call as a resumable step machine (io.h, "requests"), driven by
 * the frames that suspend by returning: cont.c's io_cont and async1.c's
 * rta_io method. The frame owns the request and calls rta__ioreq_step
 * until it says done, awaiting between steps whatever the step returned.
 *
 * Each step runs in the frame while it runs (the syscalls, as for
 * tasklets, never while it is suspended: the kernel writes into buf only
 * then). The request holds no pointer into itself or into the frame (both
 * move); what must stay put while the frame is suspended is on the heap:
 * the readiness wait's record (wait.c), a blocking job (pool.c), the
 * addresses being looked up (net.c's rta__addrs_new).
 *
 * Stages:
 *   START      the first step: a constructor's error, the job queued, a
 *              lookup started, or the descriptor prepared; then as READY
 *   READY      in: the readiness wait's result; retry the syscall until it
 *              completes, fails, or says EAGAIN (then wait again)
 *   JOB        in: the job's result, which is the call's (run_blocking,
 *              rta_open, and pread / pwrite where the backend has no file
 *              operations: epoll)
 *   FILE       in: a pread / pwrite ring operation's result (io_uring,
 *              file.c); a pwrite goes on after a short write
 *   RESOLVED   in: the lookup's (n or -errno): sendto to READY, connect to
 *              the first address
 *   CONNECTING in: the connect wait's result: done, or the next address
 */
#include "io.h"

#include <string.h>
#include <unistd.h>

enum { ST_START, ST_READY, ST_JOB, ST_RESOLVED, ST_CONNECTING, ST_FILE };

/* Keeps the first address of a in q->u.to. */
static void keep_to(rta__ioreq *q, const rta__addrs *a)
{
    memcpy(&q->u.to.a, &a->ss[0], a->len[0] < sizeof q->u.to.a ? a->len[0] : sizeof q->u.to.a);
    q->u.to.len = a->len[0];
}

rta__ioreq rta__req_sendto(int fd, const void *buf, size_t n, const char *host, int port, rta_deadline d)
{
    rta__ioreq q = rta__req_io(RTA__REQ_SENDTO, fd, (void *)(uintptr_t)buf, n, d);
    rta__addrs a;
    int rc = rta__addrs_numeric(&a, host, port, SOCK_DGRAM, false);
    if (rc > 0) {
        keep_to(&q, &a);
    } else if (rc == 0) { /* a name: looked up at the first step */
        q.u.addrs = rta__addrs_new(host, port, SOCK_DGRAM, false, &q.err);
        q.lookup = true;
        if (q.u.addrs)
            q.u.addrs->family = rta__sock_family(fd);
    } else {
        q.err = rc;
    }
    return q;
}

rta__ioreq rta__req_connect(const char *host, int port, rta_deadline d)
{
    rta__ioreq q = rta__req_io(RTA__REQ_CONNECT, -1, NULL, 0, d);
    q.u.addrs = rta__addrs_new(host, port, SOCK_STREAM, false, &q.err);
    q.lookup = q.u.addrs && q.u.addrs->n == 0;
    return q;
}

rta__ioreq rta__req_blocking(int64_t (*fn)(void *), void *arg)
{
    rta__ioreq q = rta__req_io(RTA__REQ_BLOCKING, -1, NULL, 0, RTA_FOREVER);
    q.u.job.fn = fn;
    q.u.job.arg = arg;
    if (!fn) {
        fprintf(stderr, "rtasync: rta_run_blocking: fn is NULL\n");
        q.err = -EINVAL;
    }
    return q;
}

rta__ioreq rta__req_open(const char *path, int flags, int mode)
{
    rta__ioreq q = rta__req_io(RTA__REQ_OPEN, -1, NULL, 0, RTA_FOREVER);
    q.u.file.path = path;
    q.u.file.flags = flags;
    q.u.file.mode = mode;
    q.err = path ? 0 : -EFAULT;
    return q;
}

rta__ioreq rta__req_file(int kind, int fd, void *buf, size_t n, int64_t off)
{
    rta__ioreq q = rta__req_io(kind, fd, buf, n, RTA_FOREVER);
    q.u.file.off = off;
    q.err = rta__file_check(fd, buf, n, off);
    return q;
}

/* pread / pwrite from u.file.done on as a backend file operation: 0 await
 * it (*ops, *self), or -1 when the backend offers none. */
static int file_op(rta__ioreq *q, const rta_awaiter_ops **ops, void **self)
{
    size_t done = q->u.file.done;
    rta__fileop *x = rta__fileop_begin(q->fd, q->kind == RTA__REQ_PWRITE, (char *)q->buf + done, q->n - done,
                                       q->u.file.off + (int64_t)done);
    if (!x)
        return -1;
    q->stage = ST_FILE;
    *ops = &rta__fileop_ops;
    *self = x;
    return 0;
}

/* A file call: a backend file operation (pread, pwrite with io_uring), or
 * its job on the pool, the arguments copied into the job's record (the
 * request moves with its frame). For a pwrite that goes on after a short
 * one, from u.file.done on (ST_JOB adds it to the job's result). */
static int start_file(rta__ioreq *q, int64_t *res, const rta_awaiter_ops **ops, void **self)
{
    if (rta__file_refused())
        return -ECANCELED;
    if (q->kind != RTA__REQ_OPEN && (q->n || q->kind == RTA__REQ_PREAD) && file_op(q, ops, self) == 0)
        return 0;
    size_t done = q->u.file.done;
    q->stage = ST_JOB;
    *ops = &rta__job_ops;
    rta__file_op o = {.fd = q->fd,
                      .path = q->u.file.path,
                      .flags = q->u.file.flags,
                      .mode = q->u.file.mode,
                      .buf = (char *)q->buf + done,
                      .n = q->n - done,
                      .off = q->u.file.off + (int64_t)done};
    int64_t (*job)(void *) = q->kind == RTA__REQ_OPEN    ? rta__open_job
                             : q->kind == RTA__REQ_PREAD ? rta__pread_job
                                                         : rta__pwrite_job;
    return rta__job_begin_copy(job, &o, sizeof o, res, self);
}

static int done(int64_t *res, int64_t v);

/* ST_FILE's next operation (the rest of a pwrite, or a retry). */
static int file_again(rta__ioreq *q, int64_t *res, const rta_awaiter_ops **ops, void **self)
{
    int rc = start_file(q, res, ops, self);
    if (rc < 0)
        return done(res, rc);
    if (rc > 0) /* the pool's job ran right here: ST_JOB takes its result */
        return rta__ioreq_step(q, *res, res, ops, self);
    return 0;
}

/* One attempt of q's syscall: its result (>= 0), or -1 with errno. */
static int64_t attempt(rta__ioreq *q)
{
    switch (q->kind) {
    case RTA__REQ_READ:
        return rta__io_recv(q->fd, q->buf, q->n); /* read(2), or EAGAIN known without it */
    case RTA__REQ_RECVFROM:
        return recvfrom(q->fd, q->buf, q->n, 0, NULL, NULL);
    case RTA__REQ_ACCEPT:
        return rta__accept_try(q->fd);
    case RTA__REQ_SENDTO:
        return sendto(q->fd, q->buf, q->n, MSG_NOSIGNAL, (const struct sockaddr *)&q->u.to.a, q->u.to.len);
    default: /* RTA__REQ_WRITE: all n bytes; partial writes go on at once */
        while (q->u.wr.done < q->n) {
            ssize_t r =
                rta__io_send(q->fd, (const char *)q->buf + q->u.wr.done, q->n - q->u.wr.done, &q->u.wr.sock);
            if (r < 0)
                return -1;
            q->u.wr.done += (size_t)r;
        }
        return (int64_t)q->n;
    }
}

/* The readiness wait a kind's EAGAIN waits for (the dump's op too). */
static int wait_op(int kind)
{
    static const int ops[] = {[RTA__REQ_READ] = RTA__IO_RD,
                              [RTA__REQ_WRITE] = RTA__IO_WR,
                              [RTA__REQ_ACCEPT] = RTA__IO_ACCEPT,
                              [RTA__REQ_RECVFROM] = RTA__IO_RECVFROM,
                              [RTA__REQ_SENDTO] = RTA__IO_SENDTO};
    return ops[kind];
}

static int done(int64_t *res, int64_t v)
{
    *res = v;
    return 1;
}

static int await_wait(rta__iowait *w, const rta_awaiter_ops **ops, void **self)
{
    *ops = &rta__io_relay_ops;
    *self = w;
    return 0;
}

/* READY: the syscall until it completes or must wait. */
static int ready(rta__ioreq *q, int64_t *res, const rta_awaiter_ops **ops, void **self)
{
    q->stage = ST_READY;
    for (;;) {
        int64_t r = attempt(q);
        if (r >= 0)
            return done(res, r);
        rta__iowait *w;
        int rc = rta__io_again_begin(q->fd, wait_op(q->kind), q->d, &w);
        if (rc < 0)
            return done(res, rc);
        if (rc == 0)
            return await_wait(w, ops, self);
        /* 1: EINTR, an edge since the EAGAIN, or a blocking wait done */
    }
}

/* Connect: the addresses from a->i on, rc the last attempt's result. */
static int connect_next(rta__ioreq *q, int rc, int64_t *res, const rta_awaiter_ops **ops, void **self)
{
    rta__addrs *a = q->u.addrs;
    while (!rta__connect_final(rc) && a->i < a->n) {
        int fd;
        rc = rta__connect_start(&a->ss[a->i], a->len[a->i], &fd);
        a->i++;
        if (rc < 0)
            continue;
        if (rc == 0) {
            rc = fd;
            break;
        }
        rta__iowait *w;
        int wr = rta__io_wait_begin(fd, RTA__IO_CONNECT, q->d, &w);
        if (wr == 0) {
            q->fd = fd;
            q->stage = ST_CONNECTING;
            return await_wait(w, ops, self);
        }
        rc = rta__connect_end(fd, wr > 0 ? 0 : wr);
    }
    free(a);
    return done(res, rc);
}

static int start(rta__ioreq *q, int64_t *res, const rta_awaiter_ops **ops, void **self)
{
    if (q->err < 0)
        return done(res, q->err);
    int rc;
    if (q->kind >= RTA__REQ_BLOCKING) { /* a job: run_blocking, files */
        q->stage = ST_JOB;
        *ops = &rta__job_ops;
        rc = q->kind == RTA__REQ_BLOCKING ? rta__job_begin(q->u.job.fn, q->u.job.arg, res, self)
                                          : start_file(q, res, ops, self);
        return rc < 0 ? done(res, rc) : rc;
    }
    if (q->lookup) { /* a name (connect, sendto): looked up on the pool, into the heap */
        q->stage = ST_RESOLVED;
        *ops = &rta__job_ops;
        rc = rta__job_begin(rta__lookup_job, q->u.addrs, res, self);
        if (rc == 0)
            return 0;
        return rta__ioreq_step(q, rc < 0 ? rc : *res, res, ops, self); /* looked up here, or not at all */
    }
    if (q->kind == RTA__REQ_CONNECT)
        return connect_next(q, -ECONNREFUSED, res, ops, self);
    rc = rta__iofd_prepare(q->fd);
    return rc < 0 ? done(res, rc) : ready(q, res, ops, self);
}

int rta__ioreq_step(rta__ioreq *q, int64_t in, int64_t *res, const rta_awaiter_ops **ops, void **self)
{
    switch (q->stage) {
    case ST_START:
        return start(q, res, ops, self);
    case ST_READY:
        return in < 0 ? done(res, in) : ready(q, res, ops, self);
    case ST_JOB:
        /* A cancel request that came while the job ran (it finished: its
         * result is dropped, as for tasklets; an fd it opened is closed). */
        if (in != -ECANCELED && rta__cancel_pending()) {
            if (q->kind == RTA__REQ_OPEN && in >= 0)
                close((int)in);
            in = -ECANCELED;
        }
        if (q->kind == RTA__REQ_PWRITE && in >= 0)
            in += (int64_t)q->u.file.done; /* the rest of a write the ring began */
        return done(res, in);
    case ST_FILE:
        if (rta__cancel_pending()) /* the operation completed: its result is dropped */
            return done(res, -ECANCELED);
        in = rta__fileop_next(q->kind == RTA__REQ_PWRITE, q->n, &q->u.file.done, in);
        return in == RTA__FILEOP_AGAIN ? file_again(q, res, ops, self) : done(res, in);
    case ST_RESOLVED: {
        rta__addrs *a = q->u.addrs;
        if (in >= 0 && rta__cancel_pending())
            in = -ECANCELED; /* the lookup ran; the connect or send does not start */
        if (in < 0) {
            free(a);
            return done(res, in);
        }
        if (q->kind == RTA__REQ_CONNECT)
            return connect_next(q, -ECONNREFUSED, res, ops, self);
        keep_to(q, a);
        free(a);
        int rc = rta__iofd_prepare(q->fd);
        return rc < 0 ? done(res, rc) : ready(q, res, ops, self);
    }
    default: /* ST_CONNECTING */
        return connect_next(q, rta__connect_end(q->fd, (int)in), res, ops, self);
    }
}
