/*
 * The engine interface: how the scheduler (and the runtime's lifetime code)
 * reaches an execution engine without knowing which one it is.
 *
 * Layers (docs/design.md): src/core <- src/sched <- src/engine/NAME, src/io;
 * src/runtime (rta_init, rta_shutdown, method thunks) sits on top and hands
 * the scheduler the list of engines. Nothing in src/core or src/sched names
 * an engine, includes an engine header or links to an engine symbol: every
 * call from below into an engine goes through an rta__engine descriptor.
 *
 * Two kinds of engine:
 *  - *stackless* engines (cont, async1) queue plain rta__work nodes whose
 *    run function the loop calls; they need only the lifetime hooks;
 *  - one *stackful* engine (tasklet) owns stacks that the loop switches to.
 *    The loop recognises its work by run == engine->run and does
 *    enter / switch / leave from its own frame (rta__sched_switch_in is
 *    inline), so that no function entered before the switch returns after
 *    it: each side's return-stack predictor entries stay its own.
 *
 * Per-worker engine state lives behind rta__worker.engine[slot]. The slot is
 * written into engine->slot by rta__sched_start: the stackful engine always
 * gets RTA__ENGINE_SLOT_STACKFUL (0), read on every switch at a constant
 * offset; the others get 1, 2, ... in list order.
 *
 * Rejected: weak symbols (what this replaced): a missing engine was silently
 * skipped, the linker decided the layering, and nothing stopped the scheduler
 * from calling into whichever engine it liked. A function-pointer switch for
 * the stackful run as well (engine->run(w) doing the switch itself): one more
 * frame across every switch, see above.
 */
#ifndef RTA_SCHED_ENGINE_H
#define RTA_SCHED_ENGINE_H

#include "../arch/sanitizer.h"
#include "../arch/switch.h"
#include "sched.h"

/* Where the loop switches to when it enters a stackful engine's task: filled
 * by engine->enter. The sanitizer fields exist only in builds with that tool. */
typedef struct rta__switch_to {
    void *sp; /* the saved stack pointer to load (rta__ctx_switch) */
#if RTA__ASAN
    const void *stack_lo; /* the target stack's bounds, for ASan's fiber switch */
    size_t stack_size;
#endif
#if RTA__TSAN
    void *tsan_fiber;
#endif
} rta__switch_to;

typedef struct rta__engine {
    const char *name;
    /* Written by rta__sched_start: this engine's index in rta__worker.engine. */
    unsigned slot;

    /* ---- lifetime (every hook may be NULL) ---- */
    /* rta_init, first, before it takes its lock: fill in the settings of *c
     * that this engine owns and the caller left 0 (the environment, then the
     * defaults), and check them, with a line on stderr naming a bad one;
     * negative errno refuses the start. Changes no state (the start may yet
     * be refused: another runtime may be running). */
    int (*configure)(rta_config *c);
    /* rta_init, before any worker exists, with *c as configure left it: keep
     * the engine's settings (fixed until shutdown). Negative errno refuses
     * the start. */
    int (*init)(const rta_config *c);
    /* rta_shutdown, after every worker stopped. */
    void (*shutdown)(void);
    /* Before wk's thread starts; may store state in wk->engine[slot].
     * Negative errno fails rta_init; worker_fini still runs for wk. */
    int (*worker_init)(rta__worker *wk);
    /* After wk's thread ended (or failed to start): free wk->engine[slot]. */
    void (*worker_fini)(rta__worker *wk);
    /* On wk's thread: before its loop starts, after it ended. */
    void (*thread_enter)(rta__worker *wk);
    void (*thread_exit)(rta__worker *wk);

    /* rta_task_cancel (cancel.c) of an RTA__TASK_ENGINE or RTA__TASK_TASKLET
     * task, not done, that the caller holds: -1 it is not this engine's
     * task (the next engine is asked), else 1 the request was taken, 0 it
     * was not (a task that takes none). Any thread; must not suspend. May
     * be NULL (an engine whose tasks take no requests). */
    int (*cancel)(rta_task *t);

    /* ---- the stackful engine only (NULL for the others) ---- */
    /* The run function of its work nodes: the loop's test. It must also work
     * when called directly (enter, switch, leave in one frame). */
    void (*run)(rta__work *w);
    /* Scheduler context: make w's task ready to be switched to, fill *to,
     * return the task; NULL when it cannot run (the engine dealt with it). */
    void *(*enter)(rta__worker *wk, rta__work *w, rta__switch_to *to);
    /* Scheduler context, after the switch returned: the hand-off (queue a
     * yield, register with an awaiter, finish). task is what enter returned. */
    void (*leave)(rta__worker *wk, void *task);
    /* A throw that found no handler inside one of its tasks (core, error.c):
     * fault the running task at its root. Never returns. */
    void (*fault)(rta_error *e) __attribute__((noreturn));
    /* What the waits (src/io, sleeps) need of its tasks, reached through
     * src/sched/stackful.h: cancellation (the protocol is there) and
     * pinning. cancel_requested takes any task, not NULL; the others act on
     * the running task, and stackful.h calls them only while one runs. */
    bool (*cancel_requested)(const rta_task *t);
    bool (*cancel_arm)(rta__cancel_hook *h);
    void (*cancel_disarm)(void);
    void (*pin)(void);
    void (*unpin)(void);
} rta__engine;

#define RTA__ENGINE_SLOT_STACKFUL 0

static inline void *rta__engine_state(const rta__worker *wk, const rta__engine *e)
{
    return wk->engine[e->slot];
}

/* The loop's switch into a stackful task and back (scheduler context). */
static inline __attribute__((always_inline)) void rta__sched_switch_in(rta__worker *wk,
                                                                       const rta__switch_to *to)
{
    void *fake = NULL;
#if RTA__ASAN
    rta__asan_start_switch(&fake, to->stack_lo, to->stack_size);
#endif
#if RTA__TSAN
    rta__tsan_switch_to(to->tsan_fiber);
#endif
    rta__ctx_switch(&wk->sched_sp, to->sp);
    rta__asan_finish_switch(fake, NULL, NULL);
}

/* Starts nworkers workers running the given engines (at most
 * RTA__ENGINE_SLOTS, at most one stackful). Called by rta_init. */
RTA__HIDDEN int rta__sched_start(unsigned nworkers, rta__engine *const *engines, unsigned nengines);
/* Stops them; runs no engine's shutdown hook (rta_shutdown does, after). */
RTA__HIDDEN void rta__sched_stop(void);

#endif
