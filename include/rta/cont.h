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
} rta_cont_desc;

/* A continuation: a suspended frame. 24 bytes of header, then the frame. */
struct rta_cont {
    rta_cont *next; /* the caller's continuation; NULL = the root's own function */
    uintptr_t desc; /* const rta_cont_desc * | RTA__CONT_F_* in the low 3 bits */
    void *pc;       /* resume point: a label address inside the function */
};

#define RTA__CONT_F_HANDLER 1u /* suspended inside an RTA_CONT_TRY: errors stop here */
#define RTA__CONT_F_HEAP 2u    /* from malloc (not a worker's slab) */
#define RTA__CONT_F_MASK 7u

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

/* ---- what the macros use (not for direct use) ------------------------------- */

typedef struct rta__cont_tls_t {
    rta_cont sentinel;    /* an await point's stand-in: sentinel.next = innermost frame */
    int64_t in_value;     /* the value handed to the frame being resumed */
    rta_error *in_error;  /* set: resume into the frame's handler with this error */
    uint32_t check_tick;  /* NDEBUG builds: saves since the last stack-pointer check */
} rta__cont_tls_t;
RTA_EXTERN extern __thread rta__cont_tls_t rta__cont_tls __attribute__((tls_model("initial-exec")));

RTA_EXTERN rta_cont *rta__cont_alloc(const rta_cont_desc *d);
/* cfg: the await's configure-await flag (rta/context.h): true resumes through
 * the sync context / scheduler current at the await, false directly. */
RTA_EXTERN rta_cont *rta__cont_yield_k(bool cfg);
RTA_EXTERN rta_cont *rta__cont_sleep_k(uint64_t ms, bool cfg);
RTA_EXTERN rta_cont *rta__cont_await_k(const rta_awaiter_ops *ops, void *self, bool cfg);
RTA_EXTERN void rta__cont_try_leave(rta__try *t);
RTA_EXTERN RTA_NORETURN void rta__cont_rethrow(void);
RTA_EXTERN RTA_NORETURN void rta__cont_bad_await(const char *func);
RTA_EXTERN void rta__cont_check_frame(rta_cont *k);
/* Never accessed: gives the try-record name a meaning outside try blocks,
 * where the await macros mention it in code the compiler removes. */
RTA_EXTERN extern rta__try rta__cont_t_;

#define RTA__CONT_CAT_(a, b) a##b
#define RTA__CONT_CAT(a, b) RTA__CONT_CAT_(a, b)

/* (T1, a1, T2, a2, ...) -> ", T1 a1, T2 a2" and ", (T1){0}, (T2){0}"; up to 6 parameters. */
#define RTA__CONT_NARG(...) RTA__CONT_NARG_(_, ##__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define RTA__CONT_NARG_(_, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, n, ...) n
#define RTA__CONT_P0()
#define RTA__CONT_P2(T, a) , T a
#define RTA__CONT_P4(T, a, ...) , T a RTA__CONT_P2(__VA_ARGS__)
#define RTA__CONT_P6(T, a, ...) , T a RTA__CONT_P4(__VA_ARGS__)
#define RTA__CONT_P8(T, a, ...) , T a RTA__CONT_P6(__VA_ARGS__)
#define RTA__CONT_P10(T, a, ...) , T a RTA__CONT_P8(__VA_ARGS__)
#define RTA__CONT_P12(T, a, ...) , T a RTA__CONT_P10(__VA_ARGS__)
#define RTA__CONT_Z0()
#define RTA__CONT_Z2(T, a) , (T){0}
#define RTA__CONT_Z4(T, a, ...) , (T){0} RTA__CONT_Z2(__VA_ARGS__)
#define RTA__CONT_Z6(T, a, ...) , (T){0} RTA__CONT_Z4(__VA_ARGS__)
#define RTA__CONT_Z8(T, a, ...) , (T){0} RTA__CONT_Z6(__VA_ARGS__)
#define RTA__CONT_Z10(T, a, ...) , (T){0} RTA__CONT_Z8(__VA_ARGS__)
#define RTA__CONT_Z12(T, a, ...) , (T){0} RTA__CONT_Z10(__VA_ARGS__)
#define RTA__CONT_PARAMS(...) RTA__CONT_CAT(RTA__CONT_P, RTA__CONT_NARG(__VA_ARGS__))(__VA_ARGS__)
#define RTA__CONT_ZEROS(...) RTA__CONT_CAT(RTA__CONT_Z, RTA__CONT_NARG(__VA_ARGS__))(__VA_ARGS__)

