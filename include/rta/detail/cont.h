/*
 * rtasync: the cont engine's machinery (included by rta/cont.h; not API).
 * Everything here is named rta__* / RTA__* and may change with any release:
 * the per-thread state the macros read, the helpers they call, the frame and
 * await-point machinery behind RTA_CONT_FRAME / RTA_CONT_CALL / RTA_CONT_AWAIT
 * (rtac's generated code uses RTA__CONT_FRAME_AS directly). Compiles as C11
 * and as C++17 (rta/detail/cxx.h).
 */
/* C++ note: the resume labels are targets of the frame's indirect goto, so
 * no declaration the macros make may have an initializer between the
 * function's start and a label (C++ forbids jumping past one): locals are
 * declared, then assigned. */
#ifndef RTA_DETAIL_CONT_H
#define RTA_DETAIL_CONT_H

#include "cxx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* rta_cont.desc's low bits. */
#define RTA__CONT_F_HANDLER 1u /* suspended inside an RTA_CONT_TRY: errors stop here */
#define RTA__CONT_F_HEAP 2u    /* from malloc (not a worker's slab) */
/* Finished at its suspension (rtac's tail awaits: nothing but `return E`
 * follows the await, E known then): the dispatcher hands on the value
 * stored at the frame's start instead of resuming the frame. */
#define RTA__CONT_F_DONE 4u
#define RTA__CONT_F_MASK 7u

/* Continuation sizes are multiples of 8; sizes up to this many words come
 * from the workers' slabs and free lists. */
#define RTA__CONT_CLASSES 64

typedef struct rta__cont_tls_t {
    rta_cont sentinel;   /* an await point's stand-in: sentinel.next = innermost frame */
    int64_t in_value;    /* the value handed to the frame being resumed */
    rta_error *in_error; /* set: resume into the frame's handler with this error */
    int32_t check_left;  /* NDEBUG builds: saves until the next stack-pointer check, minus 1 */
    /* RTA_CONT_YIELD's record (rta__cont_yield_here): 1 + the await's
     * configure-await flag, 0 when the suspension is not a yield of that
     * form; read and cleared by the root's hand-off. */
    uint8_t yield;
    /* Free continuations by size / 8. Only worker threads ever put one here
     * (src/engine/cont/alloc.c), so a non-empty list means a worker. */
    rta_cont *free[RTA__CONT_CLASSES];
} rta__cont_tls_t;
RTA_EXTERN extern __thread rta__cont_tls_t rta__cont_tls __attribute__((tls_model("initial-exec")));

RTA_EXTERN rta_cont *rta__cont_alloc(const rta_cont_desc *d);

/* A frame's first suspension takes a continuation: popped from this
 * thread's free list inline (cls is a constant at each await point), else
 * rta__cont_alloc (a new slab, a thread that is not a worker, a big frame).
 * Inline because it runs at about two await points per yielding fib leaf
 * and the call cost more than the pop. */
static inline rta_cont *rta__cont_take(const rta_cont_desc *d, size_t cls)
{
    if (cls < RTA__CONT_CLASSES) {
        rta_cont *k = rta__cont_tls.free[cls];
        if (__builtin_expect(k != NULL, 1)) {
            rta__cont_tls.free[cls] = k->next;
            k->next = NULL;
            k->desc = (uintptr_t)d;
            return k;
        }
    }
    return rta__cont_alloc(d);
}
/* The size class of a continuation holding a frame of `size` bytes. */
#define RTA__CONT_CLS(size) ((sizeof(rta_cont) + (size) + 7) / 8)
/* cfg: the await's configure-await flag (rta/context.h): true resumes through
 * the sync context / scheduler current at the await, false directly. */
/* RTA_CONT_YIELD's "callee": one store and the sentinel, inline. The rest
 * of what the out-of-line await helpers record at the await (the op, errno,
 * the resume plan from the root's context) the root's hand-off works out
 * once the chain is off the stack: nothing between the await and the
 * hand-off changes errno or the root's context (src/engine/cont/root.c).
 * A call to a helper cost about 33 instructions of a yielding fib leaf's
 * (docs/cont.md). */
