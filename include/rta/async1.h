/*
 * rtasync: the async1 engine's public API (included by rta.h; do not include
 * directly). docs/async1.md has the long form and a worked example.
 *
 * An *async1 method* is what a C# compiler makes of an `async` method, written
 * by hand with the macros below:
 *
 *  - a state-machine struct whose first member is `rta_async1_sm hdr` and
 *    whose other members are the arguments, the locals that live across an
 *    await ("hoisted" locals) and the awaiters;
 *  - a move-next function `void f_move_next(rta_async1_sm *)` whose body sits
 *    between RTA_ASYNC1_BEGIN and RTA_ASYNC1_END, awaits with RTA_AWAIT1_*,
 *    and returns with RTA_ASYNC1_RETURN;
 *  - a method descriptor, RTA_ASYNC1_METHOD(f, return type [, builder override]);
 *  - the stub users call: it fills a state machine *on its own stack*, starts
 *    it (RTA_ASYNC1_START) and returns the builder's task (RTA_ASYNC1_TASK).
 *
 * The method runs synchronously on the caller's stack until an await whose
 * awaiter is not complete. Only then is the state machine copied to the heap,
 * once for the method's whole life, and resumed from there by the awaiter's
 * completion (through the scheduler, as free work any worker may run).
 *
 * Rules that follow from this (they are the C# compiler's own):
 *  - Locals of the move-next function do not survive an await: anything used
 *    after an await lives in the state machine.
 *  - The awaiter an await registers with lives in the state machine too (the
 *    RTA_AWAIT1_* macros take it as an lvalue/pointer into the machine), so
 *    that after the move to the heap the copy's awaiter is the one used.
 *  - An RTA_TRY block cannot contain an await (the frame it protects is gone
 *    after a suspension): a try/catch around an await is lowered with
 *    RTA_AWAIT1_*_CATCH, which catches into a variable; dispatch after it.
 *  - async1 methods save the async-local and sync-context state of the thread
 *    at entry and restore it at exit; a method resumed from the heap runs with
 *    the state captured at its await.
 *
 * This header is what a user reads; what the macros expand to (inline
 * builder parts, per-thread state read at fixed offsets, rta__* helpers)
 * is in rta/detail/async1.h. The macros compile as C and as C++17.
 */
#ifndef RTA_ASYNC1_H
#define RTA_ASYNC1_H

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------- */
/* State machines and builders                                               */
/* ------------------------------------------------------------------------- */

struct rta_async1_sm;
struct rta_async1_method;
struct rta_async1_builder_ops;

/* The builder's state inside the state machine (C#'s <>t__builder). The
 * built-in builders use these fields as they document; a user builder may
 * use them as it likes. */
typedef struct rta_async1_builder {
    void *obj;                        /* heap box, task or source; NULL while sync */
    int64_t value;                    /* synchronous result */
    struct rta_async1_method *method; /* the method being built */
    uint32_t flags;                   /* RTA_ASYNC1_B_* */
    uint32_t token;
} rta_async1_builder;

#define RTA_ASYNC1_B_DONE 1u /* completed synchronously: value (or obj) is final */

/* What every state machine starts with. */
typedef struct rta_async1_sm {
    int32_t state; /* -1 running/not started, -2 finished, else the await it waits at */
    uint32_t size; /* bytes of the whole state machine (copied to the heap) */
    void (*move_next)(struct rta_async1_sm *sm);
    void *box;             /* the heap box once moved; NULL on the caller's stack */
    int32_t pending;       /* scratch for the _CATCH awaits */
    uint32_t resume_flags; /* RTA_ASYNC1_SM_*, set by the await macros before each suspension */
    rta_async1_builder builder;
} rta_async1_sm;

/* resume_flags: the suspending await has configure-await false (resume on
 * the workers, not through the captured sync context / scheduler). */
#define RTA_ASYNC1_SM_DIRECT 1u

