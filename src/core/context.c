/*
 * The execution context: async locals, the current sync context and the
 * current scheduler (rta/context.h; rules in docs/semantics.md).
 *
 * Async locals are a copy-on-write map per context. A map is immutable once
 * published and reference counted, so every place that captures the context
 * (a spawn, an async1 method's entry, an await) pays one atomic increment and
 * never copies. Setting a local builds a new map (O(n) in the keys set in the
 * context, typically a handful) and drops the context's reference to the old
 * one; whoever captured the old one keeps seeing it.
 *
 * Values are boxed and the boxes are counted too, because one value is shared
 * by every map derived from the map it was set in: a value's destructor runs
 * when the last map that holds it dies, never while a context can read it.
 *
 * Invariants:
 *  - a map's entries are sorted by key id, ids unique, n >= 1 (an empty
 *    context is the NULL map, so the common case costs nothing to capture);
 *  - map->refs counts rta__exec.locals slots and rta__ctx snapshots;
 *  - box->refs counts the maps that hold the box.
 * Key ids come from a process-wide counter and are never reused, so freeing a
 * key cannot make a later key see its stale values.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

struct rta_local {
    uint64_t id;
    void (*dtor)(void *);
};

typedef struct lbox {
    _Atomic uint32_t refs;
    void *value;
    void (*dtor)(void *);
} lbox;

typedef struct lentry {
    uint64_t id;
    lbox *box;
} lentry;

typedef struct lmap {
    _Atomic uint32_t refs;
    uint32_t n;
    lentry e[];
} lmap;

static _Atomic uint64_t next_key_id = 1;

/* ---- keys ------------------------------------------------------------------------ */

rta_local *rta_local_new(void (*dtor)(void *))
{
    rta_local *k = malloc(sizeof *k);
    if (!k) {
        errno = ENOMEM;
        return NULL;
    }
    k->id = atomic_fetch_add_explicit(&next_key_id, 1, memory_order_relaxed);
    k->dtor = dtor;
    return k;
}

void rta_local_free(rta_local *key)
{
    free(key);
}

/* ---- boxes and maps ----------------------------------------------------------------- */

static void box_release(lbox *b)
{
    /* acq_rel: the thread that runs the destructor sees every write made to
     * the value by threads that held the box before. */
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) {
        if (b->dtor)
            b->dtor(b->value);
        free(b);
    }
}

void rta__locals_retain(void *m)
{
    /* relaxed: a new reference is made from an existing one; publication of
     * the map's contents happened when it was installed. */
    atomic_fetch_add_explicit(&((lmap *)m)->refs, 1, memory_order_relaxed);
}

void rta__locals_release(void *m)
{
    lmap *map = m;
    if (!map)
        return;
    if (atomic_fetch_sub_explicit(&map->refs, 1, memory_order_acq_rel) == 1) {
        for (uint32_t i = 0; i < map->n; i++)
            box_release(map->e[i].box);
        free(map);
    }
}

/* Index of id in map, or -(insertion point) - 1. */
static long map_find(const lmap *map, uint64_t id)
{
    long lo = 0, hi = map ? (long)map->n : 0;
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        uint64_t m = map->e[mid].id;
        if (m == id)
            return mid;
        if (m < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -lo - 1;
}

void *rta_local_get(rta_local *key)
{
    const lmap *map = rta__cur_exec()->locals;
    long i = map_find(map, key->id);
    return i >= 0 ? map->e[i].box->value : NULL;
}

void rta_local_set(rta_local *key, void *value)
{
    rta__exec *x = rta__cur_exec();
    lmap *old = x->locals;
    long i = map_find(old, key->id);
    uint32_t n_old = old ? old->n : 0;
    if (i < 0 && value == NULL)
        return; /* clearing an unset key: nothing changes */
    uint32_t n_new = i >= 0 ? (value ? n_old : n_old - 1) : n_old + 1;
    long at = i >= 0 ? i : -i - 1; /* where the key's entry is or goes */

    lmap *map = NULL;
    lbox *box = NULL;
    if (n_new > 0) {
        map = malloc(sizeof *map + n_new * sizeof(lentry));
        if (value)
            box = malloc(sizeof *box);
        if (!map || (value && !box)) {
            free(map);
            free(box);
            if (value && key->dtor)
                key->dtor(value);
            rta_throw(-ENOMEM, "rta_local_set: no memory for the async-local map");
        }
        atomic_init(&map->refs, 1);
        map->n = n_new;
        if (box) {
            atomic_init(&box->refs, 1);
            box->value = value;
            box->dtor = key->dtor;
        }
        /* One pass in key order: the new box goes at `at` (inserted, or in
         * place of the key's old entry); every other entry is shared with the
         * old map, so one more map holds its box. */
        uint32_t w = 0;
        for (uint32_t r = 0; r <= n_old; r++) {
            if ((long)r == at && box)
                map->e[w++] = (lentry){key->id, box};
            if (r == n_old)
                break;
            if ((long)r == at && i >= 0)
                continue; /* the key's old entry: replaced or cleared */
            atomic_fetch_add_explicit(&old->e[r].box->refs, 1, memory_order_relaxed);
            map->e[w++] = old->e[r];
        }
        if (w != n_new)
            rta__fatal("rta_local_set: built %u entries, expected %u", w, n_new);
    }
    x->locals = map;
    rta__locals_release(old);
}

/* ---- sync context and scheduler ---------------------------------------------------- */

rta_sync_ctx *rta_sync_ctx_current(void)
{
    return rta__cur_exec()->sync_ctx;
}

rta_sync_ctx *rta_sync_ctx_set(rta_sync_ctx *ctx)
{
    rta__exec *x = rta__cur_exec();
    rta_sync_ctx *prev = x->sync_ctx;
    x->sync_ctx = ctx;
    return prev;
}

rta_scheduler *rta_scheduler_current(void)
{
    return rta__cur_exec()->scheduler;
}

rta_scheduler *rta_scheduler_set(rta_scheduler *sched)
{
    rta__exec *x = rta__cur_exec();
    rta_scheduler *prev = x->scheduler;
    x->scheduler = sched;
    return prev;
}

/* ---- resumption through a captured context ---------------------------------------- */

void rta__resume_post(uint8_t kind, void *target, void (*fn)(void *), void *arg)
{
    if (kind == RTA__RESUME_POST) {
        rta_sync_ctx *c = target;
        c->post(c, fn, arg);
    } else {
        rta_scheduler *q = target;
        q->queue(q, fn, arg);
    }
}

/* ---- rta_in_async ------------------------------------------------------------------- */

/* async2 code: a stackful task (a tasklet), or the frames of a cont root
 * (whose exec is marked async2). An async1 move-next resumed from its box
 * runs on a thread's own exec and is not async2 code (docs/semantics.md).
 * Written here, not in an engine, so that the core (rta_task_wait's refusal)
 * asks no layer above it. */
bool rta_in_async(void)
{
    const rta__exec *x = rta__tls_state.exec;
    return rta__tls_state.stackful != NULL || (x && x->async2);
}
