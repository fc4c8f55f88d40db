/*
 * The io_uring backend (built with liburing; chosen at rta_init unless
 * RTA_IO=epoll or the kernel refuses it, see poller.c).
 *
 * Readiness, like epoll: each watched descriptor has one multishot poll
 * (IORING_POLL_ADD_MULTI) keyed (generation << 32 | fd), which posts a
 * completion on every wake-up of the file, the same edges EPOLLET gives; the
 * read/write/accept syscalls still run in the task while its frames are
 * resident, so the kernel never writes into a suspended task's stack (a
 * stack region may hold another task's frames by the time an io_uring read
 * into it would complete). Idle workers wait in io_uring_enter; an eventfd
 * under its own multishot poll wakes them.
 *
 * Threads: any thread submits (watch, unwatch, re-arm) under sq_lock; only
 * the poll-token holder waits and reaps completions, with a raw
 * io_uring_enter (to_submit 0), so the submission queue is never touched
 * outside the lock. A multishot poll that the kernel ends (a completion
 * without IORING_CQE_F_MORE, e.g. after a completion-queue overflow) is
 * re-armed if its descriptor is still watched under that generation.
 *
 * The kernel runs a poll's wake-ups as task work on the thread that armed
 * it (whichever thread first used the descriptor): a poll whose thread has
 * exited ends with -ECANCELED (re-armed here, from a worker), and one whose
 * task work is pending cannot be removed, only cancelled (uring_unwatch).
 * tests/io/test_arm_threads.c covers both.
 */
#include "io.h"

#ifdef RTA_HAVE_URING

#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WAKE_KEY UINT64_MAX
#define IGNORE_KEY (UINT64_MAX - 1) /* completions of removals */
/* A file operation's key: its slot (file.c) above this low word, which no
 * descriptor's key has (an fd is below 2^31). */
#define FILE_TAG 0xFFFFFFFDu
#define MAX_CQES 256
#define POLL_MASK (POLLIN | POLLOUT | POLLRDHUP | POLLPRI)

static struct io_uring ring;
static pthread_mutex_t sq_lock = PTHREAD_MUTEX_INITIALIZER;
static int wake_fd = -1;

static inline uint64_t key_of(const rta__iofd *f)
{
    return (uint64_t)f->gen << 32 | (uint32_t)f->fd;
}

/* An SQE for the caller (sq_lock held); flushes a full queue first. */
static struct io_uring_sqe *sqe_get(void)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    if (!sqe) {
        io_uring_submit(&ring);
        sqe = io_uring_get_sqe(&ring);
    }
    return sqe;
}

static int submit_poll(int fd, uint64_t key)
{
    pthread_mutex_lock(&sq_lock);
    struct io_uring_sqe *sqe = sqe_get();
    int rc = -EAGAIN;
    if (sqe) {
        io_uring_prep_poll_multishot(sqe, fd, POLL_MASK);
        io_uring_sqe_set_data64(sqe, key);
        rc = io_uring_submit(&ring);
        /* -EBUSY: the kernel holds overflowed completions; the SQE stays
         * queued and goes with the next submission. */
        rc = rc < 0 && rc != -EBUSY ? rc : 0;
    }
    pthread_mutex_unlock(&sq_lock);
    return rc;
}

static int uring_watch(rta__iofd *f)
{
    /* Regular files and directories are always "ready" and a poll on them
     * completes at once, for good: refuse them as epoll does (callers
     * treat -EPERM as "no waiting needed"). */
    struct stat st;
    if (fstat(f->fd, &st) < 0)
        return -errno;
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
        return -EPERM;
    return submit_poll(f->fd, key_of(f));
}

