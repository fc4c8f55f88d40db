/*
 * The I/O layer (src/io): what it owns and its invariants.
 *
 * Layering: io sits on the scheduler (src/sched) beside the engines; it
 * reaches tasks only through the public awaiter interface
 * (rta_await_awaiter), so no engine internals are touched.
 *
 * Pieces:
 *  - poller.c: the poller (epoll; io_uring in uring.c when built with
 *    liburing, chosen at rta_init) as a *parker* (rta__parker_ops): an idle worker that wins the
 *    poll token waits in the poller with its next timer as timeout; the
 *    other idle workers wait on their futex. Waking a worker in the poller
 *    writes an eventfd. A busy worker polls without blocking every 61 loop
 *    ticks (the parker's poll hook), so events are not starved while every
 *    worker runs tasks.
 *  - fd.c: the descriptor table. One rta__iofd per descriptor number,
 *    allocated in chunks and never freed before shutdown (type-stable: an
 *    event that races with rta_close finds valid memory, and its generation
 *    tells it is stale). Registration is edge-triggered for in+out once.
 *  - wait.c: one readiness wait of a task: a record from a per-thread pool
 *    (never on the task's stack: the task may be evicted and its stack
 *    region reused while the poller and the deadline timer point at the
 *    record), the deadline as a timer on the waiting task's worker (removed
 *    in O(log n) when the wait ends first), and cancellation.
 *  - net.c: sockets; file.c: files; pool.c: rta_run_blocking; group.c.
 *  - req.c: a waiting call as a resumable request (its retry-or-wait
 *    loop, once) for the frames below, which suspend by returning;
 *  - cont.c: rta_cont_read..., the waiting calls as cont functions (what
 *    rtac lowers rta_read... to for cont), all driving requests;
 *  - async1.c: rta_async1_read..., the same as async1 methods returning
 *    value tasks (what rtac lowers them to for async1);
 *  - op.c: their read and write on a worker, as a wait record that
 *    finishes the call itself (no frame or method of their own).
 *
 * The kernel never writes into a task's stack while the task is suspended:
 * waits are readiness-based and the read/recv/accept syscalls run in the
 * task, while it is resident and running. (An io_uring read into a stack
 * buffer of an evicted task would write into whichever task occupies the
 * region now.) The cont and async1 read/write operations (op.c) retry
 * their syscall where the edge is seen, while the caller is suspended:
 * their buffers are never in a stack region (frames and state machines
 * are heap data, and a buffer must not point into one that moves).
 *
 * Ending a wait: exactly one of {readiness event, deadline timer, close,
 * cancellation, shutdown} takes the record out of its rta__ioop under the
 * descriptor's lock, writes the result and runs the task's waiter. The task
 * itself, resumed on its worker, removes its timer and returns the record
 * to the pool.
 */
#ifndef RTA_IO_INTERNAL_H
#define RTA_IO_INTERNAL_H

#include "../core/registry.h"
#include "../sched/stackful.h"
#include "../sched/sched.h"
#include "fdlock.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { RTA__IO_RD = 0, RTA__IO_WR = 1 };
/* What a readiness wait is for, as the task dump names it (rta__io_wait's
 * `op`): a direction alone ("read", "write") or one of these, whose low bit
 * is the direction. */
enum {
    RTA__IO_ACCEPT = 2 | RTA__IO_RD,
    RTA__IO_CONNECT = 2 | RTA__IO_WR,
    RTA__IO_RECVFROM = 4 | RTA__IO_RD,
    RTA__IO_SENDTO = 4 | RTA__IO_WR,
};
#define RTA__IO_DIR(op) ((op)&1)

struct rta__iowait;
struct rta__fileop;

/* ---- requests: one I/O call as a resumable step machine (req.c) ----------
 * For frames that suspend by returning (cont.c, async1.c): the frame keeps
 * the request (it moves with the frame: nothing in it points into itself)
 * and drives it with rta__ioreq_step until it says done, awaiting in
 * between what the step asks for: a readiness wait (rta__io_relay_ops) or a
 * blocking-pool job (rta__job_ops). One loop serves every call, so the
 * retry-or-wait logic exists once (req.c), and each engine has one generic
 * frame (cont.c: io_cont, async1.c: the rta_io method). */
