/*
 * What the waits (src/io, and the engines' sleeps) need from the stackful
 * engine's tasks: cancellation and pinning. The scheduler forwards each call
 * to that engine's hooks (engine.h), so no layer below the engines declares
 * or calls an engine's function (scripts/check-layers.sh checks both).
 * Without a running stackful task every call is the no-task case: nothing
 * to cancel, nothing to pin.
 *
 * Cancellation (rta_task_cancel). A cancel request is a flag on the task; a
 * task suspended in a cancelable wait has armed a hook that ends that wait.
 * The engine owns the flag and the hook slot; the waits arm and disarm.
 * Protocol, which no wake-up can slip through:
 *  - the waiting task arms its hook before it suspends (false: a request is
 *    already there, do not wait) and disarms it once resumed, before the
 *    wait's record may be reused;
 *  - rta_task_cancel sets the flag first, then runs the armed hook, if any,
 *    under the slot's lock (so the hook's record stays valid meanwhile);
 *  - a wait that registers with its source after switching out checks the
 *    flag under the same lock its hook takes: whichever comes second sees
 *    the other.
 *
 * Pinning. rta__resident_pin keeps the running task's frames resident
 * (never copied out of their region) until the matching unpin: for a wait
 * during which another thread or the kernel reads or writes the task's
 * frames (rta_run_blocking's arg, a buffer on the stack). Nests. A worker
 * whose regions are all held by pinned tasks maps another for a task that
 * needs one to start; a task whose own region is held by a pinned one
 * resumes once the pin ends (retried every ms).
 *
 * The stackless engines' tasks (cont, async1) use cancel scopes instead
 * (sched.h): the waits for frames that suspend by returning (src/io's
 * relay records, blocking jobs, group waits) record the scope current when
 * they begin and arm their hooks on it; rta__cancel_pending covers both.
 *
 * Rejected: declaring the engine's functions here and letting the linker
 * join them (what this replaced): a sched header promising a symbol only an
 * engine defines is the upward dependency the layers forbid, invisible to
 * an include check.
 */
#ifndef RTA_SCHED_STACKFUL_H
#define RTA_SCHED_STACKFUL_H

#include "engine.h"

/* The running task, if it is one that can be cancelled (a stackful one). */
static inline rta_task *rta__cancel_current(void)
{
    return rta__stackful_task();
}

/* Whether cancellation of t was requested (t may be NULL: false). Any thread. */
static inline bool rta__cancel_requested(const rta_task *t)
{
    const rta__engine *e = rta__rt.stackful;
    return t && e && e->cancel_requested(t);
}

/* Whether the code running here belongs to a task with a cancel request:
 * the stackless task whose scope is current (sched.h), else the stackful
 * task running. The waits of either kind ask this before they begin. */
static inline bool rta__cancel_pending(void)
{
    rta__cancel_scope *s = rta__scope_current();
    if (s)
        return rta__scope_requested(s);
    return rta__cancel_requested(rta__cancel_current());
}

/* Running task only: arm h (false: a request is there already, do not wait). */
static inline bool rta__cancel_arm(rta__cancel_hook *h)
{
    return rta__tls_state.stackful ? rta__rt.stackful->cancel_arm(h) : true;
}

static inline void rta__cancel_disarm(void)
{
    if (rta__tls_state.stackful)
        rta__rt.stackful->cancel_disarm();
}

static inline void rta__resident_pin(void)
{
    if (rta__tls_state.stackful)
        rta__rt.stackful->pin();
}

static inline void rta__resident_unpin(void)
{
    if (rta__tls_state.stackful)
        rta__rt.stackful->unpin();
}

#endif
