/*
 * rtasync I/O: sockets, files, a blocking pool, deadlines, cancellation and
 * task groups. Included by <rta.h>. See docs/io.md.
 *
 * Conventions: every call returns >= 0 on success or -errno, and never throws
 * for an I/O error. The waits take an absolute deadline (CLOCK_MONOTONIC ns;
 * RTA_FOREVER for none) and end with -ETIMEDOUT once it passes.
 *
 * Which calls suspend (async2: call them from a task, like rta_await):
 *   rta_tcp_accept, rta_tcp_connect, rta_read, rta_write, rta_sendto,
 *   rta_recvfrom, rta_open, rta_pread, rta_pwrite, rta_run_blocking (and
 *   rta_tcp_listen, rta_udp_bind with a host name, looked up on the pool).
 * From a thread that is not a runtime worker (main, a plain pthread) the same
 * calls block the thread instead (poll(2) with the deadline), so clients and
 * tests can use them directly. In async2 code built for cont, rtac turns
 * every waiting call into its cont form (rta_cont_read...), and for async1
 * into an await of its async1 form (rta_async1_read..., below): the plain
 * calls that use the blocking pool say -ENOTSUP to cont and async1 code on
 * a worker (docs/io.md).
 * Never suspend: rta_tcp_listen, rta_sock_port, rta_udp_bind, rta_close,
 * rta_now_ns, rta_after_ms, rta_io_backend, rta_task_cancel.
 *
 * Descriptors used with these calls must be closed with rta_close: it ends
 * the pending operations on the descriptor with -ECANCELED and withdraws it
 * from the poller before the number can be reused.
 */
#ifndef RTA_IO_H
#define RTA_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t rta_deadline; /* absolute CLOCK_MONOTONIC ns */
#define RTA_FOREVER INT64_MAX

RTA_EXTERN int64_t rta_now_ns(void);
/* now + ms (saturating; ms <= 0 is already past). */
RTA_EXTERN rta_deadline rta_after_ms(int64_t ms);

/* A listening TCP socket on host (numeric or a name; NULL = any IPv4
 * address) and port (0 = any free port). Does not suspend. fd or -errno. */
RTA_EXTERN int rta_tcp_listen(const char *host, int port, int backlog);
/* The local port fd is bound to, or -errno. */
RTA_EXTERN int rta_sock_port(int fd);
/* The next connection on lfd (non-blocking, close-on-exec), or -errno:
 * -EMFILE/-ENFILE when out of descriptors (the pending connection stays
 * queued: call again once descriptors are free), -ETIMEDOUT, -ECANCELED. */
RTA_EXTERN int rta_tcp_accept(int lfd, rta_deadline d);
/* A connected TCP socket, or -errno (-ECONNREFUSED, -ETIMEDOUT, ...). Host
 * names are resolved on the blocking pool. */
RTA_EXTERN int rta_tcp_connect(const char *host, int port, rta_deadline d);
/* Up to n bytes: > 0, 0 at end of stream, or -errno. */
RTA_EXTERN ssize_t rta_read(int fd, void *buf, size_t n, rta_deadline d);
/* All n bytes (partial writes are retried inside), or -errno (-EPIPE,
 * -ECONNRESET, ...). A deadline that passes midway returns -ETIMEDOUT. */
RTA_EXTERN ssize_t rta_write(int fd, const void *buf, size_t n, rta_deadline d);

/* The waiting calls as cont functions (rta/cont.h): what rtac lowers
 * rta_read / rta_write / rta_tcp_accept / rta_tcp_connect / rta_sendto /
 * rta_recvfrom / rta_run_blocking / rta_open / rta_pread / rta_pwrite to in
 * async2 code built for the cont engine; hand-written cont code calls them
 * with RTA_CONT_CALL(dst, rta_cont_read, fd, buf, n, d). Same results; buf,
 * host, path and arg must not point into a cont frame (it moves). */
RTA_EXTERN rta_cret rta_cont_read(rta_cont *k, int fd, void *buf, size_t n, rta_deadline d);
RTA_EXTERN rta_cret rta_cont_write(rta_cont *k, int fd, const void *buf, size_t n, rta_deadline d);
RTA_EXTERN rta_cret rta_cont_tcp_accept(rta_cont *k, int lfd, rta_deadline d);
RTA_EXTERN rta_cret rta_cont_tcp_connect(rta_cont *k, const char *host, int port, rta_deadline d);
RTA_EXTERN rta_cret rta_cont_sendto(rta_cont *k, int fd, const void *buf, size_t n, const char *host,
                                    int port, rta_deadline d);
