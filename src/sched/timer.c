/* Per-worker binary min-heap of timers, ordered by deadline. Owner only.
 * Invariant: for every i < len, items[i]->heap_index == i, and a timer in no
 * heap has heap_index == RTA__TIMER_NONE (what makes remove O(log n)). */
#include "sched.h"

#include <errno.h>
#include <time.h>

uint64_t rta__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void place(rta__timer_heap *h, size_t i, rta__timer *t)
{
    h->items[i] = t;
    t->heap_index = i;
}

static void sift_up(rta__timer_heap *h, size_t i, rta__timer *t)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->items[parent]->deadline_ns <= t->deadline_ns)
            break;
        place(h, i, h->items[parent]);
        i = parent;
    }
    place(h, i, t);
}

static void sift_down(rta__timer_heap *h, size_t i, rta__timer *t)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        uint64_t md = t->deadline_ns;
        if (l < h->len && h->items[l]->deadline_ns < md) {
            m = l;
            md = h->items[l]->deadline_ns;
        }
        if (r < h->len && h->items[r]->deadline_ns < md)
            m = r;
        if (m == i)
            break;
        place(h, i, h->items[m]);
        i = m;
    }
    place(h, i, t);
}

int rta__timer_heap_add(rta__timer_heap *h, rta__timer *t)
{
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        rta__timer **items = realloc(h->items, cap * sizeof *items);
        if (!items)
            return -ENOMEM;
        h->items = items;
        h->cap = cap;
    }
    sift_up(h, h->len++, t);
    return 0;
}

rta__timer *rta__timer_heap_peek(rta__timer_heap *h)
{
    return h->len ? h->items[0] : NULL;
}

/* Takes the timer at position i out: the last item fills the hole and moves
 * up or down to where it belongs. */
static void remove_at(rta__timer_heap *h, size_t i)
{
    h->items[i]->heap_index = RTA__TIMER_NONE;
    rta__timer *last = h->items[--h->len];
    if (i == h->len)
        return;
    if (i > 0 && h->items[(i - 1) / 2]->deadline_ns > last->deadline_ns)
        sift_up(h, i, last);
    else
        sift_down(h, i, last);
}

void rta__timer_heap_pop(rta__timer_heap *h)
{
    if (h->len)
        remove_at(h, 0);
}

bool rta__timer_heap_remove(rta__timer_heap *h, rta__timer *t)
{
    size_t i = t->heap_index;
    if (i == RTA__TIMER_NONE)
        return false;
    if (i >= h->len || h->items[i] != t)
        rta__fatal("timer %p removed from a heap it is not in", (void *)t);
    remove_at(h, i);
    return true;
}

void rta__timer_heap_free(rta__timer_heap *h)
{
    free(h->items);
    *h = (rta__timer_heap){0};
}