/* gcc's -Wclobbered: await points inside RTA_CONT_TRY call setjmp again at
 * their resume labels, which every computed-goto edge can reach, so gcc
 * flags nearly every register local of such a function. What survives an
 * await is F by construction; the handler rules above cover the rest. The
 * warning is off from the first cont function to the end of the file
 * (a pragma cannot be popped after a function body from a macro). */
/* Label addresses are stored in continuations and jumped to by a later call
 * of the same function, so the function must exist exactly once: no
 * inlining and, for gcc, no cloning (-O3 makes .constprop/.part copies whose
 * labels sit at other addresses). */
#if defined(__GNUC__) && !defined(__clang__)
#define RTA__CONT_FN_ATTRS __attribute__((noinline, noclone))
#else
#define RTA__CONT_FN_ATTRS __attribute__((noinline))
#endif

#if defined(__GNUC__) && !defined(__clang__)
#define RTA__CONT_NO_CLOBBERED _Pragma("GCC diagnostic ignored \"-Wclobbered\"")
#else
#define RTA__CONT_NO_CLOBBERED
#endif

/* Declares a cont function with static linkage: RTA_CONT_FN(name, T1, a1, ...)
 * then the body. Also defines its resumption stub rta__cr_<name>, which calls
 * it with the continuation and zeroed parameters (the spec's IL_STUB_AsyncResume).
 * Cont functions are never inlined, so that every logical frame is a real frame
 * (traces) and the stub lands in the function itself. */
#define RTA_CONT_FN(name, ...)                                                                  \
    RTA__CONT_NO_CLOBBERED                                                                      \
    RTA__CONT_FN_ATTRS static rta_cret name(rta_cont *rta__k_ RTA__CONT_PARAMS(__VA_ARGS__));   \
    __attribute__((noinline, unused)) static rta_cret rta__cr_##name(rta_cont *k_)              \
    {                                                                                           \
        return name(k_ RTA__CONT_ZEROS(__VA_ARGS__));                                           \
    }                                                                                           \
    RTA__CONT_FN_ATTRS static rta_cret name(rta_cont *rta__k_ RTA__CONT_PARAMS(__VA_ARGS__))

/* First statement of a cont function: declares its frame F (the fields are
 * the locals live across awaits) and, on resume, restores F and jumps to the
 * await point it left. */
#define RTA_CONT_FRAME(name, ...) RTA__CONT_FRAME_AS(rta__cr_##name, #name, __VA_ARGS__)
/* The same, with the resumption stub and the name traces show given apart
 * (rtac names a cont function apart from the user's async2 prototype). */
#define RTA__CONT_FRAME_AS(stub, display, ...)                                                 \
    typedef struct {                                                                            \
        __VA_ARGS__                                                                             \
        char rta__end_[0];                                                                      \
    } rta__frame_t;                                                                             \
    _Static_assert(_Alignof(rta__frame_t) <= 8, "cont frames hold 8-byte-aligned data at most"); \
    __attribute__((unused)) static const rta_cont_desc rta__cd_ = {stub, display, (uint32_t)sizeof(rta__frame_t)}; \
    enum { rta__cont_in_try_ = 0, rta__cont_in_handler_ = 0 };                                  \
    __attribute__((unused)) extern rta__try rta__cont_t_;                                                             \
    /* Zeroed: an await saves all of F, also fields not written yet on its     \
     * path; registers make this nearly free, and it keeps saves defined. */    \
    __attribute__((unused)) rta__frame_t F = {0};                                                                     \
    if (__builtin_expect(rta__k_ != NULL, 0)) {                                                 \
        F = *(rta__frame_t *)(void *)(rta__k_ + 1);                                             \
        goto *rta__k_->pc;                                                                      \
    }                                                                                           \
    if (0) { /* the label await points name outside try blocks; its address */                \
             /* keeps clang's indirect goto legal in a function with no await */              \
    rta__cth_:                                                                                  \
        (void)&&rta__cth_;                                                                      \
    }

#define RTA_CONT_RETURN(val) return (rta_cret){(int64_t)(val), NULL}

/* The stack-pointer check of saved frames (rules above): every save in
 * builds without NDEBUG; with NDEBUG one save in RTA__CONT_CHECK_EVERY per
 * thread (a counter and a test on the suspending path, which already copies
 * the frame), so that a frame that keeps a pointer to a local is still
 * caught after a few suspensions in a release build. */
#define RTA__CONT_CHECK_EVERY 64u
#ifdef NDEBUG
#define RTA__CONT_CHECK(m)                                                                      \
    (__builtin_expect(++rta__cont_tls.check_tick % RTA__CONT_CHECK_EVERY == 0, 0)               \
         ? rta__cont_check_frame(m)                                                             \
         : (void)0)
#else
#define RTA__CONT_CHECK(m) rta__cont_check_frame(m)
#endif

/* The await point proper. callee_k != NULL: the awaited thing suspended.
 * Save F and the resume point in this frame's continuation (reusing the one
 * it was resumed from: one continuation per frame for its whole life), link
 * it after callee_k, leave any try record, return it. On resume (label),
 * re-enter the try block if the await sits in one, take an error handed to
 * this handler, else the value. */
#define RTA__CONT_POINT(id, callee_k, dst)                                                      \
    do {                                                                                        \
        rta_cont *rta__m_ = rta__k_ ? rta__k_ : rta__cont_alloc(&rta__cd_);                      \
        rta__m_->pc = &&RTA__CONT_CAT(rta__r_, id);                                             \
        rta__m_->desc = (rta__m_->desc & ~(uintptr_t)RTA__CONT_F_HANDLER) |                    \
                        (rta__cont_in_try_ ? RTA__CONT_F_HANDLER : 0u);                         \
        *(rta__frame_t *)(void *)(rta__m_ + 1) = F;                                             \
        (callee_k)->next = rta__m_;                                                             \
        if (rta__cont_in_try_)                                                                  \
            rta__cont_try_leave(&rta__cont_t_);                                                 \
        RTA__CONT_CHECK(rta__m_);                                                               \
        return (rta_cret){0, rta__m_};                                                          \
    } while (0);                                                                                \
    RTA__CONT_CAT(rta__r_, id) :                                                                \
    if (rta__cont_in_try_) {                                                                    \
        rta__try_push(&rta__cont_t_, __func__);                                                 \
        if (setjmp(rta__cont_t_.jb) != 0)                                                       \
            goto rta__cth_;                                                                     \
        if (rta__cont_tls.in_error)                                                             \
            rta__cont_rethrow();                                                                \
    }                                                                                           \
    dst = rta__cont_tls.in_value

/* dst = fn(args...), an await point: fn is a cont function. */
#define RTA_CONT_CALL(dst, fn, ...) RTA__CONT_CALL_(__COUNTER__, dst, fn(NULL, ##__VA_ARGS__))
#define RTA__CONT_CALL_(id, dst, call)                                                          \
    do {                                                                                        \
        if (rta__cont_in_handler_)                                                              \
            rta__cont_bad_await(__func__);                                                      \
        rta_cret rta__c_ = call;                                                                \
        if (__builtin_expect(rta__c_.k != NULL, 0)) {                                           \
            RTA__CONT_POINT(id, rta__c_.k, rta__c_.v);                                          \
        }                                                                                       \
        dst = rta__c_.v;                                                                        \
    } while (0)

