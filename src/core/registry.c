/*
 * Task registry (see registry.h): sharded intrusive lists.
 */
#include "registry.h"

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
                  unsigned (*lazy)(const rta__reg_entry *e, uintptr_t *out, bool *truncated),
                  _Atomic uintptr_t *frames, unsigned frames_cap)
{
    rta__reg_shard *s = shard_of_thread();
    e->task = t;
    e->lazy_frames = lazy;
    e->frames = frames;
    e->frames_cap = (uint8_t)(frames ? (frames_cap < RTA__REG_FRAMES ? frames_cap : RTA__REG_FRAMES) : 0);
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
    atomic_store_explicit(&e->wait_kind, RTA__REG_WAIT_OTHER, memory_order_relaxed);
    atomic_store_explicit(&e->wait_num, 0, memory_order_relaxed);
    atomic_store_explicit(&e->wait_op, NULL, memory_order_relaxed);
    atomic_store_explicit(&e->wait_due_ns, RTA__REG_NO_DUE, memory_order_relaxed);
    atomic_store_explicit(&e->wait_code, 0, memory_order_relaxed);
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
rta__reg_walk_fp_copy(uintptr_t fp, uintptr_t lo, uintptr_t hi, const char *data, uintptr_t *out,
                      bool *truncated)
{
    unsigned n = 0;
    *truncated = false;
    while (fp >= lo && fp + 16 <= hi && (fp & 7) == 0) {
        const volatile uintptr_t *rec = (const volatile uintptr_t *)(data + (fp - lo));
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

__attribute__((noinline)) unsigned rta__reg_walk_fp(uintptr_t fp, uintptr_t lo, uintptr_t hi, uintptr_t *out,
                                                    bool *truncated)
{
    return rta__reg_walk_fp_copy(fp, lo, hi, (const char *)lo, out, truncated);
}

void rta__reg_lock(rta__reg_entry *e)
{
    pthread_mutex_lock(&e->shard->lock);
}

void rta__reg_unlock(rta__reg_entry *e)
{
    pthread_mutex_unlock(&e->shard->lock);
}

static unsigned frames_recorded(const rta__reg_entry *ce, uintptr_t *out, bool *truncated)
{
    rta__reg_entry *e = (rta__reg_entry *)ce;
    for (int tries = 0; tries < 1000; tries++) {
        uint32_t s1 = atomic_load_explicit(&e->seq, memory_order_acquire);
        if (s1 & 1)
            continue; /* the task is between its two stores: a few instructions */
        unsigned n = atomic_load_explicit(&e->nframes, memory_order_relaxed);
        bool tr = atomic_load_explicit(&e->truncated, memory_order_relaxed);
        if (n > e->frames_cap)
            n = e->frames_cap;
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
    return frames_recorded(e, out, truncated);
}

void rta__reg_stamp(rta__reg_entry *e)
{
    atomic_store_explicit(&e->since_ns, rta__reg_now_coarse(), memory_order_relaxed);
}

__thread rta__reg_hint rta__reg_hint_tls __attribute__((tls_model("initial-exec")));

uint8_t rta__reg_take_hint(rta__reg_entry *e, const rta_awaiter_ops *ops, const void *self)
{
    rta__reg_hint *h = &rta__reg_hint_tls;
    uint8_t kind = RTA__REG_WAIT_OTHER;
    /* The value task is the awaiting machine's slot, valid while it
     * suspends (this runs on the suspending thread, before on_completed). */
    const void *src = NULL;
    if (ops == &rta_vtask_awaiter && self && rta_vtask_is_source(*(const rta_vtask *)self))
        src = (const void *)((const rta_vtask *)self)->obj_;
    if (h->self == self || (src && h->self == src)) {
        kind = h->kind;
        atomic_store_explicit(&e->wait_num, h->num, memory_order_relaxed);
        atomic_store_explicit(&e->wait_op, h->op, memory_order_relaxed);
        atomic_store_explicit(&e->wait_due_ns, h->due_ns, memory_order_relaxed);
        atomic_store_explicit(&e->wait_code, h->code, memory_order_relaxed);
    }
    h->self = NULL;
    return kind;
}

void rta__reg_wait_read(const rta__reg_entry *ce, rta__reg_wait *w)
{
    rta__reg_entry *e = (rta__reg_entry *)ce;
    memset(w, 0, sizeof *w);
    w->state = atomic_load_explicit(&e->state, memory_order_relaxed);
    if (w->state != RTA__REG_AWAITING && w->state != RTA__REG_SLEEPING)
        return;
    /* The rest belongs to that suspension (or, read while the task moves
     * on, partly to its next one: a diagnostic, never dereferenced). */
    w->kind = atomic_load_explicit(&e->wait_kind, memory_order_relaxed);
    w->ops = atomic_load_explicit(&e->await_ops, memory_order_relaxed);
    w->self = atomic_load_explicit(&e->await_self, memory_order_relaxed);
    if (w->state == RTA__REG_SLEEPING)
        w->kind = RTA__REG_WAIT_TIMER;
    if (w->kind == RTA__REG_WAIT_OTHER && w->self &&
        (w->ops == &rta_task_awaiter || w->ops == &rta_task_release_awaiter)) {
        /* Never *self: the awaited object may be freed by now (registry.h). */
        w->task_id = atomic_load_explicit(&e->await_task_id, memory_order_relaxed);
        w->promise = atomic_load_explicit(&e->await_is_promise, memory_order_relaxed);
    }
    w->num = atomic_load_explicit(&e->wait_num, memory_order_relaxed);
    w->op = atomic_load_explicit(&e->wait_op, memory_order_relaxed);
    w->due_ns = atomic_load_explicit(&e->wait_due_ns, memory_order_relaxed);
    w->code = atomic_load_explicit(&e->wait_code, memory_order_relaxed);
}

uint64_t rta__reg_wait_awaits(const rta__reg_wait *w)
{
    return w->state == RTA__REG_AWAITING ? w->task_id : 0;
}

/* " (deadline in N ms)" or " (deadline passed N ms ago)"; a timer's
 * " (timer due in N ms)" or " (timer overdue by N ms)" (it has not run yet). */
static void put_due(char *buf, size_t cap, bool timer, uint64_t due, uint64_t now)
{
    unsigned long long ms = (due >= now ? due - now : now - due) / 1000000u;
    if (due >= now)
        snprintf(buf, cap, timer ? " (timer due in %llu ms)" : " (deadline in %llu ms)", ms);
    else
        snprintf(buf, cap, timer ? " (timer overdue by %llu ms)" : " (deadline passed %llu ms ago)", ms);
}

void rta__reg_wait_format(const rta__reg_wait *w, uint64_t now_ns, char *buf, size_t cap)
{
    int k = 0;
    switch (w->state) {
    case RTA__REG_AWAITING:
        break;
    case RTA__REG_SLEEPING:
        k = snprintf(buf, cap, "sleeping");
        if (k >= 0 && (size_t)k < cap)
            put_due(buf + k, cap - (size_t)k, true, w->due_ns, now_ns);
        return;
    case RTA__REG_RUNNABLE:
        snprintf(buf, cap, "runnable");
        return;
    default:
        snprintf(buf, cap, "running");
        return;
    }
    switch (w->kind) {
    case RTA__REG_WAIT_IO:
        k = snprintf(buf, cap, "awaiting %s on fd %d", w->op ? w->op : "I/O", (int)w->num);
        if (w->due_ns != RTA__REG_NO_DUE && k >= 0 && (size_t)k < cap)
            put_due(buf + k, cap - (size_t)k, false, w->due_ns, now_ns);
        return;
    case RTA__REG_WAIT_GROUP:
        snprintf(buf, cap, "awaiting group %p (%d %s running when the wait began)", w->self, (int)w->num,
                 w->num == 1 ? "child" : "children");
        return;
    case RTA__REG_WAIT_JOB: {
        char name[128];
        if (!w->code || !rta__symbolize(w->code, name, sizeof name, NULL))
            snprintf(name, sizeof name, "%#lx", (unsigned long)w->code);
        snprintf(buf, cap, "awaiting blocking job %s", name);
        return;
    }
    default:
        break;
    }
    if (w->task_id) {
        snprintf(buf, cap, "awaiting %s %llu", w->promise ? "promise" : "task",
                 (unsigned long long)w->task_id);
        return;
    }
    if (w->ops == &rta_vtask_awaiter) {
        /* An async1 method's value task: a pooled one has no id (its
         * method is a value-task line of its own). */
        snprintf(buf, cap, "awaiting a value task");
        return;
    }
    snprintf(buf, cap, "awaiting an awaiter (ops %p, self %p)", w->ops, w->self);
}

static void describe(FILE *out, const char *indent, rta__reg_entry *e)
{
    char name[128] = "?", wait[160];
    if (!e->fn || !rta__symbolize((uintptr_t)e->fn, name, sizeof name, NULL))
        snprintf(name, sizeof name, "%p", e->fn);
    rta__reg_wait w;
    rta__reg_wait_read(e, &w);
    rta__reg_wait_format(&w, rta__reg_now_mono(), wait, sizeof wait);
    if (e->task)
        fprintf(out, "%stask %llu (%s) in %s: %s\n", indent, (unsigned long long)e->task->id, e->engine, name,
                wait);
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
