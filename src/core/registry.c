/*
 * Task registry (see registry.h): sharded intrusive lists.
 */
#include "registry.h"

#include <errno.h>
#include <string.h>

#include "symbols.h"

#define SHARDS RTA__REG_SHARDS

rta__reg_shard rta__reg_shards[SHARDS] = {
#define S PTHREAD_MUTEX_INITIALIZER, NULL, 0
    [0 ... SHARDS - 1] = {S},
#undef S
};
static _Atomic unsigned next_shard;
static __thread rta__reg_shard *my_shard;

static rta__reg_shard *shard_of_thread(void)
{
    if (rta__unlikely(!my_shard))
        my_shard = &rta__reg_shards[atomic_fetch_add_explicit(&next_shard, 1, memory_order_relaxed) % SHARDS];
    return my_shard;
}

void rta__reg_add(rta__reg_entry *e, rta_task *t, const char *engine, const void *fn, int pc_kind,
                  unsigned (*lazy)(const rta__reg_entry *e, uintptr_t *out, bool *truncated))
{
    rta__reg_shard *s = shard_of_thread();
    e->task = t;
    e->lazy_frames = lazy;
    atomic_store_explicit(&e->susp_fp, 0, memory_order_relaxed);
    e->engine = engine;
    e->fn = fn;
    e->pc_kind = (uint8_t)pc_kind;
    /* Engines recycle objects without clearing them: every field a reader
     * looks at is set before the entry is published (under the lock). */
    atomic_store_explicit(&e->seq, 0, memory_order_relaxed);
    atomic_store_explicit(&e->nframes, 0, memory_order_relaxed);
    atomic_store_explicit(&e->truncated, 0, memory_order_relaxed);
    atomic_store_explicit(&e->await_point, -1, memory_order_relaxed);
    atomic_store_explicit(&e->since_ns, rta__reg_now_coarse(), memory_order_relaxed);
    atomic_store_explicit(&e->state, RTA__REG_RUNNING, memory_order_relaxed);
    atomic_store_explicit(&e->await_ops, NULL, memory_order_relaxed);
    atomic_store_explicit(&e->await_self, NULL, memory_order_relaxed);
    atomic_store_explicit(&e->await_task_id, 0, memory_order_relaxed);
    atomic_store_explicit(&e->await_is_promise, 0, memory_order_relaxed);
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

/* The walk reads saved frame records of frames above the caller's, or of
 * another thread's suspended stack that may change under it: never a
 * redzone, but ASan cannot know, and TSan would see a race the caller
 * settles itself (it validates the result; docs/debugging.md). Stops at a
 * zero return address (a task's root, see src/arch), at the bounds, or
 * where frame pointers stop increasing. */
__attribute__((no_sanitize("address", "thread"), noinline)) unsigned
rta__reg_walk_fp(uintptr_t fp, uintptr_t lo, uintptr_t hi, uintptr_t *out, bool *truncated)
{
    unsigned n = 0;
    *truncated = false;
    while (fp >= lo && fp + 16 <= hi && (fp & 7) == 0) {
        const volatile uintptr_t *rec = (const volatile uintptr_t *)fp;
        uintptr_t next = rec[0], ret = rec[1];
        if (ret == 0)
            break;
        if (n == RTA__REG_FRAMES) {
            *truncated = true;
            break;
        }
        out[n++] = ret;
        if (next <= fp)
            break;
        fp = next;
    }
    return n;
}

void rta__reg_capture_fp(rta__reg_entry *e, uintptr_t fp, uintptr_t lo, uintptr_t hi)
{
    uintptr_t pcs[RTA__REG_FRAMES];
    bool more;
    unsigned n = rta__reg_walk_fp(fp, lo, hi, pcs, &more);
    rta__reg_frames_begin(e);
    for (unsigned i = 0; i < n; i++)
        atomic_store_explicit(&e->frames[i], pcs[i], memory_order_relaxed);
    rta__reg_frames_end(e, n, more);
}

unsigned rta__reg_frames_recorded(const rta__reg_entry *ce, uintptr_t *out, bool *truncated)
{
    rta__reg_entry *e = (rta__reg_entry *)ce;
    for (int tries = 0; tries < 1000; tries++) {
        uint32_t s1 = atomic_load_explicit(&e->seq, memory_order_acquire);
        if (s1 & 1)
            continue; /* the task is between its two stores: a few instructions */
        unsigned n = atomic_load_explicit(&e->nframes, memory_order_relaxed);
        bool tr = atomic_load_explicit(&e->truncated, memory_order_relaxed);
        if (n > RTA__REG_FRAMES)
            n = RTA__REG_FRAMES;
        for (unsigned i = 0; i < n; i++)
            out[i] = atomic_load_explicit(&e->frames[i], memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&e->seq, memory_order_relaxed) == s1) {
            *truncated = tr;
            return n;
        }
    }
    *truncated = false;
    return 0; /* the task keeps suspending: say nothing rather than a torn stack */
}

