/* rtasync: the cont engine's public API (included by rta.h; do not include directly).
 *
 * The cont engine is the spec's "JIT generated state machines" prototype done
 * by hand (docs/cont.md has the long form and a worked example):
 *
 *  - A *cont function* takes a continuation argument first (NULL = start) and
 *    returns an rta_cret: its value, or, with k != NULL, the signal that it
 *    suspended and k is its continuation. Two words: returned in rax:rdx
 *    (x86-64) / x0:x1 (AArch64), so a call that does not suspend costs one
 *    test of k beyond a plain call and allocates nothing.
 *  - When a callee suspends, the caller saves its live locals (its *frame*, a
 *    struct named F) and its resume point into its own continuation, links it
 *    after the callee's (callee_k->next = mine) and returns it: the chain runs
 *    innermost first and its head sits in a per-thread sentinel.
 *  - The root (rta_cont_call / rta_cont_spawn) owns a task; a dispatcher on a
 *    worker resumes the innermost continuation through its resume stub, hands
 *    the value to the next one, and so on, one frame at a time.
 *
 * Writing a cont function (the lowered form a compiler tool will generate):
 *
 *     RTA_CONT_FN(fib, int64_t, n)           // static rta_cret fib(rta_cont *, int64_t n)
 *     {
 *         RTA_CONT_FRAME(fib, int64_t n; int64_t a; int64_t b;);
 *         F.n = n;                            // everything live across an await lives in F
 *         if (F.n < 2)
 *             RTA_CONT_RETURN(F.n);
 *         RTA_CONT_CALL(F.a, fib, F.n - 1);   // an await point
 *         RTA_CONT_CALL(F.b, fib, F.n - 2);
 *         RTA_CONT_RETURN(F.a + F.b);
 *     }
 *
 * Rules of the lowered form:
 *  - RTA_CONT_FRAME comes first in the body. Parameters are zero on resume:
 *    copy those needed after an await into F. Locals outside F do not survive
 *    an await; neither do pointers to any local (F's fields included): the
 *    frame moves to the heap and back. Builds without NDEBUG detect a saved
 *    F holding a pointer into the stack being left and fault the task with
 *    RTA_EINVALIDPROGRAM; builds with NDEBUG check one suspension in 64 per
 *    thread (RTA__CONT_CHECK_EVERY), so a repeated mistake is still caught.
 *  - Frames hold data aligned to 8 bytes at most.
 *  - Await points (RTA_CONT_CALL, RTA_CONT_AWAIT*, RTA_CONT_YIELD,
 *    RTA_CONT_SLEEP_MS) are statements, written in the function body itself.
 *  - Exceptions: rta_throw works anywhere. RTA_CONT_TRY/CATCH/FINALLY/END_TRY
 *    is RTA_TRY for cont functions: its handler also catches errors that
 *    arrive after a suspension (the continuation records "handler at this
 *    await"). Try blocks do not nest within one function (a compile-time
 *    error; put the inner one in its own cont function). Do not leave a try
 *    body with return/break/goto; locals written in the body and read in the
 *    handler must be in F and read only if written before the body started,
 *    or be volatile (setjmp rules). An await inside a handler raises
 *    RTA_EINVALIDPROGRAM naming the function.
 *  - Cont functions await only through these macros; rta_await/rta_yield are
 *    the tasklet engine's and do not apply to cont frames.
 *  - Cont state is heap data: a suspended root may resume on any worker.
 *
 * This header is what a user reads; what the macros expand to (the per-thread
 * state they read, the await-point machinery, rta__* helpers) is in
 * rta/detail/cont.h. The macros compile as C and as C++17.
 */
#ifndef RTA_CONT_H
#define RTA_CONT_H

#include <setjmp.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rta_cont rta_cont;

/* A cont function's return: v when k == NULL, else "suspended, k is my continuation". */
typedef struct rta_cret {
    int64_t v;
    rta_cont *k;
} rta_cret;

/* Static description of a cont function, one per function (made by RTA_CONT_FRAME). */
typedef struct rta_cont_desc {
    rta_cret (*resume)(rta_cont *k); /* the resumption stub */
    const char *name;                /* for async stack traces */
    uint32_t frame_size;             /* bytes of saved live state */
    uint32_t cls;                    /* its continuation's size / 8 (free-list class), precomputed */
} rta_cont_desc;