static inline rta_cont *rta__cont_yield_here(bool cfg)
{
    rta__cont_tls.yield = (uint8_t)(1 + (cfg ? 1 : 0));
    return &rta__cont_tls.sentinel;
}
RTA_EXTERN rta_cont *rta__cont_sleep_k(uint64_t ms, bool cfg);
RTA_EXTERN rta_cont *rta__cont_await_k(const rta_awaiter_ops *ops, void *self, bool cfg);
/* An awaiter inside F (e.g. RTA_CONT_AWAIT(v, &rta_vtask_awaiter, &F.vt)) is
 * registered at its saved copy: F itself is a stack local that is gone once
 * the chain has returned, when the awaiter is registered (the awaiter then
 * read a dead stack slot: core_vtask_engines under TSan). */
RTA_EXTERN void rta__cont_await_moved(const void *frame, size_t size, void *copy);
RTA_EXTERN void rta__cont_try_leave(rta__try *t);
RTA_EXTERN RTA_NORETURN void rta__cont_rethrow(void);
RTA_EXTERN RTA_NORETURN void rta__cont_bad_await(const char *func);
RTA_EXTERN void rta__cont_check_frame(rta_cont *k);
/* NDEBUG builds' sampled check: rta__cont_check_frame, and the countdown
 * (check_left) set to the next RTA__CONT_CHECK_EVERY saves. */
RTA_EXTERN void rta__cont_check_frame_every(rta_cont *k);
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
#define RTA__CONT_Z2(T, a) , RTA__ZERO(T)
#define RTA__CONT_Z4(T, a, ...) , RTA__ZERO(T) RTA__CONT_Z2(__VA_ARGS__)
#define RTA__CONT_Z6(T, a, ...) , RTA__ZERO(T) RTA__CONT_Z4(__VA_ARGS__)
#define RTA__CONT_Z8(T, a, ...) , RTA__ZERO(T) RTA__CONT_Z6(__VA_ARGS__)
#define RTA__CONT_Z10(T, a, ...) , RTA__ZERO(T) RTA__CONT_Z8(__VA_ARGS__)
#define RTA__CONT_Z12(T, a, ...) , RTA__ZERO(T) RTA__CONT_Z10(__VA_ARGS__)
#define RTA__CONT_PARAMS(...) RTA__CONT_CAT(RTA__CONT_P, RTA__CONT_NARG(__VA_ARGS__))(__VA_ARGS__)
#define RTA__CONT_ZEROS(...) RTA__CONT_CAT(RTA__CONT_Z, RTA__CONT_NARG(__VA_ARGS__))(__VA_ARGS__)

/* gcc's -Wclobbered: await points inside RTA_CONT_TRY call setjmp again at
 * their resume labels, which every computed-goto edge can reach, so gcc
 * flags nearly every register local of such a function. What survives an
 * await is F by construction; the handler rules above cover the rest. The
 * warning is off from the first cont function to the end of the file
 * (a pragma cannot be popped after a function body from a macro). */
/* Cont functions start on a 64-byte line: their cost then does not depend
 * on where the linker happens to put them. rtac's fib and the identical
 * hand-lowered one (the same instructions, callgrind 32.5 per call) timed
 * 1.10-1.13x apart while the generated one started 16 bytes into a line
 * and the hand one 32 bytes in (AMD EPYC: the hot call/return loop of a
 * recursive function straddles fetch blocks differently), and 0.99x once
 * both sat at the same offset. A compiler's code gets the same treatment
 * from a JIT (method entries aligned). Costs under 64 bytes of padding per
 * cont function. */
#define RTA__CONT_FN_ALIGN 64
/* Label addresses are stored in continuations and jumped to by a later call
 * of the same function, so the function must exist exactly once: no
 * inlining and, for gcc, no cloning (-O3 makes .constprop/.part copies whose
 * labels sit at other addresses). */