/* A cancel, not IORING_OP_POLL_REMOVE: a wake-up whose task work has not
 * run yet (it runs on the thread that armed the poll, which may be busy,
 * asleep or exited) holds the poll, and POLL_REMOVE then answers -EALREADY
 * and removes nothing; the poll went on holding the file after close(2),
 * so the peer never saw the connection end (rtahttpd: a Connection: close
 * answer with no FIN). A cancel marks the poll and the pending task work
 * ends it with -ECANCELED (its stale generation: ignored). */
static void submit_cancel(uint64_t key)
{
    pthread_mutex_lock(&sq_lock);
    struct io_uring_sqe *sqe = sqe_get();
    if (sqe) {
        io_uring_prep_cancel64(sqe, key, 0);
        io_uring_sqe_set_data64(sqe, IGNORE_KEY);
        io_uring_submit(&ring); /* the cancel is issued inline, before this returns */
    }
    pthread_mutex_unlock(&sq_lock);
}

static void uring_unwatch(rta__iofd *f)
{
    submit_cancel(key_of(f));
}

/* Files: pread / pwrite as ring operations (file.c's rta__fileop). The
 * buffer's residency is the caller's (a tasklet stays pinned until the
 * completion came; cont/async1 buffers are never in a frame). The length is
 * capped at 1 GiB (the kernel's is 32 bits): the result says how much. */
static inline uint64_t file_key(const rta__fileop *x)
{
    return (uint64_t)x->key << 32 | FILE_TAG;
}

static int uring_file_submit(rta__fileop *x)
{
    unsigned n = x->n > (1u << 30) ? 1u << 30 : (unsigned)x->n;
    pthread_mutex_lock(&sq_lock);
    struct io_uring_sqe *sqe = sqe_get();
    if (sqe) {
        if (x->write)
            io_uring_prep_write(sqe, x->fd, x->buf, n, (uint64_t)x->off);
        else
            io_uring_prep_read(sqe, x->fd, x->buf, n, (uint64_t)x->off);
        io_uring_sqe_set_data64(sqe, file_key(x));
        io_uring_submit(&ring); /* -EBUSY: the SQE goes with the next submission */
    }
    pthread_mutex_unlock(&sq_lock);
    return sqe ? 0 : -EAGAIN;
}

static void uring_file_cancel(rta__fileop *x)
{
    submit_cancel(file_key(x));
}

/* A watched descriptor's poll ended: arm it again if still watched as gen. */
static void rearm(int fd, uint32_t gen, bool failed)
{
    rta__iofd *f = rta__iofd_get(fd, false);
    if (!f)
        return;
    rta__fdlock_lock(&f->lock);
    if (f->registered && f->gen == gen) {
        /* A failed poll is not retried here (it could fail forever): the
         * next wait registers the descriptor again. */
        if (failed || submit_poll(fd, key_of(f)) < 0)
            f->registered = false;
    }
    rta__fdlock_unlock(&f->lock);
}

typedef struct cqe_copy {
    uint64_t key;
    int32_t res;
    uint32_t flags;
} cqe_copy;