RTA_EXTERN rta_cret rta_cont_recvfrom(rta_cont *k, int fd, void *buf, size_t n, rta_deadline d);
RTA_EXTERN rta_cret rta_cont_run_blocking(rta_cont *k, int64_t (*fn)(void *), void *arg);
RTA_EXTERN rta_cret rta_cont_open(rta_cont *k, const char *path, int flags, int mode);
RTA_EXTERN rta_cret rta_cont_pread(rta_cont *k, int fd, void *buf, size_t n, int64_t off);
RTA_EXTERN rta_cret rta_cont_pwrite(rta_cont *k, int fd, const void *buf, size_t n, int64_t off);

/* The same calls as async1 methods (rta/async1.h) returning a value task:
 * what rtac lowers them to in async2 code built for the async1 engine;
 * hand-written async1 code awaits them with
 * RTA_AWAIT1_VTASK(sm->slot, rta_async1_read(fd, buf, n, d), sm->r). Same
 * results. A call that completes at once allocates nothing; a suspended one
 * uses a pooled box (no task is started). buf and arg must not point into a
 * state machine still on the stack (it moves to the heap at the first
 * await); host is copied when it must be looked up; path must stay until
 * the open completes. */
RTA_EXTERN rta_vtask rta_async1_read(int fd, void *buf, size_t n, rta_deadline d);
RTA_EXTERN rta_vtask rta_async1_write(int fd, const void *buf, size_t n, rta_deadline d);
RTA_EXTERN rta_vtask rta_async1_tcp_accept(int lfd, rta_deadline d);
RTA_EXTERN rta_vtask rta_async1_tcp_connect(const char *host, int port, rta_deadline d);
RTA_EXTERN rta_vtask rta_async1_sendto(int fd, const void *buf, size_t n, const char *host, int port,
                                       rta_deadline d);
RTA_EXTERN rta_vtask rta_async1_recvfrom(int fd, void *buf, size_t n, rta_deadline d);
RTA_EXTERN rta_vtask rta_async1_run_blocking(int64_t (*fn)(void *), void *arg);
RTA_EXTERN rta_vtask rta_async1_open(const char *path, int flags, int mode);
RTA_EXTERN rta_vtask rta_async1_pread(int fd, void *buf, size_t n, int64_t off);
RTA_EXTERN rta_vtask rta_async1_pwrite(int fd, const void *buf, size_t n, int64_t off);

/* A UDP socket bound to host:port (port 0 = any). Does not suspend. */
RTA_EXTERN int rta_udp_bind(const char *host, int port);
/* One datagram of n bytes to host:port (numeric or a name). */
RTA_EXTERN ssize_t rta_sendto(int fd, const void *buf, size_t n, const char *host, int port, rta_deadline d);
/* One datagram (truncated to n bytes): its length, or -errno. */
RTA_EXTERN ssize_t rta_recvfrom(int fd, void *buf, size_t n, rta_deadline d);

/* Closes fd: pending operations on it end with -ECANCELED. 0 or -errno. */
RTA_EXTERN int rta_close(int fd);

/* Files (regular files, on the blocking pool: no worker waits for a disk).
 * rta_open: open(2) with O_CLOEXEC added; fd or -errno. rta_pread: up to n
 * bytes at off (> 0, 0 at end of file) or -errno. rta_pwrite: all n bytes
 * at off, or -errno. Close with rta_close. The buffer may be on the task's
 * stack. From a plain thread they run right there; cont and async1 code
 * calls rta_cont_open... / rta_async1_open... (above). */
RTA_EXTERN int rta_open(const char *path, int flags, int mode);
RTA_EXTERN ssize_t rta_pread(int fd, void *buf, size_t n, int64_t off);
RTA_EXTERN ssize_t rta_pwrite(int fd, const void *buf, size_t n, int64_t off);

/* Runs fn(arg) on the blocking pool and returns what it returns, while the
 * calling task is suspended (no worker blocks). The pool is bounded
 * (RTA_BLOCKING_THREADS, default 16; more jobs wait in order) and its
 * threads end after RTA_BLOCKING_IDLE_MS (default 2000) without work. arg
 * may point at the caller's locals: the task's frames stay in place until
 * fn returns. Cancelling the task dequeues a job not yet started; a running
 * one finishes first; either way the call then returns -ECANCELED. From a
 * thread that is not a worker, fn runs right there. -EINVAL for a NULL fn,
 * -ENOTSUP from cont/async1 code on a worker (which calls
 * rta_cont_run_blocking / rta_async1_run_blocking instead). */
