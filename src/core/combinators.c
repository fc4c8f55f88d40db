/*
 * when_all / when_any. One allocation holds the combinator task, a waiter per
 * input and the references it keeps on its inputs; the waiters run on the
 * completing threads and only count down, so no lock is needed.
 */
#include "internal.h"

#include <errno.h>

typedef struct combinator combinator;

typedef struct slot {
    rta_waiter w;   /* w.data = the combinator */
    rta_task *task; /* one reference held until the combinator is destroyed */
} slot;

struct combinator {
    rta_task task;
    bool any;
    size_t n;
    _Atomic size_t remaining;  /* when_all: inputs not yet complete */
    _Atomic size_t registered; /* waiters that may still run: the combinator
                                  outlives them (holds a self reference) */
    slot slots[];
};

static void combinator_destroy(rta_task *t)
{
    combinator *c = (combinator *)t;
    for (size_t i = 0; i < c->n; i++)
        rta_task_release(c->slots[i].task);
    free(c);
}

/* Every faulted input is marked observed, not only the first whose error the
 * combinator carries: awaiting the combinator is how the caller handles its
 * inputs' faults (as .NET's WhenAll observes every input's exceptions), so
 * none of them may later be reported as an unobserved fault. */
static void finish_all(combinator *c)
{
    bool canceled = false;
    rta_task *first = NULL;
    for (size_t i = 0; i < c->n; i++) {
        rta_task *t = c->slots[i].task;
        rta_status s = rta_task_status(t);
        if (s == RTA_FAULTED) {
            rta__task_take_view(t);
            if (!first)
                first = t;
        }
        canceled |= s == RTA_CANCELED;
    }
    if (first) {
        rta_error *e = rta_error_copy(first->error);
        rta__task_complete(&c->task, RTA_FAULTED, 0, e ? e : rta__error_oom());
    } else if (canceled) {
        rta__task_complete(&c->task, RTA_CANCELED, 0, NULL);
    } else {
        rta__task_complete(&c->task, RTA_SUCCEEDED, (int64_t)c->n, NULL);
    }
}

static void slot_done(combinator *c, size_t index)
{
    if (c->any)
        rta__task_complete(&c->task, RTA_SUCCEEDED, (int64_t)index, NULL);
    else if (atomic_fetch_sub_explicit(&c->remaining, 1, memory_order_acq_rel) == 1)
        finish_all(c);
}

static void slot_fired(rta_waiter *w)
{
    slot *s = rta__container_of(w, slot, w);
    combinator *c = w->data;
    slot_done(c, (size_t)(s - c->slots));
    if (atomic_fetch_sub_explicit(&c->registered, 1, memory_order_acq_rel) == 1)
        rta_task_release(&c->task); /* the waiters' shared reference */
}

/* A NULL input (a failed rta_spawn passed on unchecked) gives a combinator
 * that has already faulted with -EINVAL naming the call and the index, so
 * that an await or wait of it says what went wrong; NULL only without
 * memory for that. */
static rta_task *faulted_input(const char *call, size_t i)
{
    rta_task *p = rta_promise_new();
    if (!p)
        return NULL;
    rta_error *e = rta_error_new(-EINVAL,
                                 "%s: input %zu is a NULL task handle (a call that "
                                 "returns a task failed and was not checked)",
                                 call, i);
    rta_promise_reject(p, e ? e : rta__error_oom());
    errno = EINVAL;
    return p;
}

static rta_task *combine(rta_task *const *ts, size_t n, bool any)
{
    const char *call = any ? "rta_when_any" : "rta_when_all";
    if (any && n == 0) {
        errno = EINVAL;
        return NULL;
    }
    if (n && !ts)
        return faulted_input(call, 0);
    for (size_t i = 0; i < n; i++) {
        if (!ts[i])
            return faulted_input(call, i);
        rta__task_check_live(ts[i], call);
    }
    combinator *c = malloc(sizeof *c + n * sizeof(slot));
    if (!c) {
        errno = ENOMEM;
        return NULL;
    }
    /* Two references: the caller's, and one shared by all waiters that were
     * registered (released by the last of them to run). */
    rta__task_init(&c->task, RTA__TASK_COMBINATOR, 2, combinator_destroy);
    c->any = any;
    c->n = n;
    atomic_init(&c->remaining, n + 1); /* +1: the registering loop's own hold */
    atomic_init(&c->registered, n + 1);
    for (size_t i = 0; i < n; i++) {
        c->slots[i].task = rta_task_retain(ts[i]);
        c->slots[i].w = (rta_waiter){.fn = slot_fired, .data = c};
    }
    for (size_t i = 0; i < n; i++) {
        if (!rta_task_on_complete(ts[i], &c->slots[i].w))
            slot_fired(&c->slots[i].w);
    }
    /* Drop the loop's holds: now completion may finish the combinator. */
    if (!any && atomic_fetch_sub_explicit(&c->remaining, 1, memory_order_acq_rel) == 1)
        finish_all(c);
    if (atomic_fetch_sub_explicit(&c->registered, 1, memory_order_acq_rel) == 1)
        rta_task_release(&c->task);
    return &c->task;
}

rta_task *rta_when_all(rta_task *const *ts, size_t n)
{
    return combine(ts, n, false);
}

rta_task *rta_when_any(rta_task *const *ts, size_t n)
{
    return combine(ts, n, true);
}
