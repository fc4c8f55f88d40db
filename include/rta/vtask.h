/*
 * rtasync: value tasks (ValueTask) and value-task sources, the core's and so
 * every engine's (included by rta.h; do not include directly). An async1
 * method may return one (include/rta/async1.h), a tasklet awaits one with
 * rta_vtask_await, cont code with the awaiter below, non-async code waits
 * with rta_vtask_wait; an I/O operation or any pooled object may implement
 * a source with rta_vtask_core. docs/async1.md has the long form.
 */
#ifndef RTA_VTASK_H
#define RTA_VTASK_H

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------- */
/* Value tasks                                                               */
/* ------------------------------------------------------------------------- */

/* A value-task source: an object (usually pooled) that a value task refers to
 * with a version token. Embed `rta_vtask_source` as the first member of your
 * object and point it at your ops. Each op gets the token the value task was
 * made with and must report a token that is not the source's current one
 * (RTA_ESTALE, or RTA_EDOUBLEAWAIT when the token's result was already taken)
 * by throwing — rta_vtask_core does all of this for you. */
typedef struct rta_vtask_source_ops {
    /* RTA_PENDING until the operation completed. May throw on a bad token. */
    rta_status (*get_status)(void *src, uint32_t token);
    /* Registers w to run once completed (at once if already completed). May
     * run w synchronously. Must not throw: it may be called by a runtime with
     * no handler (a tasklet's hand-off); report misuse through get_result. */
    void (*on_completed)(void *src, uint32_t token, rta_waiter *w);
    /* The outcome, once: returns the value or throws the error. After it
     * returns or throws, the source may be reused (its owner resets it). */
    int64_t (*get_result)(void *src, uint32_t token);
} rta_vtask_source_ops;

typedef struct rta_vtask_source {
    const rta_vtask_source_ops *ops;
} rta_vtask_source;

/* ValueTask: 16 bytes, returned in registers. Either an immediate value, or a
 * task (the value task owns one reference), or a source + token. Treat as
 * opaque. A value task is consumed exactly once: by one await (RTA_AWAIT1_VTASK,
 * rta_vtask_await), rta_vtask_wait, or rta_vtask_as_task. Consuming one that is
 * backed by a source twice raises RTA_EDOUBLEAWAIT / RTA_ESTALE; one backed by
 * a task must not be consumed twice at all (its reference is gone): convert it
 * with rta_vtask_as_task to await it several times. */
typedef struct rta_vtask {
    uintptr_t obj_; /* 0: immediate; bit 0 set: rta_task *; else rta_vtask_source * */
    int64_t v_;     /* immediate value, or the token of a source */
} rta_vtask;

static inline rta_vtask rta_vtask_from_value(int64_t v)
{
    rta_vtask vt = {0, v};
    return vt;
}
/* Takes over the caller's reference to t. */
static inline rta_vtask rta_vtask_from_task(rta_task *t)
{
    rta_vtask vt = {(uintptr_t)t | 1u, 0};
    return vt;
}
static inline rta_vtask rta_vtask_from_source(rta_vtask_source *src, uint32_t token)
{
    rta_vtask vt = {(uintptr_t)src, (int64_t)token};
    return vt;
}
/* True for an immediate value task (completed synchronously, nothing behind it). */
static inline bool rta_vtask_is_immediate(rta_vtask vt)
{
    return vt.obj_ == 0;
}
/* True when a source (e.g. a pooled box) is behind it. */
static inline bool rta_vtask_is_source(rta_vtask vt)
{
    return vt.obj_ != 0 && (vt.obj_ & 1u) == 0;
}

/* The awaiter of a value task; self is an rta_vtask *. is_completed throws on
 * a stale token; get_result consumes the value task. */
RTA_EXTERN extern const rta_awaiter_ops rta_vtask_awaiter;

/* Status without consuming (throws on a stale token). */
RTA_EXTERN rta_status rta_vtask_status(rta_vtask vt);
/* async2 code (tasklets): awaits and consumes vt; returns its value or throws. */
RTA_EXTERN int64_t rta_vtask_await(rta_vtask vt);
/* Non-async code: blocks until vt completes and consumes it. Returns the value;
 * on error returns 0 and stores a new error in *err (if err is not NULL). */
RTA_EXTERN int64_t rta_vtask_wait(rta_vtask vt, rta_error **err);
/* Consumes vt and returns a task with its outcome (the caller owns a
 * reference); for a source, the result is taken when it completes. NULL with
 * errno ENOMEM when out of memory (vt is then not consumed). */
RTA_EXTERN rta_task *rta_vtask_as_task(rta_vtask vt);

/* ManualResetValueTaskSourceCore: the state a pooled value-task source needs,
 * with the token checks done right. Embed one in your source; call reset
 * before each reuse (it moves the version on, so older tokens go stale). */
typedef struct rta_vtask_core {
    /* Accessed with atomic builtins only (plain types keep the header C++-clean). */
    uint32_t version;
    uint32_t consumed;     /* version whose result was taken, + 1 (0: none) */
    rta_waiter *cont;      /* NULL, a waiter, or the "completed" mark */
    uint32_t status;       /* rta_status; set before cont is marked */
    uint32_t double_await; /* a second waiter was registered */
    int64_t value;
    rta_error *error;
} rta_vtask_core;

RTA_EXTERN void rta_vtask_core_init(rta_vtask_core *c);
/* Frees a pending error; the core may then be freed or reset. */
RTA_EXTERN void rta_vtask_core_fini(rta_vtask_core *c);
/* Starts a new operation; returns its token. Called by the source's owner
 * between operations (never concurrently with another reset of c). */
RTA_EXTERN uint32_t rta_vtask_core_reset(rta_vtask_core *c);
RTA_EXTERN uint32_t rta_vtask_core_version(const rta_vtask_core *c);
/* Complete the current operation (once); run its waiter, if any, last. */
RTA_EXTERN void rta_vtask_core_set_result(rta_vtask_core *c, int64_t v);
RTA_EXTERN void rta_vtask_core_set_error(rta_vtask_core *c, rta_error *e); /* takes e */
RTA_EXTERN rta_status rta_vtask_core_get_status(rta_vtask_core *c, uint32_t token);
RTA_EXTERN void rta_vtask_core_on_completed(rta_vtask_core *c, uint32_t token, rta_waiter *w);
RTA_EXTERN int64_t rta_vtask_core_get_result(rta_vtask_core *c, uint32_t token);

#ifdef __cplusplus
}
#endif

#endif
