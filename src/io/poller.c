/*
 * The epoll poller as the scheduler's parker (see io.h for the protocol).
 *
 * Parker states (rta__parker.state): 0 empty, 1 notified, -1 asleep on the
 * futex, -2 asleep in epoll_wait. unpark exchanges in 1 and, by what it
 * replaced, wakes the futex or writes the eventfd. Only the holder of the
 * poll token is ever at -2, so the eventfd wakes exactly the poller thread
 * (a leftover count makes one later epoll_wait return early: harmless).
 */
#include "io.h"

#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

rta__io rta__io_state = {.epfd = -1, .evfd = -1};

#define EV_WAKE UINT64_MAX
#define MAX_EVENTS 128

/* One round of epoll_wait (timeout_ms -1 = forever); dispatches what came. */
static void poll_round(int timeout_ms)
{
    struct epoll_event evs[MAX_EVENTS];
    int n = epoll_wait(rta__io_state.epfd, evs, MAX_EVENTS, timeout_ms);
    for (int i = 0; i < n; i++) {
        uint64_t key = evs[i].data.u64;
        if (key == EV_WAKE) {
            uint64_t v;
            ssize_t r = read(rta__io_state.evfd, &v, sizeof v);
            (void)r;
            continue;
        }
        uint32_t e = evs[i].events;
        bool err = e & (EPOLLERR | EPOLLHUP);
        rta__iofd_event((int)(uint32_t)key, (uint32_t)(key >> 32),
                        err || (e & (EPOLLIN | EPOLLRDHUP | EPOLLPRI)), err || (e & EPOLLOUT));
    }
}

static int to_ms(uint64_t timeout_ns)
{
    if (timeout_ns == UINT64_MAX)
        return -1;
    uint64_t ms = (timeout_ns + 999999) / 1000000; /* round up: never wake before a deadline */
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

static void epoll_park(rta__parker *p, uint64_t timeout_ns)
{
    if (atomic_exchange(&rta__io_state.poll_token, 1)) {
        rta__futex_park(p, timeout_ns);
        return;
    }
    int empty = 0;
    if (atomic_compare_exchange_strong(&p->state, &empty, -2)) {
        poll_round(to_ms(timeout_ns));
    }
    /* Woken, timed out, or a notification was waiting (state 1): consume. */
    atomic_store(&p->state, 0);
    atomic_store(&rta__io_state.poll_token, 0);
}

static void epoll_unpark(rta__parker *p)
{
    int old = atomic_exchange(&p->state, 1);
    if (old == -1) {
        rta__futex_wake(p);
    } else if (old == -2) {
        uint64_t one = 1;
        ssize_t r = write(rta__io_state.evfd, &one, sizeof one);
        (void)r;
    }
}

/* A busy worker's look at the poller: never blocks, skips if someone polls. */
static void epoll_poll(void)
{
    if (atomic_load_explicit(&rta__io_state.poll_token, memory_order_relaxed) ||
        atomic_exchange(&rta__io_state.poll_token, 1))
        return;
    poll_round(0);
    atomic_store(&rta__io_state.poll_token, 0);
}

static const rta__parker_ops epoll_parker = {
    .name = "epoll",
    .park = epoll_park,
    .unpark = epoll_unpark,
    .poll = epoll_poll,
};

int rta__io_init(void)
{
    rta__io *io = &rta__io_state;
    atomic_store(&io->stopping, 0);
    atomic_store(&io->poll_token, 0);
    const char *want = getenv("RTA_IO");
    if (want && *want && strcmp(want, "epoll") != 0 && strcmp(want, "io_uring") != 0) {
        fprintf(stderr, "rtasync: RTA_IO=\"%s\": expected io_uring or epoll\n", want);
        return -EINVAL;
    }
    io->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (io->epfd < 0)
        return -errno;
    io->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (io->evfd < 0) {
        int rc = -errno;
        close(io->epfd);
        io->epfd = -1;
        return rc;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = EV_WAKE};
    if (epoll_ctl(io->epfd, EPOLL_CTL_ADD, io->evfd, &ev) < 0) {
        int rc = -errno;
        close(io->evfd);
        close(io->epfd);
        io->epfd = io->evfd = -1;
        return rc;
    }
    io->backend = "epoll";
    rta__parker_impl = &epoll_parker;
    return 0;
}

void rta__io_shutdown_begin(void)
{
    atomic_store(&rta__io_state.stopping, 1);
    rta__iofd_cancel_all();
}

/* After the workers stopped. */
void rta__io_shutdown(void)
{
    rta__io *io = &rta__io_state;
    rta__parker_impl = &rta__parker_futex;
    rta__iofd_table_free();
    rta__io_wait_records_free();
    if (io->evfd >= 0)
        close(io->evfd);
    if (io->epfd >= 0)
        close(io->epfd);
    io->epfd = io->evfd = -1;
    io->backend = NULL;
}

const char *rta_io_backend(void)
{
    return rta__io_state.backend ? rta__io_state.backend : "epoll";
}
