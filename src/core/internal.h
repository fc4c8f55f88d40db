/*
 * Core internals shared by every subsystem: the task object, the per-thread
 * state, error plumbing. Nothing here is visible to users; everything that
 * is not static is named rta__*.
 */
#ifndef RTA_CORE_INTERNAL_H
#define RTA_CORE_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <rta.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define RTA__HIDDEN __attribute__((visibility("hidden")))
#define rta__likely(x) __builtin_expect(!!(x), 1)
#define rta__unlikely(x) __builtin_expect(!!(x), 0)
#define rta__container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

/* Prints a message naming the broken invariant and aborts. For bugs in the
 * runtime itself, never for user errors (those are thrown). */
RTA__HIDDEN __attribute__((noreturn, format(printf, 1, 2))) void rta__fatal(const char *fmt, ...);

/* An invariant of the runtime, checked in debug builds (no NDEBUG, or
 * -DRTA_DEBUG=ON) and compiled out otherwise (the expression is not
 * evaluated then: no side effects in it). A failure names file, line and
 * the expression through rta__fatal. */
#if !defined(NDEBUG) || defined(RTA_DEBUG)
#define RTA__ASSERT(x)                                                                                       \
    (rta__likely(x) ? (void)0 : rta__fatal("%s:%d: invariant broken: %s", __FILE__, __LINE__, #x))
#else
#define RTA__ASSERT(x) ((void)sizeof(!(x)))
#endif

/* ---- tasks ---------------------------------------------------------------- */

enum rta__task_kind {
    RTA__TASK_PROMISE = 0,
    RTA__TASK_TASKLET,
    RTA__TASK_COMBINATOR,
    RTA__TASK_ENGINE, /* owned by another engine (async1, cont) */
};

/* Status values beyond rta_status: a completer owns the task while it writes
 * the result (only one completer can win the CAS from PENDING). */
#define RTA__COMPLETING 4u

struct rta_task {
    _Atomic uint32_t refs;
    _Atomic uint32_t status; /* rta_status or RTA__COMPLETING */
    uint32_t kind;           /* enum rta__task_kind */
    _Atomic uint32_t flags;  /* RTA__TF_* */
    uint64_t id;
    int64_t value;    /* valid once status == SUCCEEDED (acquire) */
    rta_error *error; /* owned; valid once status == FAULTED */
    /* Lock-free stack of waiters; RTA__WAITERS_DONE once completed, after
     * which nobody may push. Completion takes the whole list with one
     * exchange, so each waiter runs exactly once. */
    _Atomic(rta_waiter *) waiters;
    void (*destroy)(rta_task *t); /* frees the enclosing object; NULL = free(t) */
};

#define RTA__WAITERS_DONE ((rta_waiter *)(uintptr_t)1)

/* flags: someone read the task's error (an await, a wait with err, a
 * combinator, rta_task_error). A faulted task released for the last time
 * without it is an unobserved fault and is reported (rta__unobserved_fault). */
#define RTA__TF_OBSERVED 1u

/* The error of a faulted task, marked as observed. */
static inline rta_error *rta__task_take_view(rta_task *t)
{
    if (!(atomic_load_explicit(&t->flags, memory_order_relaxed) & RTA__TF_OBSERVED))
        atomic_store_explicit(&t->flags, RTA__TF_OBSERVED, memory_order_relaxed);
    return t->error;
}

/* Reports a fault nobody observed: the rta_config hook if one is set, else
 * a line on stderr with the error's code and message. */
RTA__HIDDEN void rta__unobserved_fault(uint64_t id, const rta_error *e);
/* rta_init installs the configured hook (NULL: the stderr writer). */
RTA__HIDDEN void rta__set_unobserved_hook(void (*fn)(uint64_t, const rta_error *, void *), void *data);

/* A notice (notice.c): the rta_config hook if one is set, else a line on
 * stderr. fmt gives the line without its newline. */
RTA__HIDDEN void rta__notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
RTA__HIDDEN void rta__set_notice_hook(void (*fn)(const char *, void *), void *data);

/* Reads environment variable name as a size ("123", "64K", "1M", "2G";
 * env.c): 1 with *out when set, 0 when unset or empty, -EINVAL (after a
 * line on stderr naming the variable) when it is not a size. */
RTA__HIDDEN int rta__env_size(const char *name, size_t *out);

/* ---- debug mode (src/core/debug.c) ------------------------------------------ */

/* On when the library was built without NDEBUG or with -DRTA_DEBUG=ON, or
 * when env RTA_DEBUG=1 (RTA_DEBUG=0 turns it off); read once. In debug mode
 * a task whose last reference is released is poisoned (refs = RTA__POISON)
 * and kept in a bounded quarantine instead of being destroyed at once, so
 * that a later call with the stale handle finds the poison and aborts naming
 * that call and the task id. */
extern _Atomic int rta__debug_state; /* -1 not read yet, 0 off, 1 on */
RTA__HIDDEN bool rta__debug_read(void);
static inline bool rta__debug_on(void)
{
    int d = atomic_load_explicit(&rta__debug_state, memory_order_relaxed);
    return rta__likely(d >= 0) ? d != 0 : rta__debug_read();
}

#define RTA__POISON 0xDEADDEADu

RTA__HIDDEN __attribute__((noreturn)) void rta__task_stale(const rta_task *t, const char *call);

/* Outside debug mode nothing is ever poisoned, so this is one compare on a
 * word the caller is about to touch anyway. */
static inline void rta__task_check_live(const rta_task *t, const char *call)
{
    if (rta__unlikely(atomic_load_explicit(&((rta_task *)t)->refs, memory_order_relaxed) == RTA__POISON))
        rta__task_stale(t, call);
}

/* Debug mode: takes t (refs already 0) into the quarantine, poisoned. */
RTA__HIDDEN void rta__quarantine_put(rta_task *t);
/* Destroys every quarantined task (rta_shutdown, before the engines stop). */
RTA__HIDDEN void rta__quarantine_drain(void);

/* Throws -EINVAL naming `call`: a NULL handle where a task was needed. */
RTA__HIDDEN __attribute__((noreturn)) void rta__throw_null_task(const char *call);

/* Initialises the header of a task embedded in a bigger object, with `refs`
 * references. */
RTA__HIDDEN void rta__task_init(rta_task *t, enum rta__task_kind kind, uint32_t refs,
                                void (*destroy)(rta_task *));
/* Completes t once: stores the result, then runs every waiter. Takes ownership
 * of e. Returns false (freeing e) if t was already complete. */
RTA__HIDDEN bool rta__task_complete(rta_task *t, rta_status st, int64_t value, rta_error *e);

/* The same for a task that only its owner can complete (a tasklet's result
 * is set once, by its worker): no CAS needed to decide who completes. */
RTA__HIDDEN void rta__task_complete_owned(rta_task *t, rta_status st, int64_t value, rta_error *e);

static inline bool rta__task_done(const rta_task *t)
{
    uint32_t s = atomic_load_explicit(&((rta_task *)t)->status, memory_order_acquire);
    return s != RTA_PENDING && s != RTA__COMPLETING;
}

/* The outcome of a completed task as an await sees it: returns the value or
 * throws (a copy of) the error, extending its trace with the awaiting frames. */
RTA__HIDDEN int64_t rta__task_result_or_throw(rta_task *t);

/* The same, consuming the caller's reference to t on both paths (the
 * *_release awaits): returns the value or throws, t released either way.
 * call names the await in the NULL-handle message. */
RTA__HIDDEN int64_t rta__task_consume(rta_task *t, const char *call);

/* The outcome a task ends with when its body ends with error e: none is
 * success, -ECANCELED is cancellation (the spec's OperationCanceled rule),
 * anything else a fault. The one place that mapping is written; every
 * engine completes its tasks through it. */
static inline rta_status rta__error_status(const rta_error *e)
{
    if (!e)
        return RTA_SUCCEEDED;
    return rta_error_code(e) == -ECANCELED ? RTA_CANCELED : RTA_FAULTED;
}

/* A spin-wait pause (used by core waits and the scheduler's idle spin). */
static inline void rta__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#else
    __asm__ volatile("" ::: "memory");
#endif
}

/* ---- per-thread execution state --------------------------------------------- */

/* What "the current context" means at any instant: a task's own state while
 * it runs, the thread's own state otherwise. Switching tasks swaps one
 * pointer (rta__tls.exec). Issue-4 context state (async locals, sync context,
 * scheduler) also lives here so that every engine saves and restores it the
 * same way. */
typedef struct rta__exec {
    rta__try *try_top; /* innermost live handler record */
    int handler_depth; /* > 0 while a CATCH/FINALLY handler body runs */
    /* Set in the exec of a task whose code is async2 without being a stackful
     * one (a cont root): rta_in_async() is true while it is current. Stackful
     * tasks are recognised by rta__tls.stackful instead. Beside
     * handler_depth, in what was its padding: every tasklet carries an exec,
     * 8 bytes less per parked tasklet (issue 21); locals, sync_ctx and
     * scheduler stay where rta__a1_start_mn reads them (async1/machine.c). */
    int async2;
    void *locals;    /* async-local map (see src/core/context.c) */
    void *sync_ctx;  /* current rta_sync_ctx, if any */
    void *scheduler; /* current user rta_scheduler, if any */
    /* Stack bounds for frame-pointer walks (traces): [lo, hi). */
    uintptr_t stack_lo, stack_hi;
} rta__exec;

struct rta__worker;

typedef struct rta__tls {
    rta__exec *exec;            /* never NULL after rta__tls_get() */
    rta__exec own;              /* the thread's own state */
    struct rta__worker *worker; /* set on worker threads */
    /* The task of the stackful engine (src/sched/engine.h) running on this
     * thread, on a stack that engine owns; NULL when none runs. Opaque here:
     * the engine sets it and alone knows its type. Invariant every such
     * engine keeps: the object starts with its rta_task (rta__stackful_task).
     * Anyone may test it for NULL ("is a stackful task running here?"). */
    void *stackful;
    /* For that engine too, here so that its yield reaches every per-thread
     * word from one TLS base (a second TLS variable cost a register and its
     * save per yield, docs/tasklet.md): the thread's errno address (set once
     * on a worker thread), and a task whose hand-off waits for the next
     * switch on this thread (opaque here as well). */
    int *stackful_errnop;
    void *stackful_deferred;
    /* The cancel scope (src/sched/sched.h) of the stackless task whose code
     * runs on this thread: a cont root's (set by its run) or an async1
     * task's (set while its methods run), or the detached scope of code
     * that takes no requests (an async1 value task rta_spawn started);
     * NULL when none (a tasklet's requests are its own flag). Opaque here.
     * The waits record it when they begin, so that rta_task_cancel ends them. */
    void *cancel;
} rta__tls;

extern __thread rta__tls rta__tls_state __attribute__((tls_model("initial-exec")));

/* The running stackful task's handle, or NULL (see rta__tls.stackful). */
static inline rta_task *rta__stackful_task(void)
{
    return (rta_task *)rta__tls_state.stackful;
}

static inline rta__exec *rta__cur_exec(void)
{
    rta__tls *t = &rta__tls_state;
    if (rta__unlikely(t->exec == NULL))
        t->exec = &t->own;
    return t->exec;
}

/* ---- handler records ---------------------------------------------------------- */

/* rta__try.state (src/core/error.c). */
enum { RTA__TRY_BODY = 1, RTA__TRY_DONE, RTA__TRY_HANDLER };
/* rta__try.kind of a record whose jb holds a __builtin_setjmp buffer, not
 * setjmp's (0 for other records until a handler runs: RTA__CATCH_KIND,
 * RTA__FINALLY_KIND). Only the cont dispatcher's record (src/engine/cont/
 * root.c) and the async1 move-next's (src/engine/async1/machine.c), which
 * never reach rta__try_handler, are armed that way. */
#define RTA__TRY_KIND_BUILTIN_JB 16

/* A record the runtime arms on a hot path may be set with __builtin_setjmp
 * (kind RTA__TRY_KIND_BUILTIN_JB): it saves the frame and stack pointers and a label,
 * a few instructions, where glibc's _setjmp and __sigjmp_save take about 34
 * (the cont dispatcher arms one per dispatch: docs/cont.md). rta_throw_error
 * then leaves by __builtin_longjmp; the receiving function reloads every
 * register it needs from its frame. Only on x86-64 (gcc and clang lower it
 * there) and not under ASan/TSan, whose setjmp/longjmp interceptors keep
 * their shadow stacks right and would not see the builtin pair. */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) &&                \
    !__has_feature(address_sanitizer) && !__has_feature(thread_sanitizer)