enum {
    RTA__REQ_READ,
    RTA__REQ_WRITE,
    RTA__REQ_ACCEPT,
    RTA__REQ_RECVFROM,
    RTA__REQ_SENDTO,
    RTA__REQ_CONNECT,
    RTA__REQ_BLOCKING,
    RTA__REQ_OPEN,
    RTA__REQ_PREAD,
    RTA__REQ_PWRITE,
};

typedef struct rta__ioreq {
    void *buf; /* read/write/recvfrom/sendto */
    size_t n;
    rta_deadline d;
    int fd;        /* connect: the socket being connected */
    int err;       /* a constructor's -errno: the call ends with it at once */
    uint8_t kind;  /* RTA__REQ_* */
    uint8_t stage; /* req.c's; 0 before the first step */
    bool lookup;   /* connect, sendto: host is a name, u.addrs to look up */
    union {
        struct {
            size_t done;
            bool sock;
        } wr; /* write: bytes written, still tried as a socket */
        struct {
            struct sockaddr_in6 a; /* or a sockaddr_in */
            socklen_t len;
        } to;                     /* sendto: the destination, once known */
        struct rta__addrs *addrs; /* connect; sendto to a name until looked up */
        struct {
            int64_t (*fn)(void *);
            void *arg;
        } job; /* run_blocking */
        struct {
            const char *path;
            int64_t off;
            int flags, mode;
            size_t done; /* pwrite: bytes written by earlier ring operations */
        } file;          /* open (path, flags, mode), pread / pwrite (off) */
    } u;
} rta__ioreq;

typedef struct rta__ioop {
    struct rta__iowait *wait; /* the task waiting in this direction, if any */
    /* An edge arrived while nobody waited. Written under the fd's lock;
     * read without it by wait.c's prelude, as a hint the locked
     * on_completed checks again. */
    _Atomic bool ready;
} rta__ioop;

typedef struct rta__iofd {
    rta__fdlock lock;
    uint32_t gen; /* bumped by close; events carry it (stale ones are dropped) */
    int fd;
    _Atomic bool registered; /* in the poller under this generation (written under lock) */
    rta__ioop op[2];
    /* The read that need not be made (rta__io_recv): a TCP socket's short
     * read emptied its receive queue, so until the next readable edge a
     * read can only say EAGAIN. rd_edges counts readable edges (the poller,
     * under lock); rd_drained is 1 + the count read just before the last
     * short read (0: none). Invariant: rd_drained == rd_edges + 1 and no
     * eof means no byte arrived since that read emptied the queue that has
     * been counted, so any that did has an edge still to come from the
     * poller, which a wait receives. rd_eof (sticky: a FIN, reset or error
     * was reported) turns it off, since a FIN behind the data leaves the
     * read short with the end still to read and its edge possibly spent.
     * stream: set at adopt for sockets this layer accepted or connected
     * (TCP): a datagram's or a pipe's short read says nothing of the rest. */
    bool stream;
    _Atomic bool rd_eof;
    _Atomic uint64_t rd_edges;
    _Atomic uint64_t rd_drained;
} rta__iofd;

typedef struct rta__iowait {
    rta__timer timer; /* the deadline, on worker wk's heap */
    rta__worker *wk;
    rta__iofd *iofd;
    int dir;
    int result;               /* 0 ready, -ETIMEDOUT, -ECANCELED */
    rta_waiter *waiter;       /* the task's resumption */
    rta_task *task;           /* the waiting tasklet (its cancel flag, under the fd lock) */
    rta__cancel_scope *scope; /* or the waiting cont/async1 task's scope (relay records) */
    rta__scope_hook hook;     /* armed while suspended: rta_task_cancel ends the wait */
    bool scope_armed;         /* hook went on scope (once: op.c's re-arms keep it) */
    struct rta__iowait *next_free;
    /* cont waits (wait.c): waiter is &relay, which withdraws the timer on wk
     * (inline or through hop) and then runs the root's waiter, outer. */
    rta_waiter relay;
    rta_waiter *outer;
    rta__work hop;
    /* An operation (op.c): a read or write of a frame that suspends by
     * returning, which finishes itself: the relay's outer is &op_edge, which
     * retries op_q's syscall at each edge and ends with the call's result
     * (op_res), then tells the awaiting root (op_consumer, cont) or completes
     * op_core (async1's value task, whose source is op_src). op_core is
     * initialised when the record is made: its version moves on with each
     * operation, so a value task of an earlier use of the record is stale. */
    rta_waiter op_edge;
    rta_waiter *op_consumer;
    int64_t op_res;
    rta__ioreq op_q;
    rta_vtask_source op_src;
    rta_vtask_core op_core;
} rta__iowait;