RTA_EXTERN int64_t rta_run_blocking(int64_t (*fn)(void *), void *arg);

/* Requests cancellation of t (a request: t ends when it reacts): its
 * pending and later cancelable waits (the I/O calls above) return
 * -ECANCELED; rta_sleep_ms (at once, even mid-sleep), rta_yield and rta_await
 * (on entry, and on resuming: a pending rta_await still lasts until the
 * awaited task ends) throw -ECANCELED; an uncaught -ECANCELED ends the task
 * as RTA_CANCELED. A promise is cancelled (rta_promise_cancel). Does not
 * suspend; any thread. Every engine's tasks take requests (cont: the root
 * rta_cont_spawn/rta_cont_call returned; async1: the task of a method
 * started by rta_spawn or from non-async1 code, not one awaited at once by
 * its caller, whose task is the caller's). False if t already completed, or
 * is a combinator. */
RTA_EXTERN bool rta_task_cancel(rta_task *t);
/* rtac's cancel points (not API): rta_await (cont, async1) and rta_yield
 * (async1) check on entry, as a tasklet's do, and throw -ECANCELED once the
 * running task has a cancel request; what names the call. */
RTA_EXTERN void rta__cancel_point(const char *what);

/* Task groups (structured concurrency: Trio's nurseries, Go's errgroup).
 * rta_group_new: an empty group (NULL: out of memory); any thread.
 * rta_group_spawn: rta_spawn, the child belonging to the group. The handle
 *   returned is the group's (valid until rta_group_free; retain it to keep
 *   it longer). A child spawned into a cancelled group starts cancelled.
 *   NULL with errno (EINVAL for a NULL group or fn, ENOMEM, EAGAIN).
 * rta_group_wait (async2): returns 0 once every child has ended. The first
 *   child to fault or be cancelled cancels the others and its error is
 *   rethrown (after they all ended). Cancelling the waiting task cancels
 *   the group; the wait still lasts until every child ended, then throws
 *   -ECANCELED. From a plain thread it blocks and returns 0 or the first
 *   failure's -errno instead of throwing.
 * rta_group_cancel: requests cancellation of every child (any thread).
 * rta_group_free: releases the group after rta_group_wait. Children still
 *   running are cancelled and the group goes when the last ends (said on
 *   stderr: wait first). */
typedef struct rta_group rta_group;
RTA_EXTERN rta_group *rta_group_new(void);
RTA_EXTERN rta_task *rta_group_spawn(rta_group *g, rta_fn fn, void *arg);
RTA_EXTERN int64_t rta_group_wait(rta_group *g);
RTA_EXTERN void rta_group_cancel(rta_group *g);
RTA_EXTERN void rta_group_free(rta_group *g);

/* rta_group_wait as a cont function and as an async1 method (what rtac
 * lowers it to for those engines; hand-written code calls them as the I/O
 * forms above). Same contract: the first failure, or -ECANCELED when the
 * waiting task was cancelled, is thrown (async1: the value task faults). */
RTA_EXTERN rta_cret rta_cont_group_wait(rta_cont *k, rta_group *g);
RTA_EXTERN rta_vtask rta_async1_group_wait(rta_group *g);

/* What rtac lowers rta_group_spawn(g, f, arg) of an async2 function f to
 * for the cont and async1 engines (not API): the task is started as
 * rta_spawn(f, arg) would be there (an async1 method runs until its first
 * suspension), then t (the caller's reference) joins the group, and is
 * cancelled at once if the group is. NULL with errno, t cancelled and
 * released, when it cannot join. */
RTA_EXTERN rta_task *rta__group_adopt(rta_group *g, rta_task *t);
static inline rta_task *rta__group_spawn_cont(rta_group *g, rta_cont_fn fn, void *arg)
{
    return rta__group_adopt(g, rta_cont_spawn(fn, arg));
}
static inline rta_task *rta__group_spawn_a1(rta_group *g, rta_task *(*stub)(void *), void *arg)
{
    return rta__group_adopt(g, rta__a1_spawn(stub, arg));
}
static inline rta_task *rta__group_spawn_a1v(rta_group *g, rta_vtask (*stub)(void *), void *arg)
{
    return rta__group_adopt(g, rta__a1_spawn_v(stub, arg));
}

/* "io_uring" or "epoll": the poller in use (RTA_IO=io_uring|epoll forces). */
RTA_EXTERN const char *rta_io_backend(void);

#ifdef __cplusplus
}
#endif

#endif /* RTA_IO_H */
