/*
 * rtasync: the async1 engine's machinery (included by rta/async1.h; not API).
 * Everything here is named rta__* / RTA__* and may change with any release:
 * the inline parts of the built-in builders, the synchronous fast path that
 * reads the runtime's per-thread state at fixed offsets, the helpers the
 * RTA_ASYNC1_* / RTA_AWAIT1_* macros call, the macros' own internals, and
 * what the async1 output of tools/rtac calls (numbered suspensions, spawn
 * and delay of a lowered method).
 * Compiles as C11 and as C++17 (rta/detail/cxx.h).
 */
#ifndef RTA_DETAIL_ASYNC1_H
#define RTA_DETAIL_ASYNC1_H

#include "cxx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the built-in builders' inline parts ---------------------------------- */

/* Set while an RTA_AWAIT1_VTASK/TASK operand is evaluated: the first async1
 * method started then is awaited at once, so an error it throws before its
 * first suspension may go straight to the awaiting method's handler instead
 * of faulting a task that is immediately rethrown (same outcome, and the
 * synchronous path needs no handler of its own). */
RTA_EXTERN extern __thread int rta__async1_direct;

static inline void rta__a1_create(rta_async1_builder *b, struct rta_async1_method *m)
{
    b->obj = NULL;
    b->value = 0;
    b->method = m;
    b->flags = 0;
    b->token = 0;
}
static inline void rta__a1_start(rta_async1_builder *b, rta_async1_sm *sm)
{
    (void)b;
    rta_async1_start(sm);
}

/* ---- the synchronous fast path of the built-in builders' start ------------
 * rta_async1_start saves the thread's context (async locals, sync context,
 * scheduler) and restores it after the first move-next. When the method is
 * awaited at once by an async1 caller (rta__async1_direct) and no async local
 * is set (nothing to count), that is three pointer loads before and three
 * compares after, done here inline, with a direct call of the move-next. Any
 * other case (a local set, not awaited at once, first use on a thread) takes
 * rta_async1_start. The context fields are read at fixed offsets of the
 * runtime's per-thread state; src/engine/async1/machine.c asserts the layout
 * (and that the context is still those three fields) at compile time. */
struct rta__tls;
RTA_EXTERN extern __thread struct rta__tls rta__tls_state;
enum { RTA__A1_X_LOCALS = 2, RTA__A1_X_SYNC = 3, RTA__A1_X_SCHED = 4 }; /* in pointers */
/* Puts the context back after a method changed it (no local was set at entry). */
RTA_EXTERN void rta__async1_ctx_back(void *x, void *sync_ctx, void *scheduler);

static inline __attribute__((always_inline)) void rta__a1_start_mn(rta_async1_sm *sm,
                                                                   void (*mn)(rta_async1_sm *))
{
    /* rta__tls_state.exec: the current exec (first member; NULL until the
     * thread's first use of the runtime). */
    const void *tls = (const void *)&rta__tls_state;
#if defined(__SANITIZE_ADDRESS__) /* RTA_SANITIZE: ASan with UBSan */
    /* UBSan's object-size check takes the incomplete rta__tls_state for an
     * object of no size and rejects the load of its first member (the
     * sanitizer builds only: the barrier costs a register in them). */
    __asm__("" : "+r"(tls));
#endif
    void *const *x = *(void *const *const *)tls;
    if (__builtin_expect(rta__async1_direct != 0 && x != NULL && x[RTA__A1_X_LOCALS] == NULL, 1)) {
        void *sc = x[RTA__A1_X_SYNC], *sch = x[RTA__A1_X_SCHED];
        rta__async1_direct = 0;
        /* No handler of its own: see rta__async1_direct. The exec is the same
         * after the call (a method runs on the exec that started it). */
        mn(sm);
        if (__builtin_expect(
                x[RTA__A1_X_LOCALS] != NULL || x[RTA__A1_X_SYNC] != sc || x[RTA__A1_X_SCHED] != sch, 0))
            rta__async1_ctx_back((void *)x, sc, sch);
        return;
    }
    rta_async1_start(sm);
}
static inline void rta__a1_set_result(rta_async1_builder *b, int64_t v)
{
    if (__builtin_expect(b->obj == NULL, 1)) {
        b->value = v;
        b->flags = RTA_ASYNC1_B_DONE;
    } else {
        rta_async1_complete(b, v, NULL);
    }
}
static inline void rta__a1_set_error(rta_async1_builder *b, rta_error *e)
{
    rta_async1_complete(b, 0, e);
}
static inline rta_async1_sm *rta__a1_sm_of(rta_async1_builder *b)
{
    return (rta_async1_sm *)((char *)b - offsetof(rta_async1_sm, builder));
}
static inline void rta__a1_task_task(rta_async1_builder *b, void *out)
{
    *(rta_task **)out = rta_async1_builder_task(b);
}
static inline void rta__a1_vtask_task(rta_async1_builder *b, void *out)
{
    if (__builtin_expect(b->obj == NULL, 1))
        *(rta_vtask *)out = rta_vtask_from_value(b->value);
    else
        *(rta_vtask *)out = rta_async1_builder_vtask(b);
}
static inline void rta__a1_await_task(rta_async1_builder *b, rta_async1_sm *sm, const rta_awaiter_ops *aw,
                                      void *self)
{
    (void)b;
    rta_async1_suspend(sm, aw, self, false, false);
}
static inline void rta__a1_uawait_task(rta_async1_builder *b, rta_async1_sm *sm, const rta_awaiter_ops *aw,
                                       void *self)
{
    (void)b;
    rta_async1_suspend(sm, aw, self, true, false);
}
static inline void rta__a1_await_vtask(rta_async1_builder *b, rta_async1_sm *sm, const rta_awaiter_ops *aw,
                                       void *self)
{
    (void)b;
    rta_async1_suspend(sm, aw, self, false, rta_async1_pooling_switch());
}
static inline void rta__a1_uawait_vtask(rta_async1_builder *b, rta_async1_sm *sm, const rta_awaiter_ops *aw,
                                        void *self)
{
    (void)b;
    rta_async1_suspend(sm, aw, self, true, rta_async1_pooling_switch());
}
static inline void rta__a1_await_pool(rta_async1_builder *b, rta_async1_sm *sm, const rta_awaiter_ops *aw,
                                      void *self)
{
    (void)b;
    rta_async1_suspend(sm, aw, self, false, true);
}
static inline void rta__a1_uawait_pool(rta_async1_builder *b, rta_async1_sm *sm, const rta_awaiter_ops *aw,
                                       void *self)
{
    (void)b;
    rta_async1_suspend(sm, aw, self, true, true);
}

