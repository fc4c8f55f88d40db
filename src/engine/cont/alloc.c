/*
 * Continuation memory.
 *
 * Worker threads carve continuations from 64 KiB slabs and keep freed ones on
 * per-thread lists by size (8-byte classes): no header per object, no lock,
 * and a frame that suspends again reuses its own continuation anyway (the
 * macros), so the lists mostly serve first suspensions. A continuation may be
 * freed on another worker than the one that carved it (roots migrate); it
 * simply joins that worker's list. Slabs are owned globally and freed by
 * rta_shutdown, when no root is left (live == 0) and the workers have
 * dropped their lists (thread exit hook).
 *
 * Threads that are not workers (main, foreign threads, which only run the
 * synchronous start of a root) allocate with malloc and mark the object
 * RTA__CONT_F_HEAP; whoever frees it calls free(). A slab continuation freed
 * on such a thread (rare: an error path of a root started there) is dropped:
 * its slab is reclaimed at shutdown.
 */
#include "cont_internal.h"

#include <errno.h>
#include <string.h>

__thread rta__cont_tls_t rta__cont_tls __attribute__((tls_model("initial-exec")));
rta__cont_root rta__cont_no_root;
__thread rta__cont_thread rta__cont_thr
    __attribute__((tls_model("initial-exec"))) = {.root = &rta__cont_no_root};
rta__try rta__cont_t_;

typedef struct slab {
    struct slab *prev;
} slab;

static pthread_mutex_t slabs_lock = PTHREAD_MUTEX_INITIALIZER;
static slab *slabs; /* every slab carved so far, guarded by slabs_lock */

/* No memory for the continuation of a frame that is suspending for the first
 * time. Nothing has been registered yet (that happens once the chain is off
 * the stack), so the suspension is undone: the continuations its callees
 * already made (sentinel.next onwards; all fresh, so the chain ends in
 * NULL) are freed, the recorded operation dropped, and -ENOMEM is thrown
 * from this frame's await point, as if the await had failed: the frame's
 * own RTA_CONT_TRY, an outer frame's, or the root (the task faults). */
static __attribute__((noreturn)) void alloc_failed(const rta_cont_desc *d)
{
    rta_cont *k = rta__cont_tls.sentinel.next;
    rta__cont_tls.sentinel.next = NULL;
    rta__cont_free_chain(k);
    rta__cont_thr.root->op = RTA__CONT_OP_NONE;
    rta__cont_tls.yield = 0;
    rta_throw(-ENOMEM, "cont engine: no memory for a continuation of '%s' to suspend", d->name);
}

/* The slow half of rta__cont_alloc: a new slab, a non-worker thread or a
 * frame too big for the classes (malloc), no memory. Out of line and cold so
 * that the fast path (a free-list pop) is a leaf function that saves no
 * register: it runs for every first suspension of a frame (about two per
 * yielding leaf in bench_fib), and with the slab and malloc calls inline
 * gcc gave it a 12-instruction prologue and epilogue. */
static __attribute__((noinline, cold)) rta_cont *alloc_slow(const rta_cont_desc *d, size_t size)
{
    /* errno as the frame left it: an RTA_CONT_YIELD's is read by the root
     * after the chain is off the stack (root.c's hand_off), past this. */
    int saved_errno = errno;
    rta_cont *k;
    uintptr_t flags = 0;
    if (rta__tls_state.worker != NULL && size / 8 < RTA__CONT_CLASSES) {
        rta__cont_thread *ct = &rta__cont_thr;
        if ((size_t)(ct->bump_end - ct->bump) < size) {
            slab *s = malloc(RTA__CONT_SLAB);
            if (!s)
                alloc_failed(d);
            pthread_mutex_lock(&slabs_lock);
            s->prev = slabs;
            slabs = s;
            pthread_mutex_unlock(&slabs_lock);
            ct->bump = (char *)s + 16;
            ct->bump_end = (char *)s + RTA__CONT_SLAB;
        }
        k = (rta_cont *)(void *)ct->bump;
        ct->bump += size;
        /* Zeroed once, when carved: the frame check (points.c) scans every
         * word of a frame, padding and fields not yet assigned included;
         * fresh slab bytes would make it branch on uninitialised memory
         * (valgrind failed cont_basic 4 runs in 5). Recycled frames hold
         * only written bytes. */
        memset(k, 0, size);
    } else {
        k = calloc(1, size); /* zeroed: see above */
        if (!k)
            alloc_failed(d);
        flags = RTA__CONT_F_HEAP;
    }
    k->next = NULL;
    k->desc = (uintptr_t)d | flags;
    errno = saved_errno;
    return k;
}

rta_cont *rta__cont_alloc(const rta_cont_desc *d)
{
    size_t size = (sizeof(rta_cont) + d->frame_size + 7) & ~(size_t)7;
    size_t cls = size / 8;
    if (rta__likely(rta__tls_state.worker != NULL && cls < RTA__CONT_CLASSES)) {
        rta_cont *k = rta__cont_tls.free[cls];
        if (rta__likely(k != NULL)) {
            rta__cont_tls.free[cls] = k->next;
            k->next = NULL;
            k->desc = (uintptr_t)d;
            return k;
        }
    }
    return alloc_slow(d, size);
}

void rta__cont_free_slow(rta_cont *k)
{
    if (k->desc & RTA__CONT_F_HEAP)
        free(k);
    /* else: a slab continuation freed on a thread that is not a worker,
     * reclaimed with its slab at shutdown */
}

void rta__cont_free_chain(rta_cont *k)
{
    while (k) {
        rta_cont *n = k->next;
        rta__cont_free(k);
        k = n;
    }
}

/* Worker thread exit: the lists point into slabs that shutdown frees. */
static void cont_thread_exit(rta__worker *wk)
{
    (void)wk;
    rta__cont_thread *ct = &rta__cont_thr;
    memset(rta__cont_tls.free, 0, sizeof rta__cont_tls.free);
    ct->bump = ct->bump_end = NULL;
}

/* After the workers stopped and no root is live. */
static void cont_shutdown(void)
{
    pthread_mutex_lock(&slabs_lock);
    slab *s = slabs;
    slabs = NULL;
    pthread_mutex_unlock(&slabs_lock);
    while (s) {
        slab *p = s->prev;
        free(s);
        s = p;
    }
}

rta__engine rta__cont_engine = {
    .name = "cont",
    .cancel = rta__cont_cancel,
    .shutdown = cont_shutdown,
    .thread_exit = cont_thread_exit,
};