#if defined(__GNUC__) && !defined(__clang__)
#define RTA__CONT_FN_ATTRS __attribute__((noinline, noclone, aligned(RTA__CONT_FN_ALIGN)))
#else
#define RTA__CONT_FN_ATTRS __attribute__((noinline, aligned(RTA__CONT_FN_ALIGN)))
#endif

#if defined(__GNUC__) && !defined(__clang__)
#define RTA__CONT_NO_CLOBBERED _Pragma("GCC diagnostic ignored \"-Wclobbered\"")
#else
#define RTA__CONT_NO_CLOBBERED
#endif

/* The same, with the resumption stub and the name traces show given apart
 * (rtac names a cont function apart from the user's async2 prototype). */
#define RTA__CONT_FRAME_AS(stub, display, ...)                                                               \
    typedef struct {                                                                                         \
        __VA_ARGS__                                                                                          \
        char rta__end_[0];                                                                                   \
    } rta__frame_t;                                                                                          \
    RTA__STATIC_ASSERT(RTA__ALIGNOF(rta__frame_t) <= 8, "cont frames hold 8-byte-aligned data at most");     \
    __attribute__((unused)) static const rta_cont_desc rta__cd_ = {                                          \
        stub, display, (uint32_t)sizeof(rta__frame_t), (uint32_t)RTA__CONT_CLS(sizeof(rta__frame_t))};       \
    enum { rta__cont_in_try_ = 0, rta__cont_in_handler_ = 0 };                                               \
    __attribute__((unused)) extern rta__try rta__cont_t_;                                                    \
    /* Zeroed: an await saves all of F (or, in rtac's code, F's live fields),                                \
     * also fields not written yet on its path; registers make this nearly                                   \
     * free, and it keeps saves defined. The resume restores F at the await's                                \
     * label (RTA__CONT_LIVE), so only what that await saved is loaded. */                                   \
    __attribute__((unused)) rta__frame_t F = RTA__ZERO_INIT;                                                 \
    if (__builtin_expect(rta__k_ != NULL, 0))                                                                \
        goto * rta__k_->pc;                                                                                  \
    if (0) { /* the label await points name outside try blocks; its address */                               \
             /* keeps clang's indirect goto legal in a function with no await */                             \
    rta__cth_:                                                                                               \
        (void)&&rta__cth_;                                                                                   \
    }

/* The stack-pointer check of saved frames (rules above): every save in
 * builds without NDEBUG; with NDEBUG one save in RTA__CONT_CHECK_EVERY per
 * thread (a counter and a test on the suspending path, which already copies
 * the frame), so that a frame that keeps a pointer to a local is still
 * caught after a few suspensions in a release build. */
#define RTA__CONT_CHECK_EVERY 64u
#ifdef NDEBUG
/* A countdown: `subl $1, tls; js` at each save (a counter, modulo and test
 * took 5 instructions, about 15 of a yielding fib leaf's 3 saves). The
 * first save of a thread is checked (0 - 1 < 0); the check resets it. */
#define RTA__CONT_CHECK(m)                                                                                   \
    (__builtin_expect(--rta__cont_tls.check_left < 0, 0) ? rta__cont_check_frame_every(m) : (void)0)
#else
#define RTA__CONT_CHECK(m) rta__cont_check_frame(m)
#endif

/* First thing at a resume label. clang 14 -O2 (JumpThreading) copied a
 * label's block for the edge from the resume's indirect goto and retargeted
 * that edge to the copy, while the continuation still held the address of
 * the original block, which the goto no longer listed: the resumed frame
 * ran on with values of the call that started it (a frame field saved at
 * the suspension, e.g. a pointer passed to the next await, read as a stale
 * register; tests/rtac/addr_locals.c crashed). An empty volatile asm at the
 * label keeps the block from being threaded; it emits nothing. */
#define RTA__CONT_LANDING() __asm__ volatile("")

