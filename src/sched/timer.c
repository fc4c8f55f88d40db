/* Per-worker binary min-heap of timers, ordered by deadline. Owner only. */
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
    size_t i = h->len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->items[parent]->deadline_ns <= t->deadline_ns)
            break;
        place(h, i, h->items[parent]);
        i = parent;
    }
    place(h, i, t);
    return 0;
}

rta__timer *rta__timer_heap_peek(rta__timer_heap *h)
{
    return h->len ? h->items[0] : NULL;
}

void rta__timer_heap_pop(rta__timer_heap *h)
{
    if (!h->len)
        return;
    rta__timer *last = h->items[--h->len];
    if (!h->len)
        return;
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        uint64_t md = last->deadline_ns;
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
    place(h, i, last);
}

void rta__timer_heap_free(rta__timer_heap *h)
{
    free(h->items);
    *h = (rta__timer_heap){0};
}