static void uring_round(uint64_t timeout_ns)
{
    if (timeout_ns && !io_uring_cq_ready(&ring)) {
        struct __kernel_timespec ts = {.tv_sec = (int64_t)(timeout_ns / 1000000000u),
                                       .tv_nsec = (long long)(timeout_ns % 1000000000u)};
        struct io_uring_getevents_arg arg = {
            .sigmask = 0,
            .sigmask_sz = _NSIG / 8,
            .ts = timeout_ns == UINT64_MAX ? 0 : (uint64_t)(uintptr_t)&ts,
        };
        /* -ETIME on timeout, -EINTR: nothing to do either way. */
        syscall(__NR_io_uring_enter, ring.ring_fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg,
                sizeof arg);
    } else if (!io_uring_cq_ready(&ring) && (IO_URING_READ_ONCE(*ring.sq.kflags) & IORING_SQ_TASKRUN)) {
        /* A busy worker's look (timeout 0): task work is pending (COOP_TASKRUN,
         * see rta__uring_init); entering runs this thread's share, which posts
         * its polls' completions (a worker computing without system calls
         * would otherwise hold them until its next one). */
        syscall(__NR_io_uring_enter, ring.ring_fd, 0, 0, IORING_ENTER_GETEVENTS, NULL, 0);
    }
    struct io_uring_cqe *cqes[MAX_CQES];
    cqe_copy got[MAX_CQES];
    unsigned n = io_uring_peek_batch_cqe(&ring, cqes, MAX_CQES);
    for (unsigned i = 0; i < n; i++)
        got[i] = (cqe_copy){cqes[i]->user_data, cqes[i]->res, cqes[i]->flags};
    io_uring_cq_advance(&ring, n);
    for (unsigned i = 0; i < n; i++) {
        cqe_copy c = got[i];
        if (c.key == IGNORE_KEY)
            continue;
        bool more = c.flags & IORING_CQE_F_MORE;
        if (c.key == WAKE_KEY) {
            uint64_t v;
            ssize_t r = read(wake_fd, &v, sizeof v);
            (void)r;
            if (!more)
                submit_poll(wake_fd, WAKE_KEY);
            continue;
        }
        if ((uint32_t)c.key == FILE_TAG) {
            rta__fileop *x = rta__fileop_of((uint32_t)(c.key >> 32));
            if (x)
                rta__fileop_done(x, c.res);
            continue;
        }
        int fd = (int)(uint32_t)c.key;
        uint32_t gen = (uint32_t)(c.key >> 32);
        if (c.res == -ECANCELED) {
            /* Ours (unwatch) carry a stale generation: rearm ignores them.
             * The kernel ends a live one too, when the thread that armed it
             * has exited (its task work can no longer run): the wake-up
             * that found it so is lost with it, so the waiters look again
             * (a spurious look costs one EAGAIN) and the poll is armed
             * again from here, a worker. */
            rta__iofd_event(fd, gen, true, true, false);
            rearm(fd, gen, false);
            continue;
        }
        if (c.res < 0) {
            rta__iofd_event(fd, gen, true, true, true); /* the waiters' syscalls say what */
            rearm(fd, gen, true);
            continue;
        }
        uint32_t e = (uint32_t)c.res;
        bool err = e & (POLLERR | POLLHUP);
        rta__iofd_event(fd, gen, err || (e & (POLLIN | POLLRDHUP | POLLPRI)), err || (e & POLLOUT),
                        err || (e & POLLRDHUP));
        if (!more)
            rearm(fd, gen, false);
    }
}

/* A busy worker that does not hold the poll token: with COOP_TASKRUN its
 * polls' wake-ups wait as task work until it enters the kernel, and a worker
 * running only tasks that make no system call (computing, yielding) would
 * hold them while the poller sleeps. Entering with nothing to submit or
 * wait for runs that task work, which posts the completions and wakes the
 * poller. Only when the ring says task work is pending (for some thread: at
 * most one needless entry per 61 ticks). */
static void uring_own_work(void)
{
    if (IO_URING_READ_ONCE(*ring.sq.kflags) & IORING_SQ_TASKRUN)
        syscall(__NR_io_uring_enter, ring.ring_fd, 0, 0, IORING_ENTER_GETEVENTS, NULL, 0);
}

/* Completions in the ring that a round would deliver (a file read done
 * while it was submitted, a socket's readiness): the backend's ready()
 * (io.h). Not the completions of the wake descriptor's poll, nor of
 * removals: a wake-up only says "look at the queues", which the spinning
 * worker is doing. Counting it made every spawn from a plain thread cost
 * a wake-up: the spawn's write posts such a completion, the spinning
 * worker left to reap it in the ring, so the next spawn found nobody
 * spinning and wrote again (docs/io.md, "The parker says ready";
 * tests/io/test_uring_wake.c). Nor IORING_SQ_TASKRUN: the flag is the
 * ring's, set for any thread's task work, which this worker's round need
 * not run. Both ends of the queue are read as atomics (another thread may
 * be the reaper), and at most 8 entries: a hint may be wrong, at the price
 * of a look. */