/* A poller backend: epoll (poller.c) or io_uring (uring.c). Both report
 * readiness edges for (fd, generation) to rta__iofd_event; the parker
 * protocol around round() is shared (poller.c). */
typedef struct rta__io_backend {
    const char *name;
    /* Starts watching f->fd (in+out, edges) under f->gen. f->lock held. */
    int (*watch)(rta__iofd *f);
    /* Stops watching f->fd under f->gen, before the descriptor is closed
     * (io_uring holds a reference to the file until then). f->lock held. */
    void (*unwatch)(rta__iofd *f);
    /* Waits up to timeout_ns (0: just looks; UINT64_MAX: forever) and
     * dispatches what came. Only the holder of the poll token calls it. */
    void (*round)(uint64_t timeout_ns);
    /* Wakes a round() in progress (any thread). */
    void (*wake)(void);
    void (*fini)(void);
    /* A busy worker's tick while another thread holds the poll token: runs
     * what the kernel holds for this thread alone (io_uring's deferred
     * task work, uring.c), so that its wake-ups reach the poller without
     * this thread making a system call. NULL: nothing of the kind (epoll). */
    void (*own_work)(void);
    /* Files as kernel operations (io_uring; NULL for epoll, whose files go
     * to the blocking pool): submits x's read or write; its completion
     * reaches rta__fileop_done(x, res) from round(). 0, or -errno with
     * nothing submitted (the caller falls back to the pool). */
    int (*file_submit)(struct rta__fileop *x);
    /* Asks the kernel to end x early (any thread); its completion still comes. */
    void (*file_cancel)(struct rta__fileop *x);
    /* True when a round(0) would deliver something now, known without a
     * system call (any thread; a hint). NULL: cannot tell (epoll). */
    bool (*ready)(void);
} rta__io_backend;

typedef struct rta__io {
    const rta__io_backend *be; /* NULL while no runtime runs */
    _Atomic int poll_token;    /* 1 while a worker waits in / polls the poller */
    /* 1 once a descriptor was registered since rta_init (never reset before
     * the next rta_init). Until then the poller holds nothing a busy worker
     * could deliver: io_poll skips its look (poller.c). */
    _Atomic int watched;
    _Atomic int stopping; /* rta_shutdown began: every wait ends with -ECANCELED */
} rta__io;

/* The backends' set-up: 0 or -errno; on failure nothing is left behind. */
RTA__HIDDEN int rta__epoll_init(const rta__io_backend **be);
RTA__HIDDEN int rta__uring_init(const rta__io_backend **be);
/* Whether the kernel lets this process set up a ring (0 or -errno), no more. */
RTA__HIDDEN int rta__uring_probe(void);

extern rta__io rta__io_state;

/* Descriptor table (fd.c): chunks of RTA__IOFD_CHUNK entries, allocated
 * on first use (rta__iofd_get_slow) and kept until shutdown. The lookup is
 * inline: the read/write loops make it several times per request (an out
 * of line call with its slow path was ~30 instructions each, 210 a request
 * in the echo benchmark). */
#define RTA__IOFD_CHUNK 1024
#define RTA__IOFD_NCHUNKS 4096 /* descriptors up to 4M */
extern RTA__HIDDEN _Atomic(rta__iofd *) rta__iofd_chunks[RTA__IOFD_NCHUNKS];
RTA__HIDDEN rta__iofd *rta__iofd_get_slow(int fd, bool create);
static inline rta__iofd *rta__iofd_get(int fd, bool create)
{
    if (rta__unlikely((unsigned)fd >= RTA__IOFD_CHUNK * RTA__IOFD_NCHUNKS))
        return NULL;
    rta__iofd *chunk =
        atomic_load_explicit(&rta__iofd_chunks[(unsigned)fd / RTA__IOFD_CHUNK], memory_order_acquire);
    if (rta__unlikely(!chunk))
        return rta__iofd_get_slow(fd, create);
    return &chunk[(unsigned)fd % RTA__IOFD_CHUNK];
}
/* Makes sure fd is registered with the poller (non-blocking, edge-triggered).
 * Called with iofd->lock held. 0 or -errno. */