/* What an await point saves into its continuation and restores at its
 * resume label: RTA__CONT_LIVE(S, A, Z, R) applies S to each field to save
 * and restore, A to each array field (copied with memcpy), Z to each field
 * left out (saved as zero bytes, not restored), and R(E) for a tail await.
 * A field is named with its dot: S(.n); S() is all of F, the default, which
 * hand-lowered code keeps. rtac redefines it before each await with that
 * await's live set (docs/rtac.md): a field dead across the await then needs
 * no register across the call, and the resume loads only what lives on.
 * Dead fields are saved as zeros, not skipped: a continuation from the free
 * list holds another frame's bytes, and the debug stack check
 * (RTA__CONT_CHECK) scans every word.
 * R(E): the await is followed by nothing but `return E;` and E's value is
 * known at the suspension (locals and constants): the frame is marked
 * RTA__CONT_F_DONE with E at its start, and the dispatcher completes it
 * with that value instead of resuming it (no activation, no stub call).
 * Frames under 8 bytes cannot hold E: they are resumed as usual, which is
 * why the live fields are still saved. */
#define RTA__CONT_LIVE(S, A, Z, R) S()
#define RTA__CONT_SAVED(k) (*(rta__frame_t *)(void *)((k) + 1))
#define RTA__CONT_SAVE1(f) (RTA__CONT_SAVED(rta__m_) f = F f);
/* (void *) casts: a field may be volatile (setjmp rules in try blocks). */
#define RTA__CONT_SAVEA(f)                                                                                   \
    __builtin_memcpy((void *)&RTA__CONT_SAVED(rta__m_) f, (const void *)&F f, sizeof(F f));
#define RTA__CONT_ZERO1(f) __builtin_memset((void *)&RTA__CONT_SAVED(rta__m_) f, 0, sizeof(F f));
#define RTA__CONT_LOAD1(f) (F f = RTA__CONT_SAVED(rta__k_) f);
#define RTA__CONT_LOADA(f)                                                                                   \
    __builtin_memcpy((void *)&F f, (const void *)&RTA__CONT_SAVED(rta__k_) f, sizeof(F f));
#define RTA__CONT_NOLOAD1(f)
/* memcpy: the bytes may hold a field of another type, saved just before. */
#define RTA__CONT_DONE1(e)                                                                                   \
    if (sizeof(rta__frame_t) >= sizeof(int64_t)) {                                                           \
        int64_t rta__dv_;                                                                                    \
        rta__dv_ = (int64_t)(e);                                                                             \
        __builtin_memcpy((void *)(rta__m_ + 1), &rta__dv_, sizeof rta__dv_);                                 \
        rta__m_->desc |= RTA__CONT_F_DONE;                                                                   \
    }
#define RTA__CONT_NODONE1(e)

/* The handler flag (RTA__CONT_F_HANDLER) of a frame's continuation is set
 * only while the frame is suspended at an await inside its try block:
 * rta__cont_take hands out a continuation with no flags, an await inside a
 * try sets it, and the landing of such an await (reached only by the
 * resume's goto, with rta__k_ the continuation) clears it again. So an await
 * outside a try leaves desc alone (the read-modify-write it did cost 3
 * instructions of every save). */
/* The await point proper. callee_k != NULL: the awaited thing suspended.
 * Save F and the resume point in this frame's continuation (reusing the one
 * it was resumed from: one continuation per frame for its whole life), link
 * it after callee_k, leave any try record, return it. On resume (label),
 * re-enter the try block if the await sits in one, take an error handed to
 * this handler, else the value. */
#define RTA__CONT_POINT(id, callee_k, dst) RTA__CONT_POINT_FIX(id, callee_k, dst, (void)0)
/* fix: run once F is saved (an await moves an awaiter that lives in F to
 * the saved copy: rta__cont_await_moved). */
