/*
 * The descriptor entry's lock (rta__iofd.lock): a futex word instead of a
 * pthread mutex. A request takes it twice (the wait's on_completed and the
 * poller's event), uncontended almost always; pthread_mutex_lock/unlock as
 * out-of-line calls with their type checks cost ~55 instructions a pair
 * there (callgrind, echo benchmark), this one a compare-exchange and an
 * exchange inline.
 *
 * States: 0 free, 1 held, 2 held and someone may sleep on it (Drepper's
 * "Futexes are tricky", mutex 3).
 */
#ifndef RTA_IO_FDLOCK_H
#define RTA_IO_FDLOCK_H

#include "../core/internal.h"

#include <stdatomic.h>
#include <stdint.h>

typedef struct rta__fdlock {
    _Atomic uint32_t s;
} rta__fdlock;

RTA__HIDDEN void rta__fdlock_wait(rta__fdlock *l);
RTA__HIDDEN void rta__fdlock_wake(rta__fdlock *l);

static inline void rta__fdlock_lock(rta__fdlock *l)
{
    uint32_t free_ = 0;
    if (rta__likely(atomic_compare_exchange_strong_explicit(&l->s, &free_, 1, memory_order_acquire,
                                                            memory_order_relaxed)))
        return;
    rta__fdlock_wait(l);
}

static inline void rta__fdlock_unlock(rta__fdlock *l)
{
    if (rta__unlikely(atomic_exchange_explicit(&l->s, 0, memory_order_release) == 2))
        rta__fdlock_wake(l);
}

#endif