/* ---- RTA_ASYNC1_METHOD's internals ---------------------------------------- */

/* Called on first use of a method: throws RTA_EBUILDER if its builder does
 * not fit (an op missing, task kind or argument wrong). */
RTA_EXTERN void rta__async1_check(rta_async1_method *m);

#define RTA__A1_PICK3(_1, _2, _3, NAME, ...) NAME
/* The return type's kind (RTA_ASYNC1_RET_*), the default builder it picks,
 * and the descriptor's initializer. In C a return type that is neither
 * rta_task * nor rta_vtask stops the build at the _Generic selection (no
 * association fits); C++ has no _Generic and says so with a static_assert. */
#ifdef __cplusplus
#define RTA__A1_RET_KIND(ret) (RTA__SAME_TYPE(ret, rta_task *) ? 1 : RTA__SAME_TYPE(ret, rta_vtask) ? 2 : 0)
#define RTA__A1_DEFAULT_OPS(ret)                                                                             \
    (RTA__SAME_TYPE(ret, rta_task *) ? &rta_task_builder_ops : &rta_vtask_builder_ops)
#define RTA__A1_CHECK_RET(N, RET)                                                                            \
    static_assert(RTA__A1_RET_KIND(RET) != 0,                                                                \
                  "async1 method " #N ": return type " #RET " is neither rta_task * nor rta_vtask");
/* Positional (designated initializers are C++20): rta_async1_method's order. */
#define RTA__A1_METHOD_INIT(N, OPS, KIND, ARG)                                                               \
    {                                                                                                        \
#N, (OPS), (KIND), (ARG), 0, {}                                                                      \
    }
#else
#define RTA__A1_RET_KIND(ret) _Generic((ret){0}, rta_task * : 1, rta_vtask : 2)
#define RTA__A1_DEFAULT_OPS(ret)                                                                             \
    _Generic((ret){0}, rta_task * : &rta_task_builder_ops, rta_vtask : &rta_vtask_builder_ops)
#define RTA__A1_CHECK_RET(N, RET)
#define RTA__A1_METHOD_INIT(N, OPS, KIND, ARG)                                                               \
    {                                                                                                        \
        .name = #N, .ops = (OPS), .ret_kind = (KIND), .arg = (ARG)                                           \
    }
#endif
#define RTA__A1_METHOD_DEF(N, RET)                                                                           \
    RTA__A1_CHECK_RET(N, RET)                                                                                \
    typedef RET N##__ret_t;                                                                                  \
    __attribute__((unused)) static const rta_async1_builder_ops *const N##__ops = RTA__A1_DEFAULT_OPS(RET);  \
    __attribute__((unused)) static rta_async1_method N##__method =                                           \
        RTA__A1_METHOD_INIT(N, RTA__A1_DEFAULT_OPS(RET), RTA__A1_RET_KIND(RET), 0)
#define RTA__A1_METHOD_OVR(N, RET, OVR) RTA__A1_METHOD_B(N, RET, RTA__A1_UNPAREN OVR)
#define RTA__A1_UNPAREN(...) __VA_ARGS__
#define RTA__A1_METHOD_B(...) RTA__A1_METHOD_B_(__VA_ARGS__)
#define RTA__A1_METHOD_B_(N, RET, B, A, ...)                                                                 \
    RTA__STATIC_ASSERT(RTA__SAME_TYPE(RET, B##_task_t),                                                      \
                       "async method builder " #B " does not build the return type " #RET " of " #N);        \
    typedef RET N##__ret_t;                                                                                  \
    __attribute__((unused)) static const rta_async1_builder_ops *const N##__ops = &B##_ops;                  \
    __attribute__((unused)) static rta_async1_method N##__method =                                           \
        RTA__A1_METHOD_INIT(N, &B##_ops, RTA__A1_RET_KIND(RET), (A))

/* ---- what the move-next macros expand to ---------------------------------- */

RTA_EXTERN RTA_NORETURN void rta__async1_bad_state(rta_async1_sm *sm);

/* An await's suspension: record where to come back and how to resume (cfg:
 * the await's configure-await flag), hand the machine to the builder, leave.
 * The builder may have moved the machine: touch nothing. */
#define RTA__A1_SUSPEND(ops, self, cfg)                                                                      \
    do {                                                                                                     \
        rta__a1_sm->state = __LINE__;                                                                        \
        rta__a1_sm->resume_flags = (cfg) ? 0u : RTA_ASYNC1_SM_DIRECT;                                        \
        rta__a1_ops->await_unsafe_on_completed(&rta__a1_sm->builder, rta__a1_sm, (ops), (self));             \
        return;                                                                                              \
    } while (0)

/* RTA_AWAIT1_TASK: a NULL task is "ready" and consuming it throws; a
 * successful one's value is returned and the method's reference dropped. */
RTA_EXTERN bool rta__async1_task_ready(rta_task *t);
RTA_EXTERN int64_t rta__async1_task_consume(rta_task *t);

/* The _CATCH awaits: run stmt, catching into err (a copy the method owns). */
RTA_EXTERN rta_error *rta__async1_take_error(rta_error *e);
#define RTA__A1_CATCH_INTO(err, stmt)                                                                        \
    RTA_TRY {                                                                                                \
        stmt;                                                                                                \
    }                                                                                                        \
    RTA_CATCH(rta__a1_e_) {                                                                                  \
        (err) = rta__async1_take_error(rta__a1_e_);                                                          \
    }                                                                                                        \
    RTA_END_TRY

/* ---- what tools/rtac generates (not for hand-written methods) ---------------
 * rtac lowers an async2 source to async1 methods whose awaits are numbered
 * (the state) rather than named by __LINE__: several awaits may share a
 * source line, and #line directives make __LINE__ the user's. */

/* Suspends at await n: as RTA__A1_SUSPEND, without the return (the caller
 * pops the handler records it is inside, then returns). */
#define RTA__A1_SUSPEND_AT(n, ops, self, cfg)                                                                \
    (rta__a1_sm->state = (n), rta__a1_sm->resume_flags = (cfg) ? 0u : RTA_ASYNC1_SM_DIRECT,                  \
     rta__a1_ops->await_unsafe_on_completed(&rta__a1_sm->builder, rta__a1_sm, (ops), (self)))

/* rta_spawn(f, arg) of a lowered method: its stub starts it right here, on
 * the caller's stack (an async1 method is a task once called); a value-task
 * method's result becomes a task. Either way the method is a new task: it
 * never runs under its spawner's cancel state. A task-kind method gets a
 * cancel scope of its own at its start (rta_async1_start), unless it is
 * taken for awaited at once, hence rta__async1_direct cleared (in an
 * await's operand, `rta_await(rta_spawn(f, arg))`, it would run under the
 * awaiting method's scope); a value-task method has no task that takes
 * requests, and runs under a detached scope (rta__async1_spawn_v). */
RTA_EXTERN rta_task *rta__async1_spawn_v(rta_vtask (*stub)(void *), void *arg);
static inline rta_task *rta__a1_spawn(rta_task *(*stub)(void *), void *arg)
{
    rta__async1_direct = 0;
    return stub(arg);
}
static inline rta_task *rta__a1_spawn_v(rta_vtask (*stub)(void *), void *arg)
{
    return rta__async1_spawn_v(stub, arg);
}

/* rta_sleep_ms in a lowered method: Task.Delay, a task that completes after
 * ms milliseconds (a tasklet sleeping on the workers' timers), awaited. A
 * cancel of the awaiting task cancels it (src/engine/async1/machine.c). */
RTA_EXTERN rta_task *rta__async1_delay(uint64_t ms);
static inline rta_task *rta__a1_delay(uint64_t ms)
{
    return rta__async1_delay(ms);
}

#ifdef __cplusplus
}
#endif

#endif