#define RTA__BUILTIN_SJLJ 1
#else
#define RTA__BUILTIN_SJLJ 0
#endif

/* rta__try_push for a record of exec x, inline (x is known: no TLS read). */
static inline void rta__try_push_on(rta__exec *x, rta__try *t, const char *func)
{
    t->prev = x->try_top;
    t->err = NULL;
    t->func = func;
    t->state = RTA__TRY_BODY;
    t->kind = 0;
    x->try_top = t;
}

/* ---- context snapshots (src/core/context.c) ----------------------------------- */

/* The context an engine captures at a boundary (spawn, an async1 method's
 * entry, an await that resumes elsewhere) and installs later. `locals` is a
 * counted reference to an immutable map: capturing costs one increment, and
 * a raw copy of x->locals without rta__ctx_capture is a dangling pointer as
 * soon as the context's owner sets a local (the set releases the old map).
 * sync_ctx and scheduler are user-owned (see rta/context.h) and not counted. */
typedef struct rta__ctx {
    void *locals, *sync_ctx, *scheduler;
} rta__ctx;

RTA__HIDDEN void rta__locals_retain(void *map);
RTA__HIDDEN void rta__locals_release(void *map); /* NULL is ignored */

/* A counted copy of x's context. */
static inline rta__ctx rta__ctx_capture(const rta__exec *x)
{
    if (x->locals)
        rta__locals_retain(x->locals);
    return (rta__ctx){x->locals, x->sync_ctx, x->scheduler};
}