/* dst = the result of any awaitable (the spec's AwaitAwaiterFromRuntimeAsync):
 * completes synchronously when is_completed, else suspends the chain and,
 * once it is off the stack, registers the root with the awaiter. self must
 * stay valid until resumption. get_result's error is thrown at this point.
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
#define RTA__CONT_AWAIT_(id, dst, ops, self, cfg)                                               \
    do {                                                                                        \
        if (rta__cont_in_handler_)                                                              \
            rta__cont_bad_await(__func__);                                                      \
        const rta_awaiter_ops *rta__o_ = (ops);                                                 \
        void *rta__s_ = (self);                                                                 \
        int64_t rta__v_;                                                                        \
        if (rta__o_->is_completed(rta__s_)) {                                                   \
            rta__v_ = rta__o_->get_result(rta__s_);                                             \
        } else {                                                                                \
            RTA__CONT_POINT(id, rta__cont_await_k(rta__o_, rta__s_, (cfg)), rta__v_);           \
        }                                                                                       \
        dst = rta__v_;                                                                          \
    } while (0)

/* dst = the value of task t (its error is thrown, cancellation throws -ECANCELED). */
#define RTA_CONT_AWAIT_TASK(dst, t) RTA_CONT_AWAIT(dst, &rta_task_awaiter, (t))
#define RTA_CONT_AWAIT_TASK_CFG(dst, t, cfg) RTA_CONT_AWAIT_CFG(dst, &rta_task_awaiter, (t), cfg)
/* The same, consuming the frame's reference to t on both paths (value or
 * error): the leak-free form of await-then-release (rta_await_release). */
#define RTA_CONT_AWAIT_TASK_RELEASE(dst, t) RTA_CONT_AWAIT(dst, &rta_task_release_awaiter, (t))
#define RTA_CONT_AWAIT_TASK_RELEASE_CFG(dst, t, cfg)                                            \
    RTA_CONT_AWAIT_CFG(dst, &rta_task_release_awaiter, (t), cfg)

/* Lets other ready work run, then continues (maybe on another worker). */
#define RTA_CONT_YIELD() RTA__CONT_SUSPEND_(__COUNTER__, rta__cont_yield_k(rta__configure_await))
#define RTA_CONT_YIELD_CFG(cfg) RTA__CONT_SUSPEND_(__COUNTER__, rta__cont_yield_k(cfg))
/* Suspends for at least ms milliseconds. */
#define RTA_CONT_SLEEP_MS(ms)                                                                   \
    RTA__CONT_SUSPEND_(__COUNTER__, rta__cont_sleep_k((ms), rta__configure_await))
#define RTA_CONT_SLEEP_MS_CFG(ms, cfg) RTA__CONT_SUSPEND_(__COUNTER__, rta__cont_sleep_k((ms), (cfg)))
#define RTA__CONT_SUSPEND_(id, mk)                                                              \
    do {                                                                                        \
        if (rta__cont_in_handler_)                                                              \
            rta__cont_bad_await(__func__);                                                      \
        int64_t rta__v_;                                                                        \
        RTA__CONT_POINT(id, mk, rta__v_);                                                       \
        (void)rta__v_;                                                                          \
    } while (0)

/* Structured handlers for cont functions; see the rules above. */
#define RTA_CONT_TRY                                                                            \
    do {                                                                                        \
        __label__ rta__cth_;                                                                    \
        _Static_assert(!rta__cont_in_try_, "RTA_CONT_TRY blocks do not nest within one "       \
                                           "function: move the inner one into its own cont function"); \
        enum { rta__cont_in_try_ = 1 };                                                         \
        rta__try rta__cont_t_;                                                                  \
        rta__try_push(&rta__cont_t_, __func__);                                                 \
        if (setjmp(rta__cont_t_.jb) != 0)                                                       \
            goto rta__cth_;                                                                     \
        {
#define RTA_CONT_CATCH(e)                                                                       \
        }                                                                                       \
        rta__try_pop(&rta__cont_t_);                                                            \
    rta__cth_:                                                                                  \
        if (rta__try_handler(&rta__cont_t_, RTA__CATCH_KIND))                                   \
            for (rta_error *e = rta__cont_t_.err; e; e = NULL)                                  \
                for (int rta__cont_in_handler_ = 1; rta__cont_in_handler_; rta__cont_in_handler_ = 0)
#define RTA_CONT_FINALLY                                                                        \
        }                                                                                       \
        rta__try_pop(&rta__cont_t_);                                                            \
    rta__cth_:                                                                                  \
        if (rta__try_handler(&rta__cont_t_, RTA__FINALLY_KIND))                                 \
            for (int rta__cont_in_handler_ = 1; rta__cont_in_handler_; rta__cont_in_handler_ = 0)
#define RTA_CONT_END_TRY                                                                        \
        rta__try_end(&rta__cont_t_);                                                            \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif
