/*
 * The cont engine's internals: roots, the per-thread state, continuation
 * allocation. The public half (calling convention, lowering macros) is in
 * include/rta/cont.h; docs/cont.md has the design.
 */
#ifndef RTA_CONT_INTERNAL_H
#define RTA_CONT_INTERNAL_H

#include "../../core/registry.h"
#include "../../sched/engine.h"

#include <errno.h>

/* What the chain suspended on, recorded by the await helpers while the frames
 * unwind and acted on by the root once they are off the stack (the spec's
 * thread-local hand-off). */
enum rta__cont_op {
    RTA__CONT_OP_NONE = 0,
    RTA__CONT_OP_AWAIT, /* an awaiter: register, then get_result at resume */
    RTA__CONT_OP_YIELD, /* requeue at once */
    RTA__CONT_OP_SLEEP, /* arm a timer on a worker */
};

/* A root: the task a thunk returns, plus what runs and resumes its frames.
 * Kept small because every suspended task holds one (docs/cont.md). */
typedef struct rta__cont_root {
    rta_task task;  /* first: the task is the root; destroy frees it all */
    rta__work work; /* the dispatch, queued as free work (any worker) */
    union {         /* only one at a time: an await or a sleep */
        rta_waiter waiter;
        struct {
            rta__timer timer;
            /* Armed on scope while the timer is in sleep_wk's heap: a cancel
             * wakes the sleeper there (the owner withdraws the timer).
             * sleep_claim: the first of the timer and a cancel to exchange
             * it from 0 resumes the root. */
            rta__scope_hook sleep_hook;
            rta__worker *sleep_wk;
            _Atomic uint32_t sleep_claim;
        };
    };
    /* rta_task_cancel's requests and the hooks of the pending wait
     * (sched.h); rta__tls_state.cancel while the frames run. */
    rta__cancel_scope scope;
    rta__exec exec; /* try chain, async locals, sync context of the task */
    rta_cont *head; /* innermost suspended frame */
    rta_cont *cur;  /* frame being resumed; NULL while head's await delivers */
    union {
        struct {
            rta_cont_fn entry;
            void *arg;
        } start; /* before start */
        struct {
            const rta_awaiter_ops *ops;
            void *self;
        } await;              /* OP_AWAIT */
        uint64_t deadline_ns; /* OP_SLEEP */
    } u;
    uint8_t op;          /* enum rta__cont_op the root is suspended on */
    uint8_t started;     /* the entry function has been called */
    uint8_t inflight;    /* counted in rta__rt.live, holds the runtime's task ref */
    uint8_t resume_via;  /* enum rta__resume_kind of the current suspension (rta__resume_plan) */
    int saved_errno;     /* the task's errno at its await, given back at the resume */
    void *resume_target; /* its rta_sync_ctx * or rta_scheduler * */
    rta__reg_entry reg;  /* in the task registry from its first suspension */
    /* reg's recorded frames (RTA__REG_FRAMES of them), only where they
     * cannot be read lazily (frames.c: qemu-user, a seccomp filter), so
     * malloc'd at the registration: where they can, every root would carry
     * 128 bytes it never uses (a server's idle connection held 1,131 bytes
     * of which these were 128; issue 11 asks <= 1 KiB). NULL otherwise. */
    _Atomic uintptr_t *reg_frames;
} rta__cont_root;

/* RTA__CONT_CLASSES (rta/detail/cont.h): sizes up to that many words come
 * from slabs, through the free lists in rta__cont_tls. */
#define RTA__CONT_SLAB (64 * 1024)

/* Per-thread state the macros do not see. */
typedef struct rta__cont_thread {
    /* The root whose frames run on this thread (run_root sets it and puts
     * the previous one back: a root may start another with rta_cont_call).
     * The await helpers write the suspension's op and resume plan (op,
     * saved_errno, resume_via, resume_target) straight into it, so the
     * hand-off has nothing to copy; rta__cont_no_root outside any root. */
    struct rta__cont_root *root;
    const rta_awaiter_ops *ops; /* OP_AWAIT's awaiter, read by the hand-off */
    void *self;
    uint64_t sleep_ms;
    rta_error *susp_error; /* debug check: a frame held a stack pointer */
    uintptr_t root_sp;     /* frame address of the running root (stack top for checks) */
    int *errnop;           /* &errno of this thread once known (rta__cont_errnop) */
    char *bump, *bump_end; /* current slab */
} rta__cont_thread;