/* Makes c x's context, consuming c's reference and dropping x's old one. */
static inline void rta__ctx_install(rta__exec *x, rta__ctx c)
{
    void *old = x->locals;
    x->locals = c.locals;
    x->sync_ctx = c.sync_ctx;
    x->scheduler = c.scheduler;
    rta__locals_release(old);
}

/* Drops a captured context that will not be installed. */
static inline void rta__ctx_drop(rta__ctx c)
{
    rta__locals_release(c.locals);
}

/* ---- how a suspension resumes ------------------------------------------------------ */

/* The spec's rule for every engine: a suspension resumes through the sync
 * context current at the await, else through a non-default scheduler, else
 * directly; configure-await false ignores both. Engines store the kind and
 * target of each suspension and hand the resumption to rta__resume_post
 * unless it is direct. */
enum rta__resume_kind {
    RTA__RESUME_DIRECT = 0, /* the engine's own path onto the workers */
    RTA__RESUME_POST,       /* rta_sync_ctx.post */
    RTA__RESUME_QUEUE,      /* rta_scheduler.queue */
};

static inline uint8_t rta__resume_plan(void *sync_ctx, void *scheduler, bool continue_on_captured,
                                       void **target)
{
    if (rta__likely(!continue_on_captured || (!sync_ctx && !scheduler)))
        return RTA__RESUME_DIRECT;
    *target = sync_ctx ? sync_ctx : scheduler;
    return sync_ctx ? RTA__RESUME_POST : RTA__RESUME_QUEUE;
}