RTA__HIDDEN int rta__iofd_register_locked(rta__iofd *f);
/* Before a call's first syscall on fd: registers a descriptor this layer
 * has not seen (a socketpair, a pipe, an inherited socket), which makes it
 * non-blocking, so that the syscall can never block a worker. 0 or -errno
 * (descriptors the poller refuses, e.g. regular files, pass: they never
 * report EAGAIN). */
RTA__HIDDEN int rta__iofd_prepare_slow(int fd);
static inline int rta__iofd_prepare(int fd)
{
    if (rta__likely(rta__io_state.be != NULL)) {
        rta__iofd *f = rta__iofd_get(fd, false);
        if (rta__likely(f && atomic_load_explicit(&f->registered, memory_order_relaxed)))
            return 0;
    }
    return rta__iofd_prepare_slow(fd);
}
/* Ends every wait on f with result (under f's lock, waiters collected). */
RTA__HIDDEN void rta__iofd_end_waits(rta__iofd *f, int result, bool close_fd, int *close_rc);
RTA__HIDDEN void rta__iofd_cancel_all(void);
RTA__HIDDEN void rta__iofd_table_free(void);
/* A readiness event for (fd, gen): wakes the waiters of the directions.
 * eof: the peer's FIN, a reset or an error was reported (or the backend
 * cannot tell), which ends rta__io_recv's skipping for this generation. */
RTA__HIDDEN void rta__iofd_event(int fd, uint32_t gen, bool rd, bool wr, bool eof);
/* Forgets what rta__io_recv knew of f (a new socket under f's number);
 * stream as adopt says. f->lock held. */
RTA__HIDDEN void rta__iofd_reset_rd(rta__iofd *f, bool stream);

/* read(2) and send(2) as bare system calls: glibc's wrappers are
 * cancellation points, which switch asynchronous cancellation on and off
 * around the call with two atomic read-modify-writes each (~60 instructions
 * a request in the echo benchmark). Workers are never pthread_cancel'ed,
 * and the layer's descriptors are non-blocking: the calls never sleep. */
static inline ssize_t rta__sys_read(int fd, void *buf, size_t n)
{
    return syscall(SYS_read, fd, buf, n);
}

static inline ssize_t rta__sys_send(int fd, const void *buf, size_t n, int flags)
{
    return syscall(SYS_sendto, fd, buf, n, flags, NULL, 0);
}

/* read(2) for the read loops (rta_read and its cont/async1 forms), with
 * errno: on a TCP socket whose last read was short and that reported no
 * readable edge since, says EAGAIN without the syscall (that read would
 * fail so: a request/response server saved one read(2) per request, a
 * third of its system calls). The caller's wait then sees the next edge. */
static inline ssize_t rta__io_recv(int fd, void *buf, size_t n)
{
    rta__iofd *f = rta__iofd_get(fd, false);
    if (!f || !f->stream)
        return rta__sys_read(fd, buf, n);
    uint64_t seen = atomic_load_explicit(&f->rd_edges, memory_order_acquire);
    if (atomic_load_explicit(&f->rd_drained, memory_order_relaxed) == seen + 1 &&
        !atomic_load_explicit(&f->rd_eof, memory_order_relaxed)) {
        errno = EAGAIN;
        return -1;
    }
    ssize_t r = rta__sys_read(fd, buf, n);
    if (r > 0 && (size_t)r < n)
        atomic_store_explicit(&f->rd_drained, seen + 1, memory_order_relaxed);
    return r;
}

/* Waits until fd is ready in op's direction (after an EAGAIN), the
 * deadline passes (-ETIMEDOUT), fd is closed or the task cancelled
 * (-ECANCELED). op: RTA__IO_RD, RTA__IO_WR or an RTA__IO_ACCEPT... */
RTA__HIDDEN int rta__io_wait(int fd, int op, rta_deadline d);

