/*
 * A cont task's async stack for the registry (rta_dump_tasks, the grace
 * report), read when someone asks instead of recorded at every suspension.
 *
 * The stack is the continuation chain from the root's head: each frame's
 * resume point (k->pc), innermost first. Recording it into the entry's
 * frames[] at each suspension walked up to RTA__REG_FRAMES continuations
 * and cost about 176 instructions of the 890 a yielding leaf took in
 * bench_fib (callgrind); a dump is rare, a suspension is not.
 *
 * The writer side (root.c, run_root) is a sequence count in the entry's seq:
 * made odd (store, then a release fence) before the root touches its chain,
 * even again (release store) once the chain is off the stack and r->head is
 * final, before hand_off registers the root with anyone who could resume it.
 * While seq is even and unchanged the root is suspended and nothing writes
 * its chain: continuations belong to their root until it frees them, and it
 * frees them only while it runs (odd).
 *
 * The reader (any thread, the entry's shard lock held, so the root object
 * lives: destroy_root leaves the registry first) reads seq, walks the chain,
 * and keeps the walk only if seq is the same even value after. The walk may
 * meet freed memory when the root ran meanwhile: slab continuations stay
 * mapped until rta_shutdown, but heap ones (RTA__CONT_F_HEAP: started on a
 * thread that is not a worker, or frames too big for the slab classes) go
 * back to malloc, which may unmap them. So every word is read with
 * process_vm_readv on the own process, which reports EFAULT for an unmapped
 * address instead of faulting, and which sanitizers and TSan do not see as
 * an access (the count settles the race). Where that call is unavailable
 * (qemu-user, a seccomp filter: probed once, at the first registration),
 * roots record their frames eagerly at each suspension as before
 * (rta__cont_record_frames) and the registry's own reader takes them.
 */
#define _GNU_SOURCE
#include "cont_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

/* 0: not probed; 1: process_vm_readv works; -1: it does not (eager). Tests
 * set -1 before rta_init to run the eager path (tests/debug). */
_Atomic int rta__cont_frames_lazy;

/* Copies n bytes at src (this process) into dst; false when src is not
 * readable. */
static bool peek(void *dst, const void *src, size_t n)
{
    struct iovec l = {dst, n}, r = {(void *)(uintptr_t)src, n};
    return process_vm_readv(getpid(), &l, 1, &r, 1, 0) == (ssize_t)n;
}

static bool lazy_possible(void)
{
    int s = atomic_load_explicit(&rta__cont_frames_lazy, memory_order_relaxed);
    if (rta__likely(s != 0))
        return s > 0;
    uintptr_t src = 0x5a5a5a5au, dst = 0;
    s = peek(&dst, &src, sizeof dst) && dst == src ? 1 : -1;
    atomic_store_explicit(&rta__cont_frames_lazy, s, memory_order_relaxed);
    return s > 0;
}

/* The registry's lazy_frames for cont roots (see the top of this file). */
static unsigned read_frames(const rta__reg_entry *e, uintptr_t *out, bool *truncated)
{
    const rta__cont_root *r = rta__container_of(e, rta__cont_root, reg);
    rta__reg_entry *me = (rta__reg_entry *)e;
    *truncated = false;
    if (rta__task_done(&r->task))
        return 0; /* its chain is gone */
    for (int tries = 0; tries < 100; tries++) {
        uint32_t s1 = atomic_load_explicit(&me->seq, memory_order_acquire);
        if (s1 & 1)
            return 0; /* running: its frames are a thread's C stack */
        rta_cont *k;
        bool ok = peek(&k, &r->head, sizeof k);
        unsigned n = 0;
        bool more = false;
        while (ok && k) {
            if (n == RTA__REG_FRAMES) {
                more = true;
                break;
            }
            rta_cont c;
            ok = peek(&c, k, sizeof c);
            if (ok) {
                out[n++] = (uintptr_t)c.pc;
                k = c.next;
            }
        }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&me->seq, memory_order_relaxed) != s1)
            continue; /* it ran meanwhile: what was read may be anything */
        if (!ok)
            return 0; /* unreadable with the count unchanged: cannot happen; say nothing */
        *truncated = more;
        return n;
    }
    return 0; /* it kept moving: say nothing rather than a torn stack */
}

void rta__cont_reg_add(rta__cont_root *r)
{
    bool lazy = lazy_possible(); /* a lazy entry has no frames[]: rta__cont_frames_lazy_of */
    if (!lazy && !r->reg_frames)
        r->reg_frames = calloc(RTA__REG_FRAMES, sizeof *r->reg_frames); /* freed with the root */
    /* Without it: frames_cap 0 (taken for lazy, nothing recorded) and no
     * reader: the dump shows the task without frames. */
    rta__reg_add(&r->reg, &r->task, "cont", (const void *)r->u.start.entry, RTA__REG_PC_EXACT,
                 lazy ? read_frames : NULL, lazy ? NULL : r->reg_frames,
                 lazy || !r->reg_frames ? 0 : RTA__REG_FRAMES);
}

void rta__cont_record_frames(rta__cont_root *r)
{
    rta__reg_frames_begin(&r->reg);
    unsigned nf = 0;
    const rta_cont *k = r->head;
    for (; k && nf < RTA__REG_FRAMES; k = k->next)
        atomic_store_explicit(&r->reg_frames[nf++], (uintptr_t)k->pc, memory_order_relaxed);
    rta__reg_frames_end(&r->reg, nf, k != NULL);
}
