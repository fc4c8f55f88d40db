/*
 * Per-thread, per-method state: pooled boxes and statistics counters.
 *
 * Each thread has a small direct-mapped table of entries keyed by method.
 * An entry holds that method's idle boxes on this thread (at most the
 * method's pool size: the per-method bound is per thread, like .NET's
 * per-core caches, so renting and returning never take a lock or an atomic
 * read-modify-write) and its counters. Counters are written by the owner
 * thread only (relaxed store of load + 1, no lock prefix) and read by anyone:
 * rta_async1_method_stats sums the entries of every registered thread plus
 * the totals of entries already flushed.
 *
 * An entry is flushed (boxes freed, counters added to the method's totals)
 * when another method takes its slot, when its thread exits (worker hook or
 * the pthread key destructor) and, for the thread calling rta_shutdown, then.
 */
#include "async1.h"

#include <errno.h>
#include <string.h>

#define TC_SLOTS 32

typedef struct tc_entry {
    rta_async1_method *m;
    rta__a1_box *free; /* idle boxes, linked by next_free */
    uint32_t nfree;
    uint64_t n[A1_NSTATS]; /* owner writes, anyone reads (atomic builtins) */
} tc_entry;

typedef struct tcache {
    tc_entry e[TC_SLOTS];
    struct tcache *next, **pprev; /* registry link */
    bool registered;
} tcache;

static __thread tcache tc;
/* start_task's unused box (async1.h): freed with tc, whose owner it shares. */
__thread rta__a1_spare_box rta__a1_spare;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static tcache *registry;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;

static void tc_flush_all(tcache *c);

static void key_destructor(void *p)
{
    tc_flush_all(p);
}

static void key_make(void)
{
    if (pthread_key_create(&key, key_destructor) != 0)
        rta__fatal("async1: pthread_key_create failed");
}

static void tc_register(void)
{
    pthread_once(&key_once, key_make);
    pthread_mutex_lock(&registry_lock);
    tc.next = registry;
    tc.pprev = &registry;
    if (registry)
        registry->pprev = &tc.next;
    registry = &tc;
    tc.registered = true;
    pthread_mutex_unlock(&registry_lock);
    pthread_setspecific(key, &tc);
}