/* The same wait for frames that suspend by returning (cont.c): 1 retry at
 * once, -errno, or 0 with *w a record to await with rta__io_relay_ops (its
 * get_result gives 0, -ETIMEDOUT or -ECANCELED and frees the record). On a
 * thread that is not a worker it blocks in poll(2) and says 1 or -errno. */
RTA__HIDDEN int rta__io_wait_begin(int fd, int op, rta_deadline d, rta__iowait **w);
RTA__HIDDEN extern const rta_awaiter_ops rta__io_relay_ops;

/* The step every I/O loop takes after its syscall failed, errno still
 * fresh: EINTR and readiness retry, anything but EAGAIN is the answer.
 * rta__io_again waits (tasklets, plain threads): 0 retry, or -errno.
 * rta__io_again_begin starts the wait for frames that suspend by returning:
 * 1 retry at once, 0 await *w with rta__io_relay_ops, or -errno. */
RTA__HIDDEN int rta__io_again(int fd, int op, rta_deadline d); /* op as rta__io_wait's */
RTA__HIDDEN int rta__io_again_begin(int fd, int op, rta_deadline d, rta__iowait **w);

/* send(2) without SIGPIPE, or write(2) once fd proved no socket (*sock
 * turns false for the caller's next pieces: a pipe or a file, whose
 * SIGPIPE is the program's). Bytes written, or -1 with errno (net.c). */
RTA__HIDDEN ssize_t rta__io_send(int fd, const void *p, size_t n, bool *sock);
/* One accept4 on listening socket lfd: the new descriptor (non-blocking,
 * TCP_NODELAY, registered), or -1 with errno (ECONNABORTED reads as EINTR:
 * try again; EMFILE/ENFILE leave the connection queued) (net.c). */
RTA__HIDDEN int rta__accept_try(int lfd);

/* Addresses of host:port for a socket (net.c): up to RTA__MAX_ADDRS, in
 * getaddrinfo's order; n of them (0 until looked up), i the next to try. */
#define RTA__MAX_ADDRS 4
typedef struct rta__addrs {
    const char *host;
    int port, socktype, family; /* family: AF_UNSPEC, or the one a lookup keeps */
    bool passive;
    int n, i;
    struct sockaddr_storage ss[RTA__MAX_ADDRS];
    socklen_t len[RTA__MAX_ADDRS];
} rta__addrs;
/* Fills a's inputs and, for a NULL, empty or numeric host, its one address:
 * 1, 0 when host is a name (run rta__lookup_job(a) on the blocking pool:
 * n or -errno), or -errno. */
RTA__HIDDEN int rta__addrs_numeric(rta__addrs *a, const char *host, int port, int socktype, bool passive);
RTA__HIDDEN int64_t rta__lookup_job(void *a);
/* fd's address family (AF_UNSPEC when it has none): a datagram socket's
 * destination names are looked up in it (localhost may say ::1 first). */
RTA__HIDDEN int rta__sock_family(int fd);
/* The same on the heap, with a copy of host (free() it): for frames that
 * move while the lookup runs. NULL with *rc -errno. */
RTA__HIDDEN rta__addrs *rta__addrs_new(const char *host, int port, int socktype, bool passive, int *rc);
/* A non-blocking TCP socket connecting to ss: 0 connected, 1 in progress
 * (wait for RTA__IO_CONNECT, then rta__connect_end), or -errno; *fd is the
 * socket unless -errno. */
RTA__HIDDEN int rta__connect_start(const struct sockaddr_storage *ss, socklen_t len, int *fd);
/* After the connect wait ended with waited (0 or -errno): fd connected, or
 * -errno with fd closed. */
RTA__HIDDEN int rta__connect_end(int fd, int waited);
/* Whether an attempt's result ends rta_tcp_connect (else: the next address). */
static inline bool rta__connect_final(int rc)
{
    return rc >= 0 || rc == -ETIMEDOUT || rc == -ECANCELED;
}

/* Files (file.c): one call's arguments, and the jobs that run them on the
 * blocking pool (rta_open, rta_pread, rta_pwrite's; arg: an rta__file_op). */
typedef struct rta__file_op {
    int fd;
    const char *path;
    int flags, mode;
    void *buf;
    size_t n;
    int64_t off;
} rta__file_op;
RTA__HIDDEN int64_t rta__open_job(void *arg);
/* The end of a wait on a record that two parties reach in either order:
 * the waiting task's registration (an awaiter's on_completed) and the
 * operation's completion (a pool thread for pool.c's jobs, the poller for
 * file.c's operations). The second to arrive runs the waiter; after that
 * only the resumed task touches the record, so it may free it. */