/* The task-like types a method may return. */
enum { RTA_ASYNC1_RET_TASK = 1, RTA_ASYNC1_RET_VTASK = 2 };

/* The builder interface (AsyncMethodBuilder). A builder is named by a prefix
 * B with three things: `B_ops` (this table), `B_task_t` (the task-like type
 * it builds, checked against the method's return type at compile time) and
 * the ops' task_kind (checked at first call, with every op present).
 *  create          initialise the builder in a fresh state machine
 *  start           run the first move-next on the caller's stack
 *  set_result      the method returned; last thing that touches the machine
 *  set_error       the method threw (takes the error); ditto
 *  await_*         register the machine's resumption with an awaiter that is
 *                  not complete, moving the machine to the heap first if it is
 *                  still on the stack; self may point into the machine
 *  task            write the task-like result (rta_task * or rta_vtask) to out
 * A user builder usually wraps a built-in one (see tests/async1/). */
typedef struct rta_async1_builder_ops {
    const char *name;
    int task_kind;    /* RTA_ASYNC1_RET_* */
    unsigned arg_max; /* 0: takes no argument; else the argument is 1..arg_max */
    void (*create)(rta_async1_builder *b, struct rta_async1_method *m);
    void (*start)(rta_async1_builder *b, rta_async1_sm *sm);
    void (*set_result)(rta_async1_builder *b, int64_t v);
    void (*set_error)(rta_async1_builder *b, rta_error *e);
    void (*await_on_completed)(rta_async1_builder *b, rta_async1_sm *sm, const rta_awaiter_ops *aw,
                               void *self);
    void (*await_unsafe_on_completed)(rta_async1_builder *b, rta_async1_sm *sm, const rta_awaiter_ops *aw,
                                      void *self);
    void (*task)(rta_async1_builder *b, void *out);
} rta_async1_builder_ops;

/* Per-method counters (sums over every thread). */
typedef struct rta_async1_stats {
    uint64_t heap_moves;   /* state machines copied to the heap (= suspended calls) */
    uint64_t pool_hits;    /* boxes rented from the pool */
    uint64_t pool_misses;  /* boxes allocated because the pool was empty */
    uint64_t pool_returns; /* boxes kept by the pool after use */
    uint64_t pool_drops;   /* boxes freed after use because the pool was full */
} rta_async1_stats;

/* The per-method descriptor RTA_ASYNC1_METHOD defines (static storage). */
typedef struct rta_async1_method {
    const char *name;
    const rta_async1_builder_ops *ops;
    int ret_kind;       /* RTA_ASYNC1_RET_* of the declared return type */
    unsigned arg;       /* builder argument (pool size), 0 = none */
    int checked;        /* 0 not yet, 1 fits, -1 does not fit (atomic builtins) */
    uint64_t totals[5]; /* counters of exited threads, rta_async1_stats order (atomic) */
} rta_async1_method;

/* Sums the counters of method m over every thread. */
RTA_EXTERN void rta_async1_method_stats(const rta_async1_method *m, rta_async1_stats *out);
#define RTA_ASYNC1_STATS(name, out) rta_async1_method_stats(&name##__method, (out))

/* True when env RTA_VALUETASK_POOLING=1 was set at the first use (read once):
 * every method with the plain value-task builder then pools its boxes, as
 * .NET 5's process-wide switch did. Kept for comparison only: prefer the
 * per-method override. */
RTA_EXTERN bool rta_async1_pooling_switch(void);

/* ---- building blocks (the built-in builders are made of these) ------------ */

/* Runs sm's first move-next on the caller's stack, saving the async-local and
 * sync-context state first and restoring it after; an error escaping the
 * move-next goes to the builder's set_error (the method's task faults). */