extern __thread rta__cont_thread rta__cont_thr __attribute__((tls_model("initial-exec")));
/* What rta__cont_thr.root points at while no root runs on the thread: the
 * await helpers' writes land there (a cont function called outside a root
 * is misuse, but its writes stay harmless). */
RTA__HIDDEN extern rta__cont_root rta__cont_no_root;

/* This thread's &errno, a TLS word after the first call: errno is saved at
 * every suspension and put back at every resumption, and glibc's
 * __errno_location is a call each time. */
static inline int *rta__cont_errnop(rta__cont_thread *ct)
{
    int *p = ct->errnop;
    if (rta__unlikely(p == NULL))
        p = ct->errnop = &errno;
    return p;
}

static inline const rta_cont_desc *rta__cont_desc(const rta_cont *k)
{
    return (const rta_cont_desc *)(k->desc & ~(uintptr_t)RTA__CONT_F_MASK);
}

/* rta__cont_free's rare half: free() for heap continuations, nothing for a
 * slab one freed off the workers (alloc.c). */
RTA__HIDDEN void rta__cont_free_slow(rta_cont *k);

/* Frees a continuation (to this worker's list, or free() for heap ones).
 * Inline: the dispatcher frees about two per yielding fib leaf, and the
 * list push is a few instructions beside a call. */
static inline void rta__cont_free(rta_cont *k)
{
    if (rta__likely(!(k->desc & RTA__CONT_F_HEAP) && rta__tls_state.worker != NULL)) {
        size_t cls = rta__cont_desc(k)->cls; /* == RTA__CONT_CLS(frame_size), precomputed */
        k->next = rta__cont_tls.free[cls];
        rta__cont_tls.free[cls] = k;
        return;
    }
    rta__cont_free_slow(k);
}

/* Frees a chain of continuations from k outwards. */
RTA__HIDDEN void rta__cont_free_chain(rta_cont *k);

/* Enters r in the task registry (its first suspension), with the lazy
 * frame reader where the process can read its own memory fault-safely
 * (frames.c), else for eager recording into r->reg_frames (allocated
 * here; without memory for it the entry records no frames). */
RTA__HIDDEN void rta__cont_reg_add(rta__cont_root *r);
/* Whether r's registered frames are read lazily: a lazy entry has no
 * frames[] (frames_cap 0), an eager one RTA__REG_FRAMES. Tested on
 * frames_cap, not on lazy_frames: every suspension and resume asks, and
 * frames_cap shares the cache line of the state they write, where
 * lazy_frames lies 80 bytes further, on a line nothing else of theirs
 * touches: one more cache miss per resume of a cold root (lifetime cont,
 * 10,000 parked tasks: resume p50 150 ns with the read of lazy_frames,
 * 40-50 ns without it and with make_ready's prefetch). A root not yet
 * registered (before its first suspension) holds
 * RTA__CONT_REG_UNREGISTERED there (root_new), so it is not lazy: its
 * first dispatch must not bracket the registry's sequence count, which
 * rta__reg_add resets in the middle of that dispatch. */
#define RTA__CONT_REG_UNREGISTERED UINT8_MAX
static inline bool rta__cont_frames_lazy_of(const rta__cont_root *r)
{
    return r->reg.frames_cap == 0;
}
/* Eager recording of r's chain into its entry's frames[] (the fallback:
 * !rta__cont_frames_lazy_of(r)). */
RTA__HIDDEN void rta__cont_record_frames(rta__cont_root *r);
/* frames.c's probe result (0 unknown, 1 lazy, -1 eager); tests force -1. */
RTA__HIDDEN extern _Atomic int rta__cont_frames_lazy;

/* The engine's cancel hook (engine.h): requests r's scope if t is a root. */
RTA__HIDDEN int rta__cont_cancel(rta_task *t);

/* The engine's descriptor (src/sched/engine.h): its lifetime hooks. */
RTA__HIDDEN extern rta__engine rta__cont_engine;

#endif