typedef struct rta__meet {
    _Atomic int arrivals;
    rta_waiter *waiter;
} rta__meet;

static inline void rta__meet_init(rta__meet *m)
{
    atomic_init(&m->arrivals, 0);
    m->waiter = NULL;
}

static inline void rta__meet_arrive(rta__meet *m)
{
    if (atomic_fetch_add_explicit(&m->arrivals, 1, memory_order_acq_rel) == 1)
        m->waiter->fn(m->waiter);
}

/* is_completed: the completion came first, no need to suspend. */
static inline bool rta__meet_completed(rta__meet *m)
{
    return atomic_load_explicit(&m->arrivals, memory_order_acquire) == 1;
}

/* on_completed: the task's arrival. With a scope (the cont/async1 forms,
 * which suspend by returning), hook goes on it first, before the task can
 * resume and free the record; a request made meanwhile runs hook's
 * function at once (the operation's cancel). Taken off by the result. */
static inline void rta__meet_register(rta__meet *m, rta_waiter *w, rta__cancel_scope *scope,
                                      rta__scope_hook *hook)
{
    m->waiter = w;
    if (scope && !rta__scope_arm(scope, hook))
        hook->h.fn(&hook->h);
    rta__meet_arrive(m);
}

/* A read or write of a regular file submitted to the backend (file.c):
 * heap, never on a task's stack (the completion and a canceller find it
 * while the task is suspended). The buffer is the caller's: a tasklet's
 * frames stay pinned (rta__resident_pin) until the completion came, as
 * the kernel writes into it meanwhile; a cont/async1 buffer is never in a
 * frame (the rule of their forms). key: the record's slot (file.c), which
 * the backend's completion names it by; held until the record is freed,
 * after the waiter disarmed its cancel hook, so a late cancel never names
 * another operation. Its wait ends at a meet (rta__meet), as pool.c's
 * jobs' do. */
typedef struct rta__fileop {
    int fd;
    bool write;
    uint32_t key;
    void *buf;
    size_t n;
    int64_t off;
    int res; /* the completion's: bytes, or -errno */
    rta__meet meet;
    rta__scope_hook hook;     /* .h armed with a tasklet */
    rta__cancel_scope *scope; /* a cont/async1 waiter's task, NULL otherwise */
} rta__fileop;
/* The record for key (the backend's completions). */
RTA__HIDDEN rta__fileop *rta__fileop_of(uint32_t key);
RTA__HIDDEN void rta__fileop_done(rta__fileop *x, int res);
/* For frames that suspend by returning (req.c): x submitted (await it with
 * rta__fileop_ops, whose get_result gives the result and frees it), or
 * NULL when the backend has no file operations or refused this one (use
 * the pool). */
RTA__HIDDEN rta__fileop *rta__fileop_begin(int fd, bool write, void *buf, size_t n, int64_t off);
RTA__HIDDEN extern const rta_awaiter_ops rta__fileop_ops;
/* What a pread / pwrite call does with one ring operation's result r (no
 * cancel pending), *done bytes of n done before it: RTA__FILEOP_AGAIN
 * (-EINTR, or the rest of a short write, *done advanced), or the call's
 * result. -EAGAIN (an O_NONBLOCK descriptor with nothing to give: io_uring
 * does not wait for those) is returned as pread(2) would, never retried
 * (that would spin); a write that made no progress is -EIO. For a
 * tasklet's call (file.c) and a cont/async1 request's (req.c) alike. */