static bool uring_ready(void)
{
    unsigned tail = __atomic_load_n(ring.cq.ktail, __ATOMIC_ACQUIRE);
    unsigned head = __atomic_load_n(ring.cq.khead, __ATOMIC_RELAXED);
    for (unsigned n = 0; head != tail && n < 8; head++, n++) {
        uint64_t key = __atomic_load_n(&ring.cq.cqes[head & ring.cq.ring_mask].user_data, __ATOMIC_RELAXED);
        if (key != WAKE_KEY && key != IGNORE_KEY)
            return true;
    }
    return head != tail;
}

static void uring_wake(void)
{
    uint64_t one = 1;
    ssize_t r = write(wake_fd, &one, sizeof one);
    (void)r;
}

static void uring_fini(void)
{
    io_uring_queue_exit(&ring);
    close(wake_fd);
    wake_fd = -1;
}

static const rta__io_backend uring_backend = {
    .name = "io_uring",
    .watch = uring_watch,
    .unwatch = uring_unwatch,
    .round = uring_round,
    .wake = uring_wake,
    .fini = uring_fini,
    .own_work = uring_own_work,
    .file_submit = uring_file_submit,
    .file_cancel = uring_file_cancel,
    .ready = uring_ready,
};

int rta__uring_init(const rta__io_backend **be)
{
    /* A large completion queue: every readiness edge of every connection
     * lands there between two rounds. */
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    /* COOP_TASKRUN (5.19): a poll's wake-up is task work on the thread
     * that armed it (see the top); by default the kernel interrupts that
     * thread with an IPI when it runs in user space, which cost a server an
     * interrupt and a kernel round trip per request (rtahttpd on io_uring
     * took ~1.7x the CPU per request of epoll). Cooperative: the task work
     * runs at that thread's next kernel entry (a worker makes a system call
     * per read or write; an asleep thread is still woken), and TASKRUN_FLAG
     * lets a busy worker's look at the ring (io_uring_peek_batch_cqe) enter
     * the kernel to run it when the flag says some is pending. */
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    p.cq_entries = 16384;
    int rc = io_uring_queue_init_params(256, &ring, &p);
    if (rc == -EINVAL) { /* before 5.19: interrupting task work */
        memset(&p, 0, sizeof p);
        p.flags = IORING_SETUP_CQSIZE;
        p.cq_entries = 16384;
        rc = io_uring_queue_init_params(256, &ring, &p);
    }
    if (rc < 0)
        return rc;
    /* EXT_ARG (5.11): timeouts without an SQE; NODROP: no lost edges;
     * RSRC_TAGS (5.13) stands for multishot poll, which came with it. */
    unsigned need = IORING_FEAT_EXT_ARG | IORING_FEAT_NODROP | IORING_FEAT_RSRC_TAGS;
    if ((p.features & need) != need) {
        io_uring_queue_exit(&ring);
        return -ENOTSUP; /* the kernel is older than 5.13 */
    }
    wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd < 0 || (rc = submit_poll(wake_fd, WAKE_KEY)) < 0) {
        rc = wake_fd < 0 ? -errno : rc;
        if (wake_fd >= 0)
            close(wake_fd);
        wake_fd = -1;
        io_uring_queue_exit(&ring);
        return rc;
    }
    *be = &uring_backend;
    return 0;
}

int rta__uring_probe(void)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    long fd = syscall(__NR_io_uring_setup, 4, &p);
    if (fd < 0)
        return -errno;
    close((int)fd);
    return 0;
}

#else

int rta__uring_probe(void)
{
    return -ENOPKG;
}

int rta__uring_init(const rta__io_backend **be)
{
    (void)be;
    return -ENOPKG; /* built without liburing */
}

#endif