/* A continuation: a suspended frame. 24 bytes of header, then the frame. */
struct rta_cont {
    rta_cont *next; /* the caller's continuation; NULL = the root's own function */
    uintptr_t desc; /* const rta_cont_desc * | RTA__CONT_F_* in the low 3 bits */
    void *pc;       /* resume point: a label address inside the function */
};

/* A root cont function: what the thunks start. Written RTA_CONT_FN(name, void *, arg). */
typedef rta_cret (*rta_cont_fn)(rta_cont *k, void *arg);

/* The task-returning thunk (the spec's FinalizeTaskReturningThunk): runs
 * fn(NULL, arg) now, on the calling thread, until it returns or first
 * suspends, and returns its task (the caller owns one reference). A call that
 * does not suspend returns a completed task. After a suspension the rest runs
 * on the workers. Callable from non-async code, tasklet code and cont code;
 * the caller's async locals and sync context flow in, changes made inside do
 * not flow back. Returns NULL with errno EAGAIN when the runtime is not
 * running, EINVAL when fn is NULL, ENOMEM when out of memory. */
RTA_EXTERN rta_task *rta_cont_call(rta_cont_fn fn, void *arg);

/* Like rta_cont_call, but queues the start on the worker pool (concurrent
 * with the caller). Same errors. */
RTA_EXTERN rta_task *rta_cont_spawn(rta_cont_fn fn, void *arg);

/* The machinery the macros below expand to: not API (names rta__*). */
#include "detail/cont.h"

/* Declares a cont function with static linkage: RTA_CONT_FN(name, T1, a1, ...)
 * then the body. Also defines its resumption stub rta__cr_<name>, which calls
 * it with the continuation and zeroed parameters (the spec's IL_STUB_AsyncResume).
 * Cont functions are never inlined, so that every logical frame is a real frame
 * (traces) and the stub lands in the function itself. */
#define RTA_CONT_FN(name, ...)                                                                               \
    RTA__CONT_NO_CLOBBERED                                                                                   \
    RTA__CONT_FN_ATTRS static rta_cret name(rta_cont *rta__k_ RTA__CONT_PARAMS(__VA_ARGS__));                \
    __attribute__((noinline, unused)) static rta_cret rta__cr_##name(rta_cont *k_)                           \
    {                                                                                                        \
        return name(k_ RTA__CONT_ZEROS(__VA_ARGS__));                                                        \
    }                                                                                                        \
    RTA__CONT_FN_ATTRS static rta_cret name(rta_cont *rta__k_ RTA__CONT_PARAMS(__VA_ARGS__))

/* First statement of a cont function: declares its frame F (the fields are
 * the locals live across awaits) and, on resume, restores F and jumps to the
 * await point it left. */
#define RTA_CONT_FRAME(name, ...) RTA__CONT_FRAME_AS(rta__cr_##name, #name, __VA_ARGS__)
#define RTA_CONT_RETURN(val) return RTA__LIT(rta_cret, (int64_t)(val), NULL)

/* dst = fn(args...), an await point: fn is a cont function. */
#define RTA_CONT_CALL(dst, fn, ...) RTA__CONT_CALL_(__COUNTER__, dst, fn(NULL, ##__VA_ARGS__))
/* dst = the result of any awaitable (the spec's AwaitAwaiterFromRuntimeAsync):
 * completes synchronously when is_completed, else suspends the chain and,
 * once it is off the stack, registers the root with the awaiter. self must
 * stay valid until resumption (an awaiter kept in the frame, &F.x, is: the
 * await registers F's saved copy). get_result's error is thrown at this point.
 * Configure-await (rta/context.h): the plain forms pass the lexically visible
 * rta__configure_await (the file's RTA_CONFIGURE_AWAIT, or the function's
 * RTA_CONFIGURE_AWAIT_FN(b), which in a cont function goes *before*
 * RTA_CONT_FRAME so that it is initialised on every resumption too); the
 * _CFG forms take the flag for one await (Task.ConfigureAwait(b)). After a
 * suspension the root resumes through the sync context current at the await
 * (its post runs the root on whatever thread the context chooses: cont state
 * is heap data), else the scheduler current then, else on the workers;
 * false resumes on the workers. RTA_CONT_CALL takes no flag: where a chain
 * resumes is decided by the await that suspended it, in the innermost frame. */