RTA_EXTERN void rta_async1_start(rta_async1_sm *sm);
/* An await that is not complete: moves sm to a heap box if it is still on the
 * stack (a box rented from the method's pool when pooled), points the
 * builder's obj at the box's task (or at the box, pooled), captures the
 * context and registers the resumption with the awaiter (unsafe_on_completed
 * when unsafe and present, else on_completed). self is translated into the
 * heap copy when it points into sm. Throws RTA_ENOTINIT when the runtime is
 * not running (a suspended method needs workers), -ENOMEM. */
RTA_EXTERN void rta_async1_suspend(rta_async1_sm *sm, const rta_awaiter_ops *aw, void *self, bool unsafe,
                                   bool pooled);
/* Completes a heap-moved method (b->obj set) and releases the machine's hold
 * on its box; nothing may touch the machine afterwards. A synchronous method
 * (b->obj NULL) gets a completed task in b->obj (for set_error) or keeps the
 * value (set_result). Takes e. */
RTA_EXTERN void rta_async1_complete(rta_async1_builder *b, int64_t v, rta_error *e);
/* The task of a finished or suspended method (the caller owns a reference):
 * for a synchronous value, a cached task for -1..8 or a new one (NULL with
 * errno ENOMEM). */
RTA_EXTERN rta_task *rta_async1_builder_task(rta_async1_builder *b);
/* The value task of a finished or suspended method. */
RTA_EXTERN rta_vtask rta_async1_builder_vtask(rta_async1_builder *b);

/* The machinery the macros below expand to: not API (names rta__*). */
#include "detail/async1.h"

/* ---- the built-in builders ------------------------------------------------ */
/* With optimisation the tables are static in every translation unit, so that
 * a method's builder calls are direct (inlined) calls: the synchronous path
 * costs no indirection. Without it (no __OPTIMIZE__: -O0) a compiler keeps
 * every static const table whether used or not (gcc's -fkeep-static-consts),
 * and with the tables the builder functions and their calls into the async1
 * engine, in every file that includes rta.h: src/core's objects then called
 * up into src/engine/async1 (the layers test failed in a Debug build). There
 * the calls' speed does not matter: one copy, in the library
 * (src/engine/async1/builder_ops.c, which defines RTA__A1_OPS_EXTERN). */

/* AsyncTaskMethodBuilder: returns an rta_task * (the caller owns a reference).
 * Synchronous completion hands out a cached completed task for -1..8 (like
 * .NET's task cache) and allocates one otherwise; a suspended method's task
 * lives in the same heap box as its state machine. */
#define RTA__A1_TASK_BUILDER_OPS                                                                             \
    {                                                                                                        \
        "task", RTA_ASYNC1_RET_TASK, 0, rta__a1_create, rta__a1_start, rta__a1_set_result,                   \
            rta__a1_set_error, rta__a1_await_task, rta__a1_uawait_task, rta__a1_task_task                    \
    }
typedef rta_task *rta_task_builder_task_t;

/* AsyncValueTaskMethodBuilder: returns an rta_vtask; synchronous completion
 * allocates nothing (the value task holds the value); a suspended method's
 * value task is backed by the task in its heap box (or by a pooled box when
 * RTA_VALUETASK_POOLING=1, with a pool of RTA_ASYNC1_SWITCH_POOL per thread). */
#define RTA__A1_VTASK_BUILDER_OPS                                                                            \
    {                                                                                                        \
        "vtask", RTA_ASYNC1_RET_VTASK, 0, rta__a1_create, rta__a1_start, rta__a1_set_result,                 \
            rta__a1_set_error, rta__a1_await_vtask, rta__a1_uawait_vtask, rta__a1_vtask_task                 \
    }
typedef rta_vtask rta_vtask_builder_task_t;
#define RTA_ASYNC1_SWITCH_POOL 16u

/* PoolingAsyncValueTaskMethodBuilder: as above, but a suspended method's box
 * is a reusable value-task source rented from the method's pool; the builder
 * argument is the pool size (1..RTA_ASYNC1_POOL_MAX idle boxes kept per
 * thread, for this method alone):
 *   RTA_ASYNC1_METHOD(f, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, 16)); */