/* Hands fn(arg) to the sync context or scheduler a non-direct plan named. */
RTA__HIDDEN void rta__resume_post(uint8_t kind, void *target, void (*fn)(void *), void *arg);

/* ---- errors ------------------------------------------------------------------ */

#define RTA__TRACE_MAX 64

typedef struct rta__frame {
    uintptr_t pc; /* return address (0 when only a name is known) */
    char *name;   /* resolved lazily (or given by an engine), owned */
} rta__frame;

struct rta_error {
    int code;
    char *message;
    _Atomic int names_resolved;
    size_t nframes;
    size_t cap; /* room in frames[]: 0 or RTA__TRACE_MAX */
    rta__frame frames[];
};

/* Returns e (or a moved copy of it) with room for a full trace. */
RTA__HIDDEN rta_error *rta__error_reserve(rta_error *e);

/* Appends the frames of the current stack (from the caller of the function
 * that calls this, outwards) to e's trace. */
RTA__HIDDEN void rta__error_capture(rta_error *e, unsigned skip);
/* Appends one named frame (used by engines whose frames are not on a stack).
 * e must have room (rta__error_reserve). */
RTA__HIDDEN void rta__error_push_name(rta_error *e, const char *name);
RTA__HIDDEN rta_error *rta__error_oom(void);

/* A throw that found no handler inside a stackful task (rta__tls.stackful
 * set): faults the task where it stands (its frames are abandoned, not
 * unwound); never returns. The stackful engine's fault hook, installed by
 * the scheduler (src/sched/engine.h); the core names no engine. */
RTA__HIDDEN extern void (*rta__stackful_fault)(rta_error *e);

/* True between a successful rta_init and rta_shutdown (src/runtime sets it
 * under its lifecycle lock; others read it as a hint). */
RTA__HIDDEN extern bool rta__running;

/* vtask.c: takes the outcome of c's current operation without throwing:
 * returns true with *v, or false with *e (owned by the caller). Checks the
 * token (the misuse rules are at the top of vtask.c). */
RTA__HIDDEN bool rta__vtask_core_take(rta_vtask_core *c, uint32_t token, int64_t *v, rta_error **e);

/* Set in a child of fork() whose parent's runtime was running (or starting
 * or stopping) when it forked; rta__running is then false there. The
 * runtime's threads do not exist in the child and its state may be
 * half-updated, so nothing of it is used again (docs/errors.md, fork). */
RTA__HIDDEN extern bool rta__forked_child;

/* In such a child, writes to stderr that call refuses because of the fork
 * and returns true; elsewhere returns false and writes nothing. */
RTA__HIDDEN bool rta__forked_refuse(const char *call);

/* Internal helpers behind RTA_TRY for runtime-owned roots: run fn(arg) with a
 * root handler; returns true with *out on success, false with *err. */
RTA__HIDDEN bool rta__call_catching(int64_t (*fn)(void *), void *arg, int64_t *out, rta_error **err);

#endif