#define RTA__FILEOP_AGAIN INT64_MIN
static inline int64_t rta__fileop_next(bool write, size_t n, size_t *done, int64_t r)
{
    if (r == -EINTR)
        return RTA__FILEOP_AGAIN;
    if (r < 0 || !write)
        return r;
    if (r == 0)
        return -EIO;
    *done += (size_t)r;
    return *done == n ? (int64_t)n : RTA__FILEOP_AGAIN;
}
/* rta_shutdown's: every operation in flight is asked to end (file.c). */
RTA__HIDDEN void rta__fileops_cancel_all(void);
/* Operations submitted so far (tests: which way the files went). */
RTA__HIDDEN extern _Atomic uint64_t rta__fileops_submitted;
RTA__HIDDEN int64_t rta__pread_job(void *arg);
RTA__HIDDEN int64_t rta__pwrite_job(void *arg);
/* rta_pread / rta_pwrite's argument checks: 0 or -errno. */
RTA__HIDDEN int rta__file_check(int fd, const void *buf, size_t n, int64_t off);
/* A task's open / pread / pwrite after rta_shutdown began: refused (-ECANCELED). */
RTA__HIDDEN bool rta__file_refused(void);

/* The constructors: what rta_cont_X / rta_async1_X start. The plain one
 * inline (read and write build one per call: out of line it cost ~25
 * instructions each in the echo benchmark); the others in req.c. */
static inline rta__ioreq rta__req_io(int kind, int fd, void *buf, size_t n, rta_deadline d)
{
    rta__ioreq q = {.buf = buf, .n = n, .d = d, .fd = fd, .kind = (uint8_t)kind};
    q.u.wr.sock = true;
    return q;
}
RTA__HIDDEN rta__ioreq rta__req_sendto(int fd, const void *buf, size_t n, const char *host, int port,
                                       rta_deadline d);
RTA__HIDDEN rta__ioreq rta__req_connect(const char *host, int port, rta_deadline d);
RTA__HIDDEN rta__ioreq rta__req_blocking(int64_t (*fn)(void *), void *arg);
RTA__HIDDEN rta__ioreq rta__req_open(const char *path, int flags, int mode);
RTA__HIDDEN rta__ioreq rta__req_file(int kind, int fd, void *buf, size_t n, int64_t off);

/* Advances q: in is what the previous await gave (0 before the first step).
 * 1: done, *res the call's result; 0: await (*ops, *self), then step again
 * with its result. */
RTA__HIDDEN int rta__ioreq_step(rta__ioreq *q, int64_t in, int64_t *res, const rta_awaiter_ops **ops,
                                void **self);

/* ---- operations: read and write that finish themselves (op.c) -----------
 * The read/write forms on a worker: the syscall is tried right in the
 * caller (no frame, no request machine: the call that completes at once,
 * as a request/response loop's write does, costs the syscall and a few
 * checks); a call that must wait arms a wait record whose edges retry the
 * syscall where the edge is seen and which ends with the call's result.
 * rta__io_op_start: 1 done (*res), or 0 with *w the record to await with
 * rta__io_op_ops (cont: registered once the chain is off the stack; its
 * get_result gives the call's result and frees the record). Workers only.
 * rta__io_op_vtask: the same for async1, as a value task: the record is
 * armed at once (the operation goes on whether or not it is awaited yet,
 * as the method it replaces did) and completes its value-task core. */
/* One attempt of q's syscall (a read or a write): its result (>= 0), or -1
 * with errno. A write's partial writes go on at once (all n bytes, as
 * rta_write). */
static inline int64_t rta__io_op_attempt(rta__ioreq *q)
{
    if (q->kind == RTA__REQ_READ)
        return rta__io_recv(q->fd, q->buf, q->n); /* read(2), or EAGAIN known without it */
    while (q->u.wr.done < q->n) {
        ssize_t r =
            rta__io_send(q->fd, (const char *)q->buf + q->u.wr.done, q->n - q->u.wr.done, &q->u.wr.sock);
        if (r < 0)
            return -1;
        q->u.wr.done += (size_t)r;
    }
    return (int64_t)q->n;
}
/* An operation's record waits again, the relay's outer unchanged (wait.c). */
RTA__HIDDEN void rta__io_relay_rearm(rta__iowait *w);
/* rta__io_op_start after an attempt failed, errno still fresh (op.c). */
RTA__HIDDEN int rta__io_op_more(rta__ioreq *q, int64_t *res, rta__iowait **w);
/* Inline: the first attempt is the whole call when it completes at once
 * (out of line, its prologue and epilogue alone were ~20 instructions a
 * call in the echo benchmark). */
