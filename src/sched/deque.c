/*
 * Chase-Lev work-stealing deque, bounded, in the C11 formulation of Lê,
 * Pop, Cohen and Zappa Nardelli (PPoPP 2013). The owner pushes and pops at
 * the bottom; thieves take from the top. Orderings follow the paper:
 *  - push: the release store of bottom publishes the slot written before it
 *    (partner: the acquire load of bottom in steal). The paper's form, a
 *    release fence then a relaxed store, is equally correct C11, but
 *    ThreadSanitizer does not model fences and reported every stolen task as
 *    a race (issue 20); on x86-64 and AArch64 both forms compile to the same
 *    plain store / stlr, so the form TSan understands costs nothing.
 *  - steal: the slot is read with acquire, so a thief also synchronises with
 *    the push that wrote the value it read (what TSan needs to see the
 *    task's contents as published; free on x86-64, an ldar on AArch64).
 *  - pop/steal: the seq_cst fences order the owner's bottom decrement against
 *    a thief's top read, so that at most one of them takes the last item
 *    (decided by the CAS on top).
 */
#include "sched.h"

#define MASK (RTA__DEQUE_CAP - 1)
_Static_assert((RTA__DEQUE_CAP & MASK) == 0, "deque capacity must be a power of two");

bool rta__deque_push(rta__deque *d, rta__work *w)
{
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    if (b - t >= RTA__DEQUE_CAP)
        return false;
    atomic_store_explicit(&d->buf[b & MASK], w, memory_order_relaxed);
    atomic_store_explicit(&d->bottom, b + 1, memory_order_release);
    return true;
}

rta__work *rta__deque_pop(rta__deque *d)
{
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed) - 1;
    atomic_store_explicit(&d->bottom, b, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t t = atomic_load_explicit(&d->top, memory_order_relaxed);
    if (t > b) {
        atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
        return NULL;
    }
    rta__work *w = atomic_load_explicit(&d->buf[b & MASK], memory_order_relaxed);
    if (t == b) {
        /* The last item: race the thieves for it. */
        if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                     memory_order_relaxed))
            w = NULL;
        atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
    }
    return w;
}

rta__work *rta__deque_steal(rta__deque *d)
{
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_acquire);
    if (t >= b)
        return NULL;
    rta__work *w = atomic_load_explicit(&d->buf[t & MASK], memory_order_acquire);
    if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return NULL; /* lost to the owner or another thief */
    return w;
}
