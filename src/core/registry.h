/*
 * The task registry: every task of an engine that has suspended at least
 * once and not finished yet, so that the runtime can say which tasks are
 * stuck (rta_shutdown's grace report) and, later, dump them (issue 16:
 * rta_dump_tasks, the gdb extension).
 *
 * Cost: a task that never suspends never touches the registry (the common
 * spawn-and-finish path stays as it was). A task is entered at its first
 * suspension and removed when it finishes: one uncontended lock of its
 * shard each time. Shards are picked per thread (round robin on first use),
 * so workers rarely meet on a lock; the entry remembers its shard.
 *
 * What an entry holds is written by the task's engine with relaxed atomics
 * (the task is suspended or running elsewhere while a report reads it) and
 * is only ever a diagnostic: a reader may see a state one step old.
 */
#ifndef RTA_CORE_REGISTRY_H
#define RTA_CORE_REGISTRY_H

#include "internal.h"

enum rta__reg_state {
    RTA__REG_RUNNING = 0, /* running or runnable */
    RTA__REG_AWAITING,    /* suspended on an awaiter (await_ops/await_self) */
    RTA__REG_SLEEPING,    /* suspended on a timer */
};

struct rta__reg_shard;

typedef struct rta__reg_entry {
    struct rta__reg_entry *prev, *next; /* guarded by the shard's lock */
    struct rta__reg_shard *shard;       /* NULL while not registered */
    rta_task *task;
    const char *engine;                 /* "tasklet", "cont", "async1" */
    const void *fn;                     /* the task's root function (symbolized on report) */
    _Atomic uint8_t state;              /* enum rta__reg_state */
    _Atomic(const rta_awaiter_ops *) await_ops;
    _Atomic(void *) await_self;
} rta__reg_entry;

/* Enters e (not registered yet) for task t. */
RTA__HIDDEN void rta__reg_add(rta__reg_entry *e, rta_task *t, const char *engine, const void *fn);
/* Removes e if it was entered; any thread. */
static inline void rta__reg_remove_if(rta__reg_entry *e);
RTA__HIDDEN void rta__reg_remove(rta__reg_entry *e);

/* Records what a suspended task waits for (ops/self NULL for a sleep or a yield). */
static inline void rta__reg_note(rta__reg_entry *e, enum rta__reg_state st,
                                 const rta_awaiter_ops *ops, void *self)
{
    atomic_store_explicit(&e->await_ops, ops, memory_order_relaxed);
    atomic_store_explicit(&e->await_self, self, memory_order_relaxed);
    atomic_store_explicit(&e->state, (uint8_t)st, memory_order_relaxed);
}

static inline void rta__reg_remove_if(rta__reg_entry *e)
{
    if (e->shard)
        rta__reg_remove(e);
}

/* Writes one line per registered task whose task is still pending to out,
 * each starting with `indent`: id, engine, function name, state and what it
 * awaits. Returns the number of lines. */
RTA__HIDDEN size_t rta__reg_report(FILE *out, const char *indent);

#endif
