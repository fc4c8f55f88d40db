/*
 * The poller as the scheduler's parker (see io.h for the protocol), and the
 * epoll backend; the io_uring backend is uring.c.
 *
 * Parker states (rta__parker.state): 0 empty, 1 notified, -1 asleep on the
 * futex, -2 asleep in the backend's round (epoll_wait, io_uring_enter).
 * unpark exchanges in 1 and, by what it replaced, wakes the futex or the
 * backend (an eventfd write). Only the holder of the poll token is ever at
 * -2, so the wake reaches exactly the poller thread (a leftover count makes
 * one later round return early: harmless).
 */
#include "io.h"

#include <string.h>
#include <sys/epoll.h>
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif
#include <sys/eventfd.h>
#include <unistd.h>

rta__io rta__io_state;

/* ---- the epoll backend ---- */

#define EV_WAKE UINT64_MAX
#define MAX_EVENTS 128

static int epfd = -1, evfd = -1;

static int epoll_watch(rta__iofd *f)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                             .data.u64 = (uint64_t)f->gen << 32 | (uint32_t)f->fd};
    /* EEXIST: the number was closed behind our back (plain close) and its
     * old registration went with it, or never left: take it over. */
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, f->fd, &ev) < 0 &&
        (errno != EEXIST || epoll_ctl(epfd, EPOLL_CTL_MOD, f->fd, &ev) < 0))
        return -errno;
    return 0;
}

static void epoll_unwatch(rta__iofd *f)
{
    epoll_ctl(epfd, EPOLL_CTL_DEL, f->fd, NULL); /* ENOENT once closed behind our back */
}

static int to_ms(uint64_t timeout_ns)
{
    if (timeout_ns == UINT64_MAX)
        return -1;
    uint64_t ms = (timeout_ns + 999999) / 1000000; /* round up: never wake before a deadline */
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* One round of epoll_wait; dispatches what came. */
static void epoll_round(uint64_t timeout_ns)
{
    struct epoll_event evs[MAX_EVENTS];
    int n = epoll_wait(epfd, evs, MAX_EVENTS, to_ms(timeout_ns));
    for (int i = 0; i < n; i++) {
        uint64_t key = evs[i].data.u64;
        if (key == EV_WAKE) {
            uint64_t v;
            ssize_t r = read(evfd, &v, sizeof v);
            (void)r;
            continue;
        }
        uint32_t e = evs[i].events;
        bool err = e & (EPOLLERR | EPOLLHUP);
        rta__iofd_event((int)(uint32_t)key, (uint32_t)(key >> 32),
                        err || (e & (EPOLLIN | EPOLLRDHUP | EPOLLPRI)), err || (e & EPOLLOUT),
                        err || (e & EPOLLRDHUP));
    }
}

static void epoll_wake(void)
{
    uint64_t one = 1;
    ssize_t r = write(evfd, &one, sizeof one);
    (void)r;
}

static void epoll_fini(void)
{
    close(evfd);
    close(epfd);
    epfd = evfd = -1;
}

static const rta__io_backend epoll_backend = {
    .name = "epoll",
    .watch = epoll_watch,
    .unwatch = epoll_unwatch,
    .round = epoll_round,
    .wake = epoll_wake,
    .fini = epoll_fini,
};

int rta__epoll_init(const rta__io_backend **be)
{
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        return -errno;
    evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = EV_WAKE};
    if (evfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, evfd, &ev) < 0) {
        int rc = -errno;
        if (evfd >= 0)
            close(evfd);
        close(epfd);
        epfd = evfd = -1;
        return rc;
    }
    *be = &epoll_backend;
    return 0;
}

/* ---- the parker over either backend ---- */

static void io_park(rta__parker *p, uint64_t timeout_ns)
{
    if (atomic_exchange(&rta__io_state.poll_token, 1)) {
        rta__futex_park(p, timeout_ns);
        return;
    }
    int empty = 0;
    if (atomic_compare_exchange_strong(&p->state, &empty, -2))
        rta__io_state.be->round(timeout_ns);
    /* Woken, timed out, or a notification was waiting (state 1): consume. */
    atomic_store(&p->state, 0);
    atomic_store(&rta__io_state.poll_token, 0);
}

static void io_unpark(rta__parker *p)
{
    int old = atomic_exchange(&p->state, 1);
    if (old == -1)
        rta__futex_wake(p);
    else if (old == -2)
        rta__io_state.be->wake();
}

