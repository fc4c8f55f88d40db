/*
 * Execution regions: mapping, eviction (copy-out) and restoration (copy-back).
 *
 * A suspended tasklet's whole state is the bytes [sp, top) of its region
 * (src/arch/switch.h): the switch leaves its registers there. Eviction copies
 * exactly those bytes; restoration writes them back to the same addresses.
 */
#include "tasklet.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../arch/switch.h"
#include "../../core/symbols.h"
#include "../../arch/sanitizer.h"

/* Generous guard: a frame larger than the guard could jump over it unless
 * the code was built with -fstack-clash-protection (rtasync.pc adds it). It
 * costs address space only. */
#define GUARD_BYTES (64 * 1024)

int rta__region_map(rta__region *r, size_t stack_size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = (stack_size + page - 1) & ~(page - 1);
    size_t guard = (GUARD_BYTES + page - 1) & ~(page - 1);
    char *map = mmap(NULL, guard + size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (map == MAP_FAILED)
        return -errno;
    /* A PROT_NONE guard costs a second mapping per region; regions are per
     * worker, not per task (suspended tasks are copied out), so that is a
     * handful of mappings. MADV_GUARD_INSTALL (Linux 6.13) would save them,
     * but qemu-user accepts it and installs nothing, and a missing guard
     * turns an overflow into silent corruption: not worth a few VMAs. */
    if (mprotect(map, guard, PROT_NONE) != 0) {
        int err = errno;
        munmap(map, guard + size);
        return -err;
    }
    r->map = map;
    r->map_len = guard + size;
    r->lo = map + guard;
    r->top = map + guard + size;
    r->occupant = NULL;
    r->last_use = 0;
    r->vg_id = VALGRIND_STACK_REGISTER(r->lo, r->top);
    return 0;
}

void rta__region_unmap(rta__region *r)
{
    if (!r->map)
        return;
    VALGRIND_STACK_DEREGISTER(r->vg_id);
    munmap(r->map, r->map_len);
    r->map = NULL;
}

/* Number of frames in a captured stack (walks saved frame pointers). */
static size_t count_frames(const rta__region *r, const char *sp, const char *data)
{
    return rta__region_frames(r, sp, data, NULL, SIZE_MAX);
}

_Atomic int rta__tasklet_fail_evictions;

/* Consumes one injected failure, if any is left (test hook). */
static bool fail_injected(void)
{
    int n = atomic_load_explicit(&rta__tasklet_fail_evictions, memory_order_relaxed);
    while (n > 0 && !atomic_compare_exchange_weak_explicit(&rta__tasklet_fail_evictions, &n, n - 1,
                                                          memory_order_relaxed, memory_order_relaxed))
        ;
    return n > 0;
}

/* Copies t's frames out of its region. Returns false, changing nothing, when
 * no memory can be had for the copy. */
static bool evict(rta__worker *wk, rta__tasklet *t)
{
    rta__region *r = t->region;
    if (t->pinned)
        return false; /* someone reads or writes its frames: it stays */
    size_t len = (size_t)(r->top - (char *)t->sp);
    if (t->saved_cap < len) {
        size_t cap = (len + 255) & ~(size_t)255;
        void *buf = fail_injected() ? NULL : realloc(t->saved, cap);
        if (!buf)
            return false;
        t->saved = buf;
        t->saved_cap = cap;
    }
    rta__asan_unpoison(t->sp, len);
    memcpy(t->saved, t->sp, len);
    t->saved_len = len;
    /* The registry's readers walk a resident task's region in place but
     * cannot follow the copy (its owner may free or reuse it): its frames
     * are recorded now, before the region changes hands. The fences: a
     * reader that sees the new occupant sees these frames, and sees it
     * before any byte the next occupant writes (rta__tasklet_reg_frames). */
    if (t->reg.shard)
        rta__reg_capture_fp(&t->reg, atomic_load_explicit(&t->reg.susp_fp, memory_order_relaxed),
                            (uintptr_t)r->lo, (uintptr_t)r->top);
    atomic_thread_fence(memory_order_release);
    r->occupant = NULL;
    atomic_thread_fence(memory_order_release);
    RTA__STAT_INC(wk, evictions, 1);
    RTA__STAT_INC(wk, bytes_copied, len);
    RTA__STAT_INC(wk, frames_captured, count_frames(r, t->sp, t->saved));
    return true;
}

bool rta__region_enter(rta__worker *wk, rta__region *r, rta__tasklet *t)
{
    if (r->occupant == t)
        return true;
    /* The occupant must go for t to come back, and t can only come back to
     * this region. Without memory for the occupant's copy, nothing changes
     * and the caller retries later (a server must not die because one
     * resume found no memory; issue 20). */
    if (r->occupant && !evict(wk, r->occupant))
        return false;
    size_t len = t->saved_len;
    if ((char *)t->sp != r->top - len)
        rta__fatal("task %llu: saved stack does not end at its region top", (unsigned long long)t->task.id);
    rta__asan_unpoison(t->sp, len);
    /* valgrind: the bytes may lie below where the region's last occupant
     * unwound to, which memcheck considers dead stack (see sanitizer.h). */
    rta__vg_make_addressable(t->sp, len);
    memcpy(t->sp, t->saved, len);
    RTA__STAT_INC(wk, bytes_copied, len);
    atomic_thread_fence(memory_order_release); /* the bytes before the occupant (a lazy reader) */
    r->occupant = t;
    return true;
}

rta__region *rta__region_pick(rta__worker *wk, const rta__region *avoid)
{
    rta__tasklet_worker *tw = rta__tasklet_tw(wk);
    rta__region *lru = NULL;
    for (unsigned i = 0; i < tw->nregions; i++) {
        rta__region *r = &tw->regions[i];
        if (r == avoid)
            continue;
        if (!r->occupant)
            return r;
        if (r->occupant->pinned)
            continue;
        if (!lru || r->last_use < lru->last_use)
            lru = r;
    }
    if (lru)
        return evict(wk, lru->occupant) ? lru : NULL;
    /* Every other region is held by a pinned tasklet (waiting on the
     * blocking pool, say): one more, so that this one can start. */
    if (!avoid && tw->nregions < tw->cap &&
        rta__region_map(&tw->regions[tw->nregions], rta__rt.stack_size) == 0)
        return &tw->regions[tw->nregions++];
    return NULL;
}

bool rta__regions_all_pinned(rta__worker *wk)
{
    rta__tasklet_worker *tw = rta__tasklet_tw(wk);
    for (unsigned i = 0; i < tw->nregions; i++)
        if (!tw->regions[i].occupant || !tw->regions[i].occupant->pinned)
            return false;
    return tw->nregions > 0;
}

/* Walks the frame-pointer chain of a suspended stack. `data` holds the bytes
 * that belong at [sp, top) (the region itself or an evicted copy), so each
 * address is translated into it. The switch saved the innermost frame
 * pointer at a fixed offset of the saved area. */
size_t rta__region_frames(const rta__region *r, const char *sp, const char *data, rta_frame_info *out,
                          size_t max)
{
    const char *top = r->top;
#define AT(addr) (*(const uintptr_t *)(data + ((const char *)(addr) - sp)))
    uintptr_t fp = AT(sp + RTA__CTX_FP_OFFSET);
    size_t n = 0;
    while (fp >= (uintptr_t)sp && fp + 16 <= (uintptr_t)top && (fp & 7) == 0) {
        uintptr_t next = AT(fp), ret = AT(fp + 8);
        if (ret == 0)
            break;
        if (out && n < max) {
            out[n].pc = (const void *)ret;
#if defined(__aarch64__) && !defined(__clang__)
            /* GCC on AArch64 puts a frame's record at its bottom, below the
             * callee-saves and locals: the frame of the function ret is in
             * starts at next and ends at the record above it. */
            uintptr_t nn = next > fp && next + 16 <= (uintptr_t)top ? AT(next) : 0;
            out[n].size = next > fp ? (size_t)((nn > next ? nn : (uintptr_t)top) - next)
                                    : (size_t)((uintptr_t)top - fp);
#else
            out[n].size = next > fp ? next - fp : (size_t)((uintptr_t)top - fp);
#endif
            if (!rta__symbolize(ret - 1, out[n].name, sizeof out[n].name, NULL))
                out[n].name[0] = '\0';
        }
        n++;
        if (next <= fp)
            break;
        fp = next;
    }
#undef AT
    return n;
}

/* The registry's lazy frames of a tasklet (registry.h), on any thread with
 * the entry's shard lock held (so the tasklet object lives). Only the owner
 * worker moves a tasklet's frames; this reads them without stopping it, as
 * a sequence lock's reader does, the region's last_use being the count:
 *  - every entry into a region stores a new last_use (the worker's tick,
 *    which grows at every pick) before the tasklet entered runs;
 *  - a resumed tasklet stores RUNNING, then a release fence, before it
 *    touches its frames (rta__reg_resumed);
 *  - an eviction records the frames in the entry, then changes the
 *    occupant (fences on both sides); a copy-in finishes before the
 *    occupant is set back.
 * So a walk from the suspension's frame (susp_fp) inside the region that
 * begins and ends with the same last_use and occupant == t, and no RUNNING
 * state, read frames nobody changed. Regions stay mapped while the runtime
 * runs, and only a pending (suspended) tasklet is walked. */
__attribute__((no_sanitize("address", "thread"))) unsigned
rta__tasklet_reg_frames(const rta__reg_entry *e, uintptr_t *out, bool *truncated)
{
    const rta__tasklet *t = rta__container_of(e, rta__tasklet, reg);
    *truncated = false;
    if (rta__task_done(&t->task))
        return 0;
    for (int tries = 0; tries < 100; tries++) {
        if (atomic_load_explicit(&e->state, memory_order_acquire) == RTA__REG_RUNNING)
            return 0; /* its stack is live: the dump prints none */
        const rta__region *r = t->region; /* fixed from its start, before its first suspension */
        uint64_t use = *(const volatile uint64_t *)&r->last_use;
        const rta__tasklet *occ = *(const rta__tasklet *const volatile *)&r->occupant;
        atomic_thread_fence(memory_order_acquire);
        if (occ != t)
            return rta__reg_frames_recorded(e, out, truncated); /* evicted: recorded then */
        uintptr_t fp = atomic_load_explicit(&e->susp_fp, memory_order_relaxed);
        unsigned n = rta__reg_walk_fp(fp, (uintptr_t)r->lo, (uintptr_t)r->top, out, truncated);
        atomic_thread_fence(memory_order_acquire);
        if (*(const volatile uint64_t *)&r->last_use == use &&
            *(const rta__tasklet *const volatile *)&r->occupant == t &&
            atomic_load_explicit(&e->state, memory_order_relaxed) != RTA__REG_RUNNING)
            return n;
    }
    *truncated = false;
    return 0; /* it kept moving: say nothing rather than a torn stack */
}