#define RTA_CONT_AWAIT(dst, ops, self) RTA__CONT_AWAIT_(__COUNTER__, dst, ops, self, rta__configure_await)
#define RTA_CONT_AWAIT_CFG(dst, ops, self, cfg) RTA__CONT_AWAIT_(__COUNTER__, dst, ops, self, cfg)
/* dst = the value of task t (its error is thrown, cancellation throws -ECANCELED). */
#define RTA_CONT_AWAIT_TASK(dst, t) RTA_CONT_AWAIT(dst, &rta_task_awaiter, (t))
#define RTA_CONT_AWAIT_TASK_CFG(dst, t, cfg) RTA_CONT_AWAIT_CFG(dst, &rta_task_awaiter, (t), cfg)
/* The same, consuming the frame's reference to t on both paths (value or
 * error): the leak-free form of await-then-release (rta_await_release). */
#define RTA_CONT_AWAIT_TASK_RELEASE(dst, t) RTA_CONT_AWAIT(dst, &rta_task_release_awaiter, (t))
#define RTA_CONT_AWAIT_TASK_RELEASE_CFG(dst, t, cfg)                                                         \
    RTA_CONT_AWAIT_CFG(dst, &rta_task_release_awaiter, (t), cfg)

/* Lets other ready work run, then continues (maybe on another worker). */
#define RTA_CONT_YIELD() RTA__CONT_SUSPEND_(__COUNTER__, rta__cont_yield_here(rta__configure_await))
#define RTA_CONT_YIELD_CFG(cfg) RTA__CONT_SUSPEND_(__COUNTER__, rta__cont_yield_here(cfg))
/* Suspends for at least ms milliseconds. */
#define RTA_CONT_SLEEP_MS(ms) RTA__CONT_SUSPEND_(__COUNTER__, rta__cont_sleep_k((ms), rta__configure_await))
#define RTA_CONT_SLEEP_MS_CFG(ms, cfg) RTA__CONT_SUSPEND_(__COUNTER__, rta__cont_sleep_k((ms), (cfg)))
/* Structured handlers for cont functions; see the rules above. */
#define RTA_CONT_TRY                                                                                         \
    do {                                                                                                     \
        __label__ rta__cth_;                                                                                 \
        RTA__STATIC_ASSERT(!rta__cont_in_try_, "RTA_CONT_TRY blocks do not nest within one "                 \
                                               "function: move the inner one into its own cont function");   \
        enum { rta__cont_in_try_ = 1 };                                                                      \
        rta__try rta__cont_t_;                                                                               \
        rta__try_push(&rta__cont_t_, __func__);                                                              \
        if (setjmp(rta__cont_t_.jb) != 0)                                                                    \
            goto rta__cth_;                                                                                  \
        {
#define RTA_CONT_CATCH(e)                                                                                    \
    }                                                                                                        \
    rta__try_pop(&rta__cont_t_);                                                                             \
    rta__cth_:                                                                                               \
    if (rta__try_handler(&rta__cont_t_, RTA__CATCH_KIND))                                                    \
        for (rta_error *e = rta__cont_t_.err; e; e = NULL)                                                   \
            for (int rta__cont_in_handler_ = 1; rta__cont_in_handler_; rta__cont_in_handler_ = 0)
#define RTA_CONT_FINALLY                                                                                     \
    }                                                                                                        \
    rta__try_pop(&rta__cont_t_);                                                                             \
    rta__cth_:                                                                                               \
    if (rta__try_handler(&rta__cont_t_, RTA__FINALLY_KIND))                                                  \
        for (int rta__cont_in_handler_ = 1; rta__cont_in_handler_; rta__cont_in_handler_ = 0)
#define RTA_CONT_END_TRY                                                                                     \
    rta__try_end(&rta__cont_t_);                                                                             \
    }                                                                                                        \
    while (0)

#ifdef __cplusplus
}
#endif

#endif