#define RTA_ASYNC1_POOL_MAX 4096u
#define RTA__A1_POOLING_VTASK_BUILDER_OPS                                                                    \
    {                                                                                                        \
        "pooling-vtask", RTA_ASYNC1_RET_VTASK, RTA_ASYNC1_POOL_MAX, rta__a1_create, rta__a1_start,           \
            rta__a1_set_result, rta__a1_set_error, rta__a1_await_pool, rta__a1_uawait_pool,                  \
            rta__a1_vtask_task                                                                               \
    }
typedef rta_vtask rta_pooling_vtask_builder_task_t;

#if defined(__OPTIMIZE__) && !defined(RTA__A1_OPS_EXTERN)
static const rta_async1_builder_ops rta_task_builder_ops = RTA__A1_TASK_BUILDER_OPS;
static const rta_async1_builder_ops rta_vtask_builder_ops = RTA__A1_VTASK_BUILDER_OPS;
static const rta_async1_builder_ops rta_pooling_vtask_builder_ops = RTA__A1_POOLING_VTASK_BUILDER_OPS;
#else
RTA_EXTERN extern const rta_async1_builder_ops rta_task_builder_ops;
RTA_EXTERN extern const rta_async1_builder_ops rta_vtask_builder_ops;
RTA_EXTERN extern const rta_async1_builder_ops rta_pooling_vtask_builder_ops;
#endif

/* ---- the per-method override (AsyncMethodBuilderAttribute on a method) ---- */

/* Names an open builder (prefix B; C has one result type, int64_t, which is
 * substituted) and its argument, e.g. the pool size. Use as the third argument
 * of RTA_ASYNC1_METHOD. */
#define RTA_ASYNC_METHOD_BUILDER(...) (__VA_ARGS__, 0)

/* RTA_ASYNC1_METHOD(name, return type [, RTA_ASYNC_METHOD_BUILDER(B[, arg])])
 * defines the method's descriptor name##__method and its builder. Without an
 * override the builder follows the return type (rta_task * -> task builder,
 * rta_vtask -> value-task builder); any other return type does not compile.
 * With one, B_task_t must be the return type or the build stops here. */
#define RTA_ASYNC1_METHOD(...)                                                                               \
    RTA__A1_PICK3(__VA_ARGS__, RTA__A1_METHOD_OVR, RTA__A1_METHOD_DEF, ~)(__VA_ARGS__)

/* ---- the stub --------------------------------------------------------------- */

/* Starts the state machine *smp (on the caller's stack, its members filled)
 * of method `name` with move-next function mn. */