unsigned rta__reg_frames_read(const rta__reg_entry *e, uintptr_t *out, bool *truncated)
{
    if (e->lazy_frames)
        return e->lazy_frames(e, out, truncated);
    return rta__reg_frames_recorded(e, out, truncated);
}

#define DESCRIBERS 32
static struct {
    _Atomic(const rta_awaiter_ops *) ops;
    _Atomic(rta__reg_describe_fn) fn;
} describers[DESCRIBERS];
static pthread_mutex_t describers_lock = PTHREAD_MUTEX_INITIALIZER;

int rta__reg_describer(const rta_awaiter_ops *ops, rta__reg_describe_fn fn)
{
    int rc = -ENOSPC;
    pthread_mutex_lock(&describers_lock);
    for (unsigned i = 0; i < DESCRIBERS; i++) {
        const rta_awaiter_ops *o = atomic_load_explicit(&describers[i].ops, memory_order_relaxed);
        if (o == ops || o == NULL) {
            /* fn first: a reader that sees ops sees its fn (release/acquire). */
            atomic_store_explicit(&describers[i].fn, fn, memory_order_relaxed);
            atomic_store_explicit(&describers[i].ops, ops, memory_order_release);
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&describers_lock);
    return rc;
}

static rta__reg_describe_fn describer_of(const rta_awaiter_ops *ops)
{
    for (unsigned i = 0; i < DESCRIBERS; i++) {
        const rta_awaiter_ops *o = atomic_load_explicit(&describers[i].ops, memory_order_acquire);
        if (!o)
            break;
        if (o == ops)
            return atomic_load_explicit(&describers[i].fn, memory_order_relaxed);
    }
    return NULL;
}

void rta__reg_describe_wait(const rta__reg_entry *ce, char *buf, size_t cap)
{
    rta__reg_entry *e = (rta__reg_entry *)ce;
    const rta_awaiter_ops *ops = atomic_load_explicit(&e->await_ops, memory_order_relaxed);
    void *self = atomic_load_explicit(&e->await_self, memory_order_relaxed);
    switch (atomic_load_explicit(&e->state, memory_order_relaxed)) {
    case RTA__REG_AWAITING: {
        if ((ops == &rta_task_awaiter || ops == &rta_task_release_awaiter) && self) {
            bool promise = atomic_load_explicit(&e->await_is_promise, memory_order_relaxed);
            snprintf(buf, cap, "awaiting %s %llu", promise ? "promise" : "task",
                     (unsigned long long)atomic_load_explicit(&e->await_task_id, memory_order_relaxed));
            return;
        }
        rta__reg_describe_fn fn = ops ? describer_of(ops) : NULL;
        if (fn && self) {
            int k = snprintf(buf, cap, "awaiting ");
            if (k >= 0 && (size_t)k < cap)
                fn(self, buf + k, cap - (size_t)k);
            return;
        }
        snprintf(buf, cap, "awaiting an awaiter (ops %p, self %p)", (const void *)ops, self);
        return;
    }
    case RTA__REG_SLEEPING:
        snprintf(buf, cap, "sleeping (timer)");
        return;
    case RTA__REG_RUNNABLE:
        snprintf(buf, cap, "runnable");
        return;
    default:
        snprintf(buf, cap, "running");
        return;
    }
}

static void describe(FILE *out, const char *indent, rta__reg_entry *e)
{
    char name[128] = "?", wait[160];
    if (!e->fn || !rta__symbolize((uintptr_t)e->fn, name, sizeof name, NULL))
        snprintf(name, sizeof name, "%p", e->fn);
    rta__reg_describe_wait(e, wait, sizeof wait);
    if (e->task)
        fprintf(out, "%stask %llu (%s) in %s: %s\n", indent, (unsigned long long)e->task->id,
                e->engine, name, wait);
    else
        fprintf(out, "%svalue task (%s) in %s: %s\n", indent, e->engine, name, wait);
}

void rta__reg_foreach(void (*fn)(rta__reg_entry *e, void *arg), void *arg)
{
    for (unsigned i = 0; i < SHARDS; i++) {
        rta__reg_shard *s = &rta__reg_shards[i];
        pthread_mutex_lock(&s->lock);
        for (rta__reg_entry *e = s->head; e; e = e->next)
            fn(e, arg);
        pthread_mutex_unlock(&s->lock);
    }
}

size_t rta__reg_report(FILE *out, const char *indent)
{
    size_t n = 0;
    for (unsigned i = 0; i < SHARDS; i++) {
        rta__reg_shard *s = &rta__reg_shards[i];
        pthread_mutex_lock(&s->lock);
        for (rta__reg_entry *e = s->head; e; e = e->next) {
            if (e->task && rta__task_done(e->task))
                continue;
            describe(out, indent, e);
            n++;
        }
        pthread_mutex_unlock(&s->lock);
    }
    return n;
}
