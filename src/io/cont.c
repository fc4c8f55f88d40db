/*
 * rta_read, rta_write and rta_tcp_accept as cont functions: what rtac
 * lowers those calls to in an async2 function built for the cont engine
 * (RUNTIME_AWAITS in tools/rtac/rtac_lib/front.py), also callable from
 * hand-written cont code with RTA_CONT_CALL. Same contract as the plain
 * calls (rta/io.h); the syscalls run in the resumed root, never while it
 * is suspended, and the readiness wait is wait.c's relay record (the
 * deadline timer is withdrawn on the worker that armed it). On a thread that is not a worker (the
 * synchronous start of rta_cont_call from main) they block in poll(2) like
 * the plain calls.
 *
 * Written with the cont engine's public macros (rta/cont.h), as any cont
 * code: the frame F holds what lives across the await.
 */
#include "io.h"

#include <unistd.h>

RTA__CONT_NO_CLOBBERED

rta_cret rta_cont_read(rta_cont *rta__k_, int fd, void *buf, size_t n, rta_deadline d);
static RTA_NOINLINE rta_cret resume_read(rta_cont *k)
{
    return rta_cont_read(k, 0, NULL, 0, 0);
}

RTA__CONT_FN_ATTRS rta_cret rta_cont_read(rta_cont *rta__k_, int fd, void *buf, size_t n, rta_deadline d)
{
    RTA__CONT_FRAME_AS(resume_read, "rta_read", int fd; void *buf; size_t n; rta_deadline d; int64_t r;);
    F.fd = fd;
    F.buf = buf;
    F.n = n;
    F.d = d;
    int prc = rta__iofd_prepare(F.fd);
    if (prc < 0)
        RTA_CONT_RETURN(prc);
    for (;;) {
        ssize_t r = rta__io_recv(F.fd, F.buf, F.n);
        if (r >= 0)
            RTA_CONT_RETURN(r);
        rta__iowait *w;
        int rc = rta__io_again_begin(F.fd, RTA__IO_RD, F.d, &w);
        if (rc < 0)
            RTA_CONT_RETURN(rc);
        if (rc == 0) {
            RTA_CONT_AWAIT_CFG(F.r, &rta__io_relay_ops, w, true);
            if (F.r < 0)
                RTA_CONT_RETURN(F.r);
        }
    }
}

rta_cret rta_cont_write(rta_cont *rta__k_, int fd, const void *buf, size_t n, rta_deadline d);
static RTA_NOINLINE rta_cret resume_write(rta_cont *k)
{
    return rta_cont_write(k, 0, NULL, 0, 0);
}

RTA__CONT_FN_ATTRS rta_cret rta_cont_write(rta_cont *rta__k_, int fd, const void *buf, size_t n,
                                           rta_deadline d)
{
    RTA__CONT_FRAME_AS(resume_write, "rta_write", int fd; const char *buf; size_t n; rta_deadline d;
                       size_t done; int64_t r; bool sock;);
    F.fd = fd;
    F.buf = buf;
    F.n = n;
    F.d = d;
    F.done = 0;
    F.sock = true;
    int prc = rta__iofd_prepare(F.fd);
    if (prc < 0)
        RTA_CONT_RETURN(prc);
    while (F.done < F.n) {
        ssize_t r = rta__io_send(F.fd, F.buf + F.done, F.n - F.done, &F.sock);
        if (r >= 0) {
            F.done += (size_t)r;
            continue;
        }
        rta__iowait *w;
        int rc = rta__io_again_begin(F.fd, RTA__IO_WR, F.d, &w);
        if (rc < 0)
            RTA_CONT_RETURN(rc);
        if (rc == 0) {
            RTA_CONT_AWAIT_CFG(F.r, &rta__io_relay_ops, w, true);
            if (F.r < 0)
                RTA_CONT_RETURN(F.r);
        }
    }
    RTA_CONT_RETURN(F.n);
}

rta_cret rta_cont_tcp_accept(rta_cont *rta__k_, int lfd, rta_deadline d);
static RTA_NOINLINE rta_cret resume_accept(rta_cont *k)
{
    return rta_cont_tcp_accept(k, 0, 0);
}

RTA__CONT_FN_ATTRS rta_cret rta_cont_tcp_accept(rta_cont *rta__k_, int lfd, rta_deadline d)
{
    RTA__CONT_FRAME_AS(resume_accept, "rta_tcp_accept", int lfd; rta_deadline d; int64_t r;);
    F.lfd = lfd;
    F.d = d;
    int prc = rta__iofd_prepare(F.lfd);
    if (prc < 0)
        RTA_CONT_RETURN(prc);
    for (;;) {
        int fd = rta__accept_try(F.lfd);
        if (fd >= 0)
            RTA_CONT_RETURN(fd);
        rta__iowait *w;
        int rc = rta__io_again_begin(F.lfd, RTA__IO_ACCEPT, F.d, &w);
        if (rc < 0)
            RTA_CONT_RETURN(rc);
        if (rc == 0) {
            RTA_CONT_AWAIT_CFG(F.r, &rta__io_relay_ops, w, true);
            if (F.r < 0)
                RTA_CONT_RETURN(F.r);
        }
    }
}
