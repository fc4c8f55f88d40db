/*
 * Task registry (see registry.h): sharded intrusive lists.
 */
#include "registry.h"

#include <string.h>

#include "symbols.h"

#define SHARDS 32

typedef struct rta__reg_shard {
    pthread_mutex_t lock;
    rta__reg_entry *head;
    size_t len;
} __attribute__((aligned(64))) rta__reg_shard;

static rta__reg_shard shards[SHARDS] = {
#define S PTHREAD_MUTEX_INITIALIZER, NULL, 0
    [0 ... SHARDS - 1] = {S},
#undef S
};
static _Atomic unsigned next_shard;
static __thread rta__reg_shard *my_shard;

static rta__reg_shard *shard_of_thread(void)
{
    if (rta__unlikely(!my_shard))
        my_shard = &shards[atomic_fetch_add_explicit(&next_shard, 1, memory_order_relaxed) % SHARDS];
    return my_shard;
}

void rta__reg_add(rta__reg_entry *e, rta_task *t, const char *engine, const void *fn)
{
    rta__reg_shard *s = shard_of_thread();
    e->task = t;
    e->engine = engine;
    e->fn = fn;
    pthread_mutex_lock(&s->lock);
    e->shard = s;
    e->prev = NULL;
    e->next = s->head;
    if (s->head)
        s->head->prev = e;
    s->head = e;
    s->len++;
    pthread_mutex_unlock(&s->lock);
}

void rta__reg_remove(rta__reg_entry *e)
{
    rta__reg_shard *s = e->shard;
    pthread_mutex_lock(&s->lock);
    if (e->prev)
        e->prev->next = e->next;
    else
        s->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    s->len--;
    pthread_mutex_unlock(&s->lock);
    e->shard = NULL;
}

static void describe(FILE *out, const char *indent, rta__reg_entry *e)
{
    char name[128] = "?";
    if (!e->fn || !rta__symbolize((uintptr_t)e->fn, name, sizeof name, NULL))
        snprintf(name, sizeof name, "%p", e->fn);
    fprintf(out, "%stask %llu (%s) in %s: ", indent, (unsigned long long)e->task->id, e->engine,
            name);
    const rta_awaiter_ops *ops = atomic_load_explicit(&e->await_ops, memory_order_relaxed);
    void *self = atomic_load_explicit(&e->await_self, memory_order_relaxed);
    switch (atomic_load_explicit(&e->state, memory_order_relaxed)) {
    case RTA__REG_AWAITING:
        if ((ops == &rta_task_awaiter || ops == &rta_task_release_awaiter) && self) {
            const rta_task *w = self;
            fprintf(out, "awaiting %s %llu\n", w->kind == RTA__TASK_PROMISE ? "promise" : "task",
                    (unsigned long long)w->id);
        } else {
            fprintf(out, "awaiting an awaiter (ops %p, self %p)\n", (const void *)ops, self);
        }
        break;
    case RTA__REG_SLEEPING:
        fprintf(out, "sleeping\n");
        break;
    default:
        fprintf(out, "running or runnable\n");
        break;
    }
}

size_t rta__reg_report(FILE *out, const char *indent)
{
    size_t n = 0;
    for (unsigned i = 0; i < SHARDS; i++) {
        rta__reg_shard *s = &shards[i];
        pthread_mutex_lock(&s->lock);
        for (rta__reg_entry *e = s->head; e; e = e->next) {
            if (rta__task_done(e->task))
                continue;
            describe(out, indent, e);
            n++;
        }
        pthread_mutex_unlock(&s->lock);
    }
    return n;
}
