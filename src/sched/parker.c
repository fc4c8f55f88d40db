/*
 * The default parker: a futex word per worker. unpark before park makes the
 * next park return at once (the notification is remembered), so a waker
 * never needs to know whether the worker already went to sleep.
 *
 *   park:   fetch_sub(state) — 1 -> 0 consumes a notification and returns;
 *           0 -> -1 announces sleep, then futex_wait while the word is -1.
 *   unpark: exchange(state, 1); if it was -1 the owner sleeps: futex_wake.
 * Both are seq_cst, so an unpark after the owner's last check of its queues
 * is never lost: either park sees 1, or unpark sees -1 and wakes it.
 *
 * Other implementations (a poller, src/io) plug in through rta__parker_ops.
 */
#include "sched.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void rta__futex_park(rta__parker *p, uint64_t timeout_ns)
{
    if (atomic_fetch_sub(&p->state, 1) == 1)
        return;
    struct timespec ts, *tsp = NULL;
    if (timeout_ns != UINT64_MAX) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000u);
        ts.tv_nsec = (long)(timeout_ns % 1000000000u);
        tsp = &ts;
    }
    syscall(SYS_futex, &p->state, FUTEX_WAIT_PRIVATE, -1, tsp, NULL, 0);
    /* Woken, timed out or spurious: either way forget the sleep and let the
     * caller look at its queues again. */
    atomic_store(&p->state, 0);
}

void rta__futex_wake(rta__parker *p)
{
    syscall(SYS_futex, &p->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void rta__futex_unpark(rta__parker *p)
{
    if (atomic_exchange(&p->state, 1) == -1)
        rta__futex_wake(p);
}

const rta__parker_ops rta__parker_futex = {
    .name = "futex",
    .park = rta__futex_park,
    .unpark = rta__futex_unpark,
    .poll = NULL,
    .ready = NULL,
};

const rta__parker_ops *rta__parker_impl = &rta__parker_futex;
