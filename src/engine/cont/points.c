/*
 * What the lowering macros call at await points: the runtime's own "callees"
 * that start a suspension (await, yield, sleep), try-record plumbing across
 * a suspension, and the debug check for stack pointers in saved frames.
 *
 * The await helpers are the spec's AwaitAwaiterFromRuntimeAsync: they record
 * what to wait for in thread-local state and return the per-thread sentinel
 * as if it were a suspended callee's continuation. Every frame on the way out
 * links itself after it, so sentinel.next ends up as the innermost frame and
 * the root finds the whole chain and the awaiter in TLS once the C stack is
 * unwound. Nothing is registered before that: a completion on another thread
 * cannot resume frames that are still running.
 */
#include "cont_internal.h"

#include <errno.h>
#include <string.h>

RTA__HIDDEN const char *rta__handler_func(const rta__exec *x);

/* How this suspension resumes, from the root's context as it is at the await
 * (rta__cur_exec() is the root's exec while its frames run) and the await's
 * configure-await flag, written into the running root (rta__cont_thr.root):
 * the root reads it once the chain is off the stack. */
static inline void capture_resume(rta__cont_root *r, bool cfg)
{
    /* errno is the thread's, and the root may resume on another thread:
     * the root keeps the task's value and puts it back (root.c). */
    r->saved_errno = *rta__cont_errnop(&rta__cont_thr);
    const rta__exec *x = rta__cur_exec();
    r->resume_via = rta__resume_plan(x->sync_ctx, x->scheduler, cfg, &r->resume_target);
}

rta_cont *rta__cont_await_k(const rta_awaiter_ops *ops, void *self, bool cfg)
{
    rta__cont_thread *ct = &rta__cont_thr;
    rta__cont_root *r = ct->root;
    r->op = RTA__CONT_OP_AWAIT;
    ct->ops = ops;
    ct->self = self;
    capture_resume(r, cfg);
    return &rta__cont_tls.sentinel;
}

void rta__cont_await_moved(const void *frame, size_t size, void *copy)
{
    rta__cont_thread *ct = &rta__cont_thr;
    uintptr_t off = (uintptr_t)ct->self - (uintptr_t)frame;
    if (ct->root->op == RTA__CONT_OP_AWAIT && off < size)
        ct->self = (char *)copy + off;
}

rta_cont *rta__cont_sleep_k(uint64_t ms, bool cfg)
{
    rta__cont_thread *ct = &rta__cont_thr;
    rta__cont_root *r = ct->root;
    if (ms == 0) {
        r->op = RTA__CONT_OP_YIELD;
    } else {
        r->op = RTA__CONT_OP_SLEEP;
        ct->sleep_ms = ms;
    }
    capture_resume(r, cfg);
    return &rta__cont_tls.sentinel;
}

/* A frame suspends inside an RTA_CONT_TRY body: its record is about to die
 * with the C frame. It is the innermost record (callees left theirs, and
 * nothing else can be pushed between), so popping it restores the chain. */
void rta__cont_try_leave(rta__try *t)
{
    rta__exec *x = rta__cur_exec();
    if (rta__unlikely(x->try_top != t))
        rta__fatal("cont: suspending in '%s' with a foreign handler record on top", t->func);
    x->try_top = t->prev;
}

/* At a resumed await inside a try block: the dispatcher handed this frame an
 * error; throwing it lands in the record the frame just re-entered. */
void rta__cont_rethrow(void)
{
    rta_error *e = rta__cont_tls.in_error;
    rta__cont_tls.in_error = NULL;
    rta_throw_error(e);
}

void rta__cont_bad_await(const char *func)
{
    rta_throw(RTA_EINVALIDPROGRAM, "await inside a catch or finally handler in function '%s'", func);
}

/* Debug builds: a saved frame word that points into the stack region the
 * chain is leaving (from here up to the root's frame) will dangle after the
 * suspension. Words are scanned at every 8-byte offset; a false positive
 * needs an integer that happens to look like an address of this stack. The
 * first hit is recorded and the root faults the task with it. */
void rta__cont_check_frame(rta_cont *k)
{
    rta__cont_thread *ct = &rta__cont_thr;
    uintptr_t lo = (uintptr_t)__builtin_frame_address(0), hi = ct->root_sp;
    const rta_cont_desc *d = rta__cont_desc(k);
    const unsigned char *data = (const unsigned char *)(k + 1);
    if (ct->susp_error || hi == 0)
        return;
    for (size_t off = 0; off + sizeof(uintptr_t) <= d->frame_size; off += sizeof(uintptr_t)) {
        uintptr_t w;
        memcpy(&w, data + off, sizeof w);
        if (w >= lo && w < hi) {
            ct->susp_error =
                rta_error_new(RTA_EINVALIDPROGRAM,
                              "cont function '%s' holds a pointer into the stack across a suspension (frame "
                              "offset %zu): pointers to locals do not survive an await in the cont engine",
                              d->name, off);
            if (!ct->susp_error)
                ct->susp_error = rta__error_oom();
            return;
        }
    }
}

void rta__cont_check_frame_every(rta_cont *k)
{
    rta__cont_tls.check_left = (int32_t)RTA__CONT_CHECK_EVERY - 1;
    rta__cont_check_frame(k);
}