#define RTA__CONT_POINT_FIX(id, callee_k, dst, fix)                                                          \
    do {                                                                                                     \
        rta_cont *rta__ck_ = (callee_k); /* first: an await's call records what fix moves */                 \
        rta_cont *rta__m_ = rta__k_ ? rta__k_ : rta__cont_take(&rta__cd_, RTA__CONT_CLS(sizeof F));          \
        rta__m_->pc = &&RTA__CONT_CAT(rta__r_, id);                                                          \
        if (rta__cont_in_try_) /* clear otherwise: see the landing */                                        \
            rta__m_->desc |= RTA__CONT_F_HANDLER;                                                            \
        RTA__CONT_LIVE(RTA__CONT_SAVE1, RTA__CONT_SAVEA, RTA__CONT_ZERO1, RTA__CONT_DONE1)                   \
        fix;                                                                                                 \
        rta__ck_->next = rta__m_;                                                                            \
        if (rta__cont_in_try_)                                                                               \
            rta__cont_try_leave(&rta__cont_t_);                                                              \
        RTA__CONT_CHECK(rta__m_);                                                                            \
        return RTA__LIT(rta_cret, 0, rta__m_);                                                               \
    } while (0);                                                                                             \
    RTA__CONT_CAT(rta__r_, id) : RTA__CONT_LANDING();                                                        \
    RTA__CONT_LIVE(RTA__CONT_LOAD1, RTA__CONT_LOADA, RTA__CONT_NOLOAD1, RTA__CONT_NODONE1)                   \
    if (rta__cont_in_try_) {                                                                                 \
        rta__k_->desc &= ~(uintptr_t)RTA__CONT_F_HANDLER;                                                    \
        rta__try_push(&rta__cont_t_, __func__);                                                              \
        if (setjmp(rta__cont_t_.jb) != 0)                                                                    \
            goto rta__cth_;                                                                                  \
        if (rta__cont_tls.in_error)                                                                          \
            rta__cont_rethrow();                                                                             \
    }                                                                                                        \
    dst = rta__cont_tls.in_value

#define RTA__CONT_CALL_(id, dst, call)                                                                       \
    do {                                                                                                     \
        if (rta__cont_in_handler_)                                                                           \
            rta__cont_bad_await(__func__);                                                                   \
        rta_cret rta__c_;                                                                                    \
        rta__c_ = call;                                                                                      \
        if (__builtin_expect(rta__c_.k != NULL, 0)) {                                                        \
            RTA__CONT_POINT(id, rta__c_.k, rta__c_.v);                                                       \
        }                                                                                                    \
        dst = rta__c_.v;                                                                                     \
    } while (0)

#define RTA__CONT_AWAIT_(id, dst, ops, self, cfg)                                                            \
    do {                                                                                                     \
        if (rta__cont_in_handler_)                                                                           \
            rta__cont_bad_await(__func__);                                                                   \
        const rta_awaiter_ops *rta__o_;                                                                      \
        void *rta__s_;                                                                                       \
        rta__o_ = (ops);                                                                                     \
        rta__s_ = (self);                                                                                    \
        int64_t rta__v_;                                                                                     \
        if (rta__o_->is_completed(rta__s_)) {                                                                \
            rta__v_ = rta__o_->get_result(rta__s_);                                                          \
        } else {                                                                                             \
            RTA__CONT_POINT_FIX(id, rta__cont_await_k(rta__o_, rta__s_, (cfg)), rta__v_,                     \
                                rta__cont_await_moved(&F, sizeof F, rta__m_ + 1));                           \
        }                                                                                                    \
        dst = rta__v_;                                                                                       \
    } while (0)

#define RTA__CONT_SUSPEND_(id, mk)                                                                           \
    do {                                                                                                     \
        if (rta__cont_in_handler_)                                                                           \
            rta__cont_bad_await(__func__);                                                                   \
        int64_t rta__v_;                                                                                     \
        RTA__CONT_POINT(id, mk, rta__v_);                                                                    \
        (void)rta__v_;                                                                                       \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif
