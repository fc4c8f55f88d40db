/*
 * Debug mode: catching use after release and double release of task handles.
 *
 * A task whose last reference goes is poisoned (refs = RTA__POISON, every
 * other field kept, so that its destroy function can still run later) and
 * parked in a FIFO quarantine of QUARANTINE_MAX entries; only the oldest
 * entry is really destroyed when a new one arrives. Every public call that
 * takes a handle checks the poison first (rta__task_check_live), so a stale
 * handle is caught at the call that uses it, naming that call and the task
 * id, for as long as the task sits in the quarantine. Off by default in
 * release builds: the quarantine delays reuse and costs a lock per release.
 */
#include "internal.h"

#include <string.h>

#ifndef NDEBUG
#define DEBUG_DEFAULT 1
#elif defined(RTA_DEBUG) && RTA_DEBUG
#define DEBUG_DEFAULT 1
#else
#define DEBUG_DEFAULT 0
#endif

_Atomic int rta__debug_state = -1;

bool rta__debug_read(void)
{
    const char *s = getenv("RTA_DEBUG");
    int on = DEBUG_DEFAULT;
    if (s && *s)
        on = strcmp(s, "0") != 0;
    atomic_store_explicit(&rta__debug_state, on, memory_order_relaxed);
    return on;
}

void rta__task_stale(const rta_task *t, const char *call)
{
    rta__fatal("%s: task %llu used after its last reference was released (double release or "
               "use after release; the handle is stale)",
               call, (unsigned long long)t->id);
}

#define QUARANTINE_MAX 4096

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static rta_task *q_items[QUARANTINE_MAX];
static size_t q_head, q_len;

static void destroy_now(rta_task *t)
{
    if (t->destroy)
        t->destroy(t);
    else
        free(t);
}

void rta__quarantine_put(rta_task *t)
{
    atomic_store_explicit(&t->refs, RTA__POISON, memory_order_relaxed);
    rta_task *evict = NULL;
    pthread_mutex_lock(&q_lock);
    if (q_len == QUARANTINE_MAX) {
        evict = q_items[q_head];
        q_head = (q_head + 1) % QUARANTINE_MAX;
        q_len--;
    }
    q_items[(q_head + q_len) % QUARANTINE_MAX] = t;
    q_len++;
    pthread_mutex_unlock(&q_lock);
    if (evict)
        destroy_now(evict);
}

void rta__quarantine_drain(void)
{
    for (;;) {
        pthread_mutex_lock(&q_lock);
        rta_task *t = NULL;
        if (q_len) {
            t = q_items[q_head];
            q_head = (q_head + 1) % QUARANTINE_MAX;
            q_len--;
        }
        pthread_mutex_unlock(&q_lock);
        if (!t)
            return;
        destroy_now(t);
    }
}