/* A busy worker's look at the poller (every RTA__SCHED_FAIR_TICKS ticks):
 * never blocks, skips if someone polls.
 * Nor does it look while no descriptor has been registered and nobody waits
 * in the poller: the only thing the poller watches then is its own wake-up,
 * which matters to a waiter in the poller alone, so there is nothing to
 * deliver. The look reads the kernel's side of the ring (or makes an
 * epoll_wait(0) system call): with io_uring's COOP_TASKRUN set-up (uring.c)
 * it cost a fair tick ~400 cycles more than 9266701's ~100, the resume p99
 * of bench/lifetime (one resume in 61 takes a fair tick) and ~10% of async1's
 * 20 ns depth roundtrip (docs/async1.md "Against 9266701"). The own-work
 * path below stays: with the token taken, this worker may be the one whose
 * deferred task work holds the poller's wake-up. A registration another
 * thread makes now is seen at a later fair tick: its readiness waits in the
 * ring meanwhile, and the waiting task's worker goes to the poller when idle. */
static void io_poll(void)
{
    const rta__io_backend *be = rta__io_state.be;
    if (!atomic_load_explicit(&rta__io_state.watched, memory_order_relaxed) &&
        !atomic_load_explicit(&rta__io_state.poll_token, memory_order_relaxed))
        return;
    if (atomic_load_explicit(&rta__io_state.poll_token, memory_order_relaxed) ||
        atomic_exchange(&rta__io_state.poll_token, 1)) {
        if (be->own_work)
            be->own_work();
        return;
    }
    be->round(0);
    atomic_store(&rta__io_state.poll_token, 0);
}

/* The parker's ready() (sched.h): an idle worker stops spinning when a round
 * would find something at once, but only while nobody holds the poll token:
 * a holder asleep in the backend is woken by the kernel itself, and a worker
 * that went to park meanwhile would sleep on its futex, giving up the spin
 * that lets the holder hand it work without a wake-up. */
static bool io_ready(void)
{
    const rta__io_backend *be = rta__io_state.be;
    return !atomic_load_explicit(&rta__io_state.poll_token, memory_order_relaxed) && be->ready && be->ready();
}

/* Named after the backend at rta_init (tests compare it with rta_io_backend). */
static rta__parker_ops io_parker = {
    .name = "epoll",
    .park = io_park,
    .unpark = io_unpark,
    .poll = io_poll,
    .ready = NULL, /* io_ready, when the backend has a hint (rta__io_init) */
};

/* io_uring first (unless RTA_IO=epoll); epoll when it is not built or the
 * kernel refuses it (seccomp, io_uring_disabled, an old kernel), said once
 * per process on stderr. */
int rta__io_init(void)
{
    rta__io *io = &rta__io_state;
    atomic_store(&io->stopping, 0);
    atomic_store(&io->poll_token, 0);
    atomic_store(&io->watched, 0);
    const char *want = getenv("RTA_IO");
    if (want && *want && strcmp(want, "epoll") != 0 && strcmp(want, "io_uring") != 0) {
        fprintf(stderr, "rtasync: rta_init: RTA_IO=\"%s\": expected io_uring or epoll\n", want);
        return -EINVAL;
    }
    const rta__io_backend *be = NULL;
    if (!want || !*want || strcmp(want, "io_uring") == 0) {
        /* Valgrind runs one thread at a time and does not let go of its
         * lock while a thread blocks in io_uring_enter: every other thread
         * would stop until an event came (the I/O tests hung). A kernel
         * that refuses io_uring is still said (the probe only sets up and
         * closes a ring). */
        int rc = RUNNING_ON_VALGRIND ? rta__uring_probe() : rta__uring_init(&be);
        if (RUNNING_ON_VALGRIND && rc == 0)
            rc = -EDEADLK; /* it would work: epoll quietly */
        static _Atomic int said;
        if (rc < 0 && rc != -EDEADLK && !atomic_exchange(&said, 1)) /* valgrind: quietly */
            rta__notice("rtasync: io_uring unavailable (%s): using epoll",
                        rc == -ENOPKG    ? "built without liburing"
                        : rc == -ENOTSUP ? "the kernel lacks multishot poll or EXT_ARG"
                                         : strerror(-rc));
    }
    if (!be) {
        int rc = rta__epoll_init(&be);
        if (rc < 0)
            return rc;
    }
    io->be = be;
    rta__pool_init();
    io_parker.name = be->name;
    /* No hint from a backend that has none (epoll): the idle spin then
     * tests a NULL pointer, not a call that always says no. */
    io_parker.ready = be->ready ? io_ready : NULL;
    rta__parker_impl = &io_parker;
    return 0;
}

void rta__io_shutdown_begin(void)
{
    atomic_store(&rta__io_state.stopping, 1);
    rta__iofd_cancel_all();
    rta__fileops_cancel_all();
}

/* After the workers stopped. */
void rta__io_shutdown(void)
{
    rta__io *io = &rta__io_state;
    rta__parker_impl = &rta__parker_futex;
    rta__pool_shutdown();
    rta__iofd_table_free();
    rta__io_wait_records_free();
    if (io->be)
        io->be->fini();
    io->be = NULL;
}

const char *rta_io_backend(void)
{
    return rta__io_state.be ? rta__io_state.be->name : "epoll";
}