static inline void bump(tc_entry *e, int which)
{
    __atomic_store_n(&e->n[which], __atomic_load_n(&e->n[which], __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

/* Frees an entry's boxes and moves its counters to the method's totals.
 * Under registry_lock, so that a reader never counts them twice or not at all. */
static void entry_flush_locked(tc_entry *e)
{
    if (!e->m)
        return;
    for (int i = 0; i < A1_NSTATS; i++) {
        __atomic_fetch_add(&e->m->totals[i], e->n[i], __ATOMIC_RELAXED);
        __atomic_store_n(&e->n[i], 0, __ATOMIC_RELAXED);
    }
    rta__a1_box *b = e->free;
    while (b) {
        rta__a1_box *n = b->next_free;
        rta_vtask_core_fini(&b->u.p.core);
        free(b);
        b = n;
    }
    e->free = NULL;
    e->nfree = 0;
    __atomic_store_n(&e->m, NULL, __ATOMIC_RELAXED);
}

static tc_entry *entry_for(rta_async1_method *m)
{
    if (rta__unlikely(!tc.registered))
        tc_register();
    tc_entry *e = &tc.e[((uintptr_t)m >> 4) % TC_SLOTS];
    if (rta__likely(e->m == m))
        return e;
    if (e->m) {
        pthread_mutex_lock(&registry_lock);
        entry_flush_locked(e);
        pthread_mutex_unlock(&registry_lock);
    }
    __atomic_store_n(&e->m, m, __ATOMIC_RELAXED);
    return e;
}

static void tc_flush_all(tcache *c)
{
    pthread_mutex_lock(&registry_lock);
    /* Always the calling thread's own cache (its key destructor, or
     * rta__a1_thread_flush), so the spare is this thread's. */
    free(rta__a1_spare.box);
    rta__a1_spare.box = NULL;
    for (int i = 0; i < TC_SLOTS; i++)
        entry_flush_locked(&c->e[i]);
    if (c->registered) {
        *c->pprev = c->next;
        if (c->next)
            c->next->pprev = c->pprev;
        c->registered = false;
    }
    pthread_mutex_unlock(&registry_lock);
}

void rta__a1_count(rta_async1_method *m, int which)
{
    bump(entry_for(m), which);
}

rta__a1_box *rta__a1_pool_rent(rta_async1_method *m, size_t bytes)
{
    tc_entry *e = entry_for(m);
    rta__a1_box *b = e->free;
    if (b) {
        e->free = b->next_free;
        e->nfree--;
        bump(e, A1_POOL_HITS);
        return b;
    }
    bump(e, A1_POOL_MISSES);
    /* Every box of a method has the method's size (one state-machine type). */
    b = malloc(bytes);
    if (!b)
        return NULL;
    b->pooled = true;
    b->u.p.src.ops = &rta__a1_box_source_ops;
    rta_vtask_core_init(&b->u.p.core);
    return b;
}

void rta__a1_pool_return(rta__a1_box *b)
{
    rta_async1_method *m = b->method;
    tc_entry *e = entry_for(m);
    unsigned cap = m->arg ? m->arg : RTA_ASYNC1_SWITCH_POOL;
    /* The error (if any) was copied out; drop it now rather than at reuse. */
    rta_error_free(b->u.p.core.error);
    b->u.p.core.error = NULL;
    if (e->nfree < cap) {
        b->next_free = e->free;
        e->free = b;
        e->nfree++;
        bump(e, A1_POOL_RETURNS);
        return;
    }
    bump(e, A1_POOL_DROPS);
    rta_vtask_core_fini(&b->u.p.core);
    free(b);
}

rta__a1_box *rta__a1_start_box_alloc(size_t bytes, size_t *cap)
{
    /* Registered, so that the thread's exit (worker hook or key destructor)
     * or rta_shutdown frees the spare this box may become. */
    if (rta__unlikely(!tc.registered))
        tc_register();
    *cap = bytes;
    return malloc(bytes);
}

void rta_async1_method_stats(const rta_async1_method *m, rta_async1_stats *out)
{
    uint64_t n[A1_NSTATS];
    pthread_mutex_lock(&registry_lock);
    for (int i = 0; i < A1_NSTATS; i++)
        n[i] = __atomic_load_n(&m->totals[i], __ATOMIC_RELAXED);
    for (tcache *c = registry; c; c = c->next)
        for (int s = 0; s < TC_SLOTS; s++)
            if (__atomic_load_n(&c->e[s].m, __ATOMIC_RELAXED) == m)
                for (int i = 0; i < A1_NSTATS; i++)
                    n[i] += __atomic_load_n(&c->e[s].n[i], __ATOMIC_RELAXED);
    pthread_mutex_unlock(&registry_lock);
    *out = (rta_async1_stats){n[A1_HEAP_MOVES], n[A1_POOL_HITS], n[A1_POOL_MISSES], n[A1_POOL_RETURNS],
                              n[A1_POOL_DROPS]};
}

/* Engine hooks (src/sched/engine.h): a thread's cache is flushed as the
 * thread stops being a worker. */
static void thread_flush(void)
{
    if (tc.registered) {
        tc_flush_all(&tc);
        pthread_setspecific(key, NULL);
    }
}

static void async1_thread_exit(rta__worker *wk)
{
    (void)wk;
    thread_flush();
}

static void async1_shutdown(void)
{
    /* The workers flushed theirs; the thread calling rta_shutdown flushes its own. */
    thread_flush();
}

rta__engine rta__async1_engine = {
    .name = "async1",
    .cancel = rta__async1_cancel,
    .shutdown = async1_shutdown,
    .thread_exit = async1_thread_exit,
};

/* ---- builder checks and the process-wide switch ---------------------------------------------- */

bool rta_async1_pooling_switch(void)
{
    static int cached = -1; /* read once: a process-wide switch does not change */
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (rta__unlikely(v < 0)) {
        const char *s = getenv("RTA_VALUETASK_POOLING");
        v = s && strcmp(s, "1") == 0;
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v;
}

void rta__async1_check(rta_async1_method *m)
{
    const rta_async1_builder_ops *o = m->ops;
    const char *why = NULL;
    if (!o)
        why = "it has no builder";
    else if (!o->create || !o->start || !o->set_result || !o->set_error || !o->await_on_completed ||
             !o->await_unsafe_on_completed || !o->task)
        why = "its builder lacks one of create/start/set_result/set_error/await_on_completed/"
              "await_unsafe_on_completed/task";
    else if (o->task_kind != m->ret_kind)
        why = "its builder's task type is not the method's return type";
    else if (o->arg_max == 0 && m->arg != 0)
        why = "its builder takes no argument";
    else if (o->arg_max != 0 && (m->arg == 0 || m->arg > o->arg_max))
        why = "its builder argument (pool size) is out of range";
    if (why) {
        __atomic_store_n(&m->checked, -1, __ATOMIC_RELAXED);
        rta_throw(RTA_EBUILDER, "async1 method '%s': %s (builder '%s')", m->name, why,
                  o && o->name ? o->name : "?");
    }
    __atomic_store_n(&m->checked, 1, __ATOMIC_RELAXED);
}