static inline int rta__io_op_start(rta__ioreq *q, int64_t *res, rta__iowait **w)
{
    int rc = rta__iofd_prepare(q->fd);
    int64_t r = rc < 0 ? rc : rta__io_op_attempt(q);
    if (r >= 0 || rc < 0) {
        *res = r;
        return 1;
    }
    return rta__io_op_more(q, res, w);
}
RTA__HIDDEN extern const rta_awaiter_ops rta__io_op_ops;
RTA__HIDDEN rta_vtask rta__io_op_vtask(rta__ioreq *q);

/* The calls that have cont and async1 forms, each once: X(name, (params),
 * request) makes rta_cont_<name>(k, params) and rta_async1_<name>(params)
 * run request (cont.c, async1.c; declared in rta/io.h). RTA__IO_OP_FORMS
 * are the two that run as operations on a worker (op.c), the request
 * machine elsewhere; RTA__IO_REQ_FORMS always run as requests. */
#define RTA__IO_OP_FORMS(X)                                                                                  \
    X(read, (int fd, void *buf, size_t n, rta_deadline d), rta__req_io(RTA__REQ_READ, fd, buf, n, d))        \
    X(write, (int fd, const void *buf, size_t n, rta_deadline d),                                            \
      rta__req_io(RTA__REQ_WRITE, fd, (void *)(uintptr_t)buf, n, d))
#define RTA__IO_REQ_FORMS(X)                                                                                 \
    X(tcp_accept, (int lfd, rta_deadline d), rta__req_io(RTA__REQ_ACCEPT, lfd, NULL, 0, d))                  \
    X(recvfrom, (int fd, void *buf, size_t n, rta_deadline d),                                               \
      rta__req_io(RTA__REQ_RECVFROM, fd, buf, n, d))                                                         \
    X(sendto, (int fd, const void *buf, size_t n, const char *host, int port, rta_deadline d),               \
      rta__req_sendto(fd, buf, n, host, port, d))                                                            \
    X(tcp_connect, (const char *host, int port, rta_deadline d), rta__req_connect(host, port, d))            \
    X(run_blocking, (int64_t(*fn)(void *), void *arg), rta__req_blocking(fn, arg))                           \
    X(open, (const char *path, int flags, int mode), rta__req_open(path, flags, mode))                       \
    X(pread, (int fd, void *buf, size_t n, int64_t off), rta__req_file(RTA__REQ_PREAD, fd, buf, n, off))     \
    X(pwrite, (int fd, const void *buf, size_t n, int64_t off),                                              \
      rta__req_file(RTA__REQ_PWRITE, fd, (void *)(uintptr_t)buf, n, off))
#define RTA__IO_UNPAREN(...) __VA_ARGS__

RTA__HIDDEN void rta__io_wait_records_free(void);

/* The blocking pool (pool.c). rta__run_blocking is rta_run_blocking that
 * also says what fn returned when it ran (*ran; INT64_MIN when it did not),
 * so that a caller can release what a job made after a cancel dropped it. */
RTA__HIDDEN int64_t rta__run_blocking(int64_t (*fn)(void *), void *arg, int64_t *ran);
/* The same for frames that suspend by returning: 1 fn ran right here (a
 * thread that is not a worker) with *res its result, 0 await *j with
 * rta__job_ops (its get_result gives fn's result and frees the record), or
 * -errno. */
RTA__HIDDEN int rta__job_begin(int64_t (*fn)(void *), void *arg, int64_t *res, void **j);
/* The same with fn's argument copied into the job's record (size bytes, at
 * most RTA__JOB_ARG): for an argument that lives in a frame that moves. */
#define RTA__JOB_ARG 48
RTA__HIDDEN int rta__job_begin_copy(int64_t (*fn)(void *), const void *arg, size_t size, int64_t *res,
                                    void **j);
RTA__HIDDEN extern const rta_awaiter_ops rta__job_ops;
RTA__HIDDEN void rta__pool_init(void);
RTA__HIDDEN void rta__pool_shutdown(void);
/* Tests: threads alive, the most jobs that ran at once, the bound, jobs
 * waiting for a thread. */
RTA__HIDDEN void rta__pool_stats(unsigned *threads, unsigned *peak_running, unsigned *max, unsigned *queued);
RTA__HIDDEN int rta__io_init(void);
RTA__HIDDEN void rta__io_shutdown_begin(void);
RTA__HIDDEN void rta__io_shutdown(void);

#endif