#define RTA_ASYNC1_START(name, smp, mn)                                                                      \
    do {                                                                                                     \
        if (__builtin_expect(__atomic_load_n(&name##__method.checked, __ATOMIC_RELAXED) != 1, 0))            \
            rta__async1_check(&name##__method);                                                              \
        (smp)->hdr.state = -1;                                                                               \
        (smp)->hdr.size = (uint32_t)sizeof *(smp);                                                           \
        (smp)->hdr.move_next = (mn);                                                                         \
        (smp)->hdr.box = NULL;                                                                               \
        name##__ops->create(&(smp)->hdr.builder, &name##__method);                                           \
        /* A built-in builder's start (known at compile time) runs inline. */                                \
        if (name##__ops->start == rta__a1_start)                                                             \
            rta__a1_start_mn(&(smp)->hdr, (mn));                                                             \
        else                                                                                                 \
            name##__ops->start(&(smp)->hdr.builder, &(smp)->hdr);                                            \
    } while (0)

/* The builder's task-like result, of the method's return type. */
#define RTA_ASYNC1_TASK(name, smp)                                                                           \
    __extension__({                                                                                          \
        name##__ret_t rta__a1_r_;                                                                            \
        name##__ops->task(&(smp)->hdr.builder, &rta__a1_r_);                                                 \
        rta__a1_r_;                                                                                          \
    })

/* ---- the move-next body ---------------------------------------------------------- */

/* Opens the body: `var` is the typed state machine (on the stack or in the
 * heap box: never keep its address across an await). */
#define RTA_ASYNC1_BEGIN(name, type, var, m)                                                                 \
    const rta_async1_builder_ops *const rta__a1_ops = name##__ops;                                           \
    type *const var = (type *)(m);                                                                           \
    rta_async1_sm *const rta__a1_sm = &var->hdr;                                                             \
    switch (rta__a1_sm->state) {                                                                             \
    case -1:;

/* Closes the body; falling off the end returns 0. */
#define RTA_ASYNC1_END()                                                                                     \
    RTA_ASYNC1_RETURN(0);                                                                                    \
    default:                                                                                                 \
        rta__async1_bad_state(rta__a1_sm);                                                                   \
        }

/* `return v;` of the async method. */
#define RTA_ASYNC1_RETURN(v)                                                                                 \
    do {                                                                                                     \
        int64_t rta__a1_v_ = (v);                                                                            \
        rta__a1_sm->state = -2;                                                                              \
        rta__a1_ops->set_result(&rta__a1_sm->builder, rta__a1_v_);                                           \
        return;                                                                                              \
    } while (0)

/* Configure-await (rta/context.h): every await below passes the lexically
 * visible rta__configure_await (the file's RTA_CONFIGURE_AWAIT, or
 * RTA_CONFIGURE_AWAIT_FN(b) written before RTA_ASYNC1_BEGIN in the move-next
 * function); the _CFG forms take the flag for one await
 * (Task.ConfigureAwait(b)). true: a suspended await resumes through the sync
 * context current at the await, else the scheduler current then, else on
 * the workers; false: on the workers. Either way the method runs with the
 * context captured at the await (locals, sync context, scheduler). */

/* `out = await <awaiter>;` for any awaiter (ops, self). self must point into
 * the state machine (or outlive the method). Resumes at the case label. One
 * await per source line (the line number is the state). */
#define RTA_AWAIT1(ops, self, out) RTA_AWAIT1_CFG(ops, self, out, rta__configure_await)
#define RTA_AWAIT1_CFG(ops, self, out, cfg)                                                                  \
    do {                                                                                                     \
        if (!(ops)->is_completed(self))                                                                      \
            RTA__A1_SUSPEND(ops, self, cfg);                                                                 \
        __attribute__((fallthrough));                                                                        \
    case __LINE__:;                                                                                          \
        rta__a1_sm->state = -1;                                                                              \
        out = (ops)->get_result(self);                                                                       \
    } while (0)

/* `await Task.Yield();`: re-queues the method through the scheduler. */
RTA_EXTERN extern const rta_awaiter_ops rta_async1_yield_awaiter;
#define RTA_AWAIT1_YIELD() RTA_AWAIT1_YIELD_CFG(rta__configure_await)
#define RTA_AWAIT1_YIELD_CFG(cfg)                                                                            \
    do {                                                                                                     \
        RTA__A1_SUSPEND(&rta_async1_yield_awaiter, NULL, cfg);                                               \
        __attribute__((fallthrough));                                                                        \
    case __LINE__:;                                                                                          \
        rta__a1_sm->state = -1;                                                                              \
    } while (0)

/* `out = await <expr>;` where expr yields an rta_vtask; slot is an rta_vtask
 * member of the state machine that holds it across the suspension. */
#define RTA_AWAIT1_VTASK(slot, expr, out) RTA_AWAIT1_VTASK_CFG(slot, expr, out, rta__configure_await)
#define RTA_AWAIT1_VTASK_CFG(slot, expr, out, cfg)                                                           \
    do {                                                                                                     \
        rta__async1_direct = 1;                                                                              \
        (slot) = (expr);                                                                                     \
        rta__async1_direct = 0;                                                                              \
        if ((slot).obj_ != 0 && !rta_vtask_awaiter.is_completed(&(slot)))                                    \
            RTA__A1_SUSPEND(&rta_vtask_awaiter, &(slot), cfg);                                               \
        __attribute__((fallthrough));                                                                        \
    case __LINE__:;                                                                                          \
        rta__a1_sm->state = -1;                                                                              \
        out = (slot).obj_ == 0 ? (slot).v_ : rta_vtask_awaiter.get_result(&(slot));                          \
    } while (0)

/* `out = await <expr>;` where expr yields an rta_task * that the method owns
 * (e.g. the result of a task-returning method or rta_spawn): the reference is
 * released after the await. slot is an rta_task * member of the machine. */
#define RTA_AWAIT1_TASK(slot, expr, out) RTA_AWAIT1_TASK_CFG(slot, expr, out, rta__configure_await)
#define RTA_AWAIT1_TASK_CFG(slot, expr, out, cfg)                                                            \
    do {                                                                                                     \
        rta__async1_direct = 1;                                                                              \
        (slot) = (expr);                                                                                     \
        rta__async1_direct = 0;                                                                              \
        if (!rta__async1_task_ready(slot))                                                                   \
            RTA__A1_SUSPEND(&rta_task_awaiter, (slot), cfg);                                                 \
        __attribute__((fallthrough));                                                                        \
    case __LINE__:;                                                                                          \
        rta__a1_sm->state = -1;                                                                              \
        out = rta__async1_task_consume(slot);                                                                \
    } while (0)

/* try { out = await <expr>; } catch: the lowered form. Runs the await and
 * stores an error thrown by expr or by the awaited operation in err (an
 * rta_error * member of the machine, owned by the method afterwards: free it
 * or rethrow it) instead of throwing; err is NULL on success. Then write the
 * catch block as `if (sm->err) { ... }` after the macro. */
#define RTA_AWAIT1_VTASK_CATCH(slot, expr, out, err)                                                         \
    do {                                                                                                     \
        (err) = NULL;                                                                                        \
        rta__a1_sm->pending = 0;                                                                             \
        RTA__A1_CATCH_INTO(err, (slot) = (expr);                                                             \
                           rta__a1_sm->pending =                                                             \
                               (slot).obj_ != 0 && !rta_vtask_awaiter.is_completed(&(slot)));                \
        if (rta__a1_sm->pending)                                                                             \
            RTA__A1_SUSPEND(&rta_vtask_awaiter, &(slot), rta__configure_await);                              \
        __attribute__((fallthrough));                                                                        \
    case __LINE__:;                                                                                          \
        rta__a1_sm->state = -1;                                                                              \
        if (!(err))                                                                                          \
            RTA__A1_CATCH_INTO(err,                                                                          \
                               out = (slot).obj_ == 0 ? (slot).v_ : rta_vtask_awaiter.get_result(&(slot)));  \
    } while (0)

#define RTA_AWAIT1_TASK_CATCH(slot, expr, out, err)                                                          \
    do {                                                                                                     \
        (err) = NULL;                                                                                        \
        rta__a1_sm->pending = 0;                                                                             \
        RTA__A1_CATCH_INTO(err, (slot) = (expr); rta__a1_sm->pending = !rta__async1_task_ready(slot));       \
        if (rta__a1_sm->pending)                                                                             \
            RTA__A1_SUSPEND(&rta_task_awaiter, (slot), rta__configure_await);                                \
        __attribute__((fallthrough));                                                                        \
    case __LINE__:;                                                                                          \
        rta__a1_sm->state = -1;                                                                              \
        if (!(err))                                                                                          \
            RTA__A1_CATCH_INTO(err, out = rta__async1_task_consume(slot));                                   \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif
