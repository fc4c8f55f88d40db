/*
 * Cancellation requests: rta_task_cancel, and the cancel scopes of the
 * stackless engines' tasks (sched.h has the protocol).
 *
 * rta_task_cancel sees only the task's kind: a promise is cancelled here;
 * an engine's task goes to the engines' cancel hooks (engine.h), each of
 * which says whether the task is its own. So neither this layer nor the
 * core names an engine, and each engine keeps its own request state (a
 * tasklet's flag word and single hook slot; a cont root's or an async1
 * task's rta__cancel_scope).
 */
#include "stackful.h"

static void scope_lock(rta__cancel_scope *s)
{
    while (atomic_fetch_or_explicit(&s->bits, RTA__SCOPE_LOCK, memory_order_acquire) & RTA__SCOPE_LOCK)
        while (atomic_load_explicit(&s->bits, memory_order_relaxed) & RTA__SCOPE_LOCK)
            rta__cpu_relax();
}

static void scope_unlock(rta__cancel_scope *s)
{
    atomic_fetch_and_explicit(&s->bits, ~RTA__SCOPE_LOCK, memory_order_release);
}

rta__cancel_scope rta__scope_detached;

void rta__scope_request(rta__cancel_scope *s)
{
    /* The flag first (seq_cst, as the tasklet's): a wait that arms after
     * this sees it; one armed before is in the list below. */
    atomic_fetch_or_explicit(&s->bits, RTA__SCOPE_REQ, memory_order_seq_cst);
    scope_lock(s);
    rta__scope_hook *h;
    while ((h = s->hooks) != NULL) {
        s->hooks = h->next;
        h->next = NULL;
        h->h.fn(&h->h); /* under the lock: the disarm of h's wait waits for it */
    }
    scope_unlock(s);
}

bool rta__scope_arm(rta__cancel_scope *s, rta__scope_hook *h)
{
    if (s == &rta__scope_detached)
        return true; /* nothing will request it: one shared list would only serialise its waits */
    scope_lock(s);
    bool ok = !(atomic_load_explicit(&s->bits, memory_order_relaxed) & RTA__SCOPE_REQ);
    if (ok) {
        h->next = s->hooks;
        s->hooks = h;
    }
    scope_unlock(s);
    return ok;
}

void rta__scope_disarm(rta__cancel_scope *s, rta__scope_hook *h)
{
    if (s == &rta__scope_detached)
        return; /* never armed there */
    scope_lock(s);
    for (rta__scope_hook **pp = &s->hooks; *pp; pp = &(*pp)->next) {
        if (*pp == h) {
            *pp = h->next;
            break;
        }
    }
    h->next = NULL;
    scope_unlock(s);
}

bool rta_task_cancel(rta_task *task)
{
    if (!task)
        return false;
    rta__task_check_live(task, "rta_task_cancel");
    if (rta__task_done(task))
        return false;
    if (task->kind == RTA__TASK_PROMISE)
        return rta_promise_cancel(task);
    /* Fixed while the runtime runs; a live engine task means it runs. */
    for (unsigned i = 0; i < rta__rt.nengines; i++) {
        const rta__engine *e = rta__rt.engines[i];
        int r = e->cancel ? e->cancel(task) : -1;
        if (r >= 0)
            return r != 0;
    }
    return false; /* a combinator completes with its inputs */
}

void rta__cancel_point(const char *what)
{
    if (rta__cancel_pending())
        rta_throw(-ECANCELED, "%s: the task was canceled (rta_task_cancel)", what);
}
