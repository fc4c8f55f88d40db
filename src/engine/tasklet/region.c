/*
 * Execution regions: mapping, eviction (copy-out) and restoration (copy-back).
 *
 * A suspended tasklet's whole state is the bytes [sp, top) of its region
 * (src/arch/switch.h): the switch leaves its registers there. Eviction copies
 * exactly those bytes; restoration writes them back to the same addresses.
 */
#include "tasklet.h"

#include <errno.h>
#include <stdlib.h>
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

/* Stack colours (issue 21). Regions are a whole number of pages apart, so
 * without them every region's top, and with it the top lines of every
 * suspended tasklet's stack (the switch's saved registers and the
 * suspending frames: what each resume reads), would sit at the same offset
 * in its page. Caches pick a line's set from its address bits above the
 * line: L1 from the page offset alone (64 sets of 12 ways on this
 * machine's cores), L2 from the offset and four bits of the physical page
 * (1,024 sets of 16 ways). All those stack lines then compete for a dozen
 * L1 ways and 16 x 16 L2 lines: past a few hundred tasks on a worker each
 * resume fetched its stack from L3, however small the working set. So a
 * region's top lies STACK_COLORS colours of COLOR_STEP bytes apart from its
 * neighbours' (its index in the chunk modulo STACK_COLORS: 0 to 1,984 bytes
 * below the end of its range), and each region is a page longer, so that
 * stack_size bytes remain below every top (rta__region_lo). A task's first
 * 2 KiB of frames stay in the top page (a task parked at depth 10 holds
 * 232 bytes), so colouring costs no resident page. */
#define STACK_COLORS 32u
#define COLOR_STEP 64u

/* Regions are mapped on demand, a chunk at a time: the first chunk of a
 * worker holds FIRST_CHUNK regions (mapped at rta_init, so that a runtime
 * that cannot map one fails there), each next one twice the last, up to
 * MAX_CHUNK. One mmap per chunk; with MADV_GUARD_INSTALL the guards live
 * inside it (one VMA per chunk), else each guard is an mprotect'ed range
 * (two more VMAs per region). */
#define FIRST_CHUNK 8u
#define MAX_CHUNK 256u

/* How guards are made (probed once, rta__region_probe_guard). */
static enum { GUARD_UNPROBED, GUARD_MADVISE, GUARD_MPROTECT } guard_kind;

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13 (uapi asm-generic/mman-common.h) */
#endif

/* Guards are PROT_NONE ranges (mprotect) unless RTA_GUARD=madvise asks for
 * MADV_GUARD_INSTALL (Linux 6.13), which keeps a chunk one VMA instead of
 * two per region (vm.max_map_count) but which gdb's gcore cannot get past:
 * it reads a mapping in one piece, and a guard marker fails the whole read
 * ("Memory read failed for corefile section"), so a core taken with gcore
 * would hold no tasklet stack (docs/tasklet.md). Even when asked, it is used
 * only where it works: the call must succeed *and* the page must fault.
 * qemu-user accepts the advice and installs nothing, so the probe has the
 * kernel write into the page (read(2) from a pipe): a real guard makes that
 * fail with EFAULT, where a plain page takes the byte. */
void rta__region_probe_guard(void)
{
    guard_kind = GUARD_MPROTECT; /* again at each rta_init: RTA_GUARD may have changed */
    const char *want = getenv("RTA_GUARD");
    if (!want || strcmp(want, "madvise") != 0)
        return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    int fds[2];
    if (madvise(p, page, MADV_GUARD_INSTALL) == 0 && pipe(fds) == 0) {
        ssize_t w = write(fds[1], "x", 1);
        errno = 0;
        ssize_t n = w == 1 ? read(fds[0], p, 1) : 0;
        if (w == 1 && n < 0 && errno == EFAULT)
            guard_kind = GUARD_MADVISE;
        close(fds[0]);
        close(fds[1]);
    }
    munmap(p, 2 * page);
}

bool rta__region_guard_is_madvise(void)
{
    return guard_kind == GUARD_MADVISE;
}

/* Maps one chunk of n regions and adds them to tw's free list. */
static int map_chunk(rta__tasklet_worker *tw, unsigned n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = (rta__tasklet_cfg.stack_size + page - 1) & ~(page - 1);
    size_t guard = (GUARD_BYTES + page - 1) & ~(page - 1);
    size_t one = guard + size + page; /* the page: room for the colour (above) */
    RTA__ASSERT(size == rta__tasklet_cfg.region_bytes && STACK_COLORS * COLOR_STEP <= page);
    rta__region_chunk *c = malloc(sizeof *c + n * sizeof(rta__region));
    if (!c)
        return -ENOMEM;
    c->vg_ids = NULL;
    if (RUNNING_ON_VALGRIND && !(c->vg_ids = malloc(n * sizeof *c->vg_ids))) {
        free(c);
        return -ENOMEM;
    }
    char *map = mmap(NULL, one * n, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (map == MAP_FAILED) {
        int err = errno;
        free(c->vg_ids);
        free(c);
        return -err;
    }
    for (unsigned i = 0; i < n; i++) {
        char *g = map + i * one;
        int rc = guard_kind == GUARD_MADVISE ? madvise(g, guard, MADV_GUARD_INSTALL)
                                             : mprotect(g, guard, PROT_NONE);
        if (rc != 0) {
            /* mprotect splits the mapping: past vm.max_map_count it fails
             * (ENOMEM); the caller then shares the regions it has. */
            int err = errno;
            munmap(map, one * n);
            free(c->vg_ids);
            free(c);
            return -err;
        }
    }
    c->map = map;
    c->map_len = one * n;
    c->n = n;
    for (unsigned i = n; i-- > 0;) {
        rta__region *r = &c->r[i];
        /* Its range is [map + i * one + guard, map + (i + 1) * one), its
         * top a colour below the end and rta__region_lo(r) stack_size
         * below the top: within the range, since the colour is under a page. */
        r->top = map + (i + 1) * one - (i % STACK_COLORS) * COLOR_STEP;
        r->occupant = NULL;
        r->last_use = 0;
        r->nbound = 0;
        r->dirty = false;
        r->est_pages = 0;
        r->idle_shift = 0;
        r->compacted = false;
        if (c->vg_ids)
            c->vg_ids[i] = VALGRIND_STACK_REGISTER(rta__region_lo(r), r->top);
        r->next_free = tw->free_regions;
        tw->free_regions = r;
    }
    /* Published last: the overflow handler may read the chunks from any
     * thread (guard_region_of). */
    atomic_store_explicit(&tw->chunks[tw->nchunks], c, memory_order_release);
    atomic_store_explicit(&tw->nchunks_pub, tw->nchunks + 1, memory_order_release);
    tw->nchunks++;
    tw->nregions += n;
    return 0;
}

/* The next chunk's size: doubling from FIRST_CHUNK, within the cap. */
static unsigned next_chunk_size(const rta__tasklet_worker *tw)
{
    unsigned n = FIRST_CHUNK << (tw->nchunks < 6 ? tw->nchunks : 6);
    if (n > MAX_CHUNK)
        n = MAX_CHUNK;
    if (n > tw->cap - tw->nregions)
        n = tw->cap - tw->nregions;
    return n;
}

int rta__regions_init(rta__tasklet_worker *tw, unsigned cap)
{
    unsigned maxchunks = 0;
    for (unsigned total = 0, k = 0; total < cap; k++, maxchunks++) {
        unsigned n = FIRST_CHUNK << (k < 6 ? k : 6);
        total += n > MAX_CHUNK ? MAX_CHUNK : n;
    }
    maxchunks += RTA__PINNED_EXTRA_REGIONS / FIRST_CHUNK; /* pinned tasks' extra chunks */
    tw->chunks = calloc(maxchunks, sizeof *tw->chunks);
    if (!tw->chunks)
        return -ENOMEM;
    tw->maxchunks = maxchunks;
    tw->cap = cap;
    return map_chunk(tw, next_chunk_size(tw));
}

void rta__regions_fini(rta__tasklet_worker *tw)
{
    for (unsigned k = 0; k < tw->nchunks; k++) {
        rta__region_chunk *c = tw->chunks[k];
        for (unsigned i = 0; c->vg_ids && i < c->n; i++)
            VALGRIND_STACK_DEREGISTER(c->vg_ids[i]);
        /* ASan: the frames a task was in at its last switch never returned,
         * so their redzones are still poisoned in the shadow; a later
         * mapping at these addresses would read as a stack overflow
         * (tests/tasklet/test_regions_unmapped.c). */
        rta__asan_unpoison(c->map, c->map_len);
        munmap(c->map, c->map_len);
        free(c->vg_ids);
        free(c);
    }
    free(tw->chunks);
    tw->chunks = NULL;
    tw->nchunks = tw->nregions = 0;
}

rta__region *rta__region_of_guard(const rta__tasklet_worker *tw, const char *addr)
{
    unsigned n = atomic_load_explicit(&tw->nchunks_pub, memory_order_acquire);
    for (unsigned k = 0; k < n; k++) {
        rta__region_chunk *c = atomic_load_explicit(&tw->chunks[k], memory_order_acquire);
        if (!c || addr < c->map || addr >= c->map + c->map_len)
            continue;
        rta__region *r = &c->r[(size_t)(addr - c->map) / (c->map_len / c->n)];
        return addr < rta__region_lo(r) ? r : NULL;
    }
    return NULL;
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

bool rta__region_evict(rta__worker *wk, rta__tasklet *t, bool exact)
{
    rta__region *r = t->region;
    if (t->pinned)
        return false; /* someone reads or writes its frames: it stays */
    size_t len = (size_t)(r->top - (char *)t->sp);
    /* A compaction's copy may stay for hours: just the live bytes (a buffer
     * kept from an earlier eviction may be larger). An eviction's buffer
     * is rounded up, so that the next one (after the task ran a little
     * deeper) reuses it. */
    size_t want = exact ? len : (len + 255) & ~(size_t)255;
    /* The registry's readers walk the copy of an evicted task
     * (rta__tasklet_reg_frames): it changes only under the entry's sequence
     * count (odd meanwhile), and moves or is freed only under its shard
     * lock, which they hold. */
    bool reg = t->reg.shard != NULL;
    bool move = exact ? t->saved_cap != want : t->saved_cap < len;
    if (reg && move)
        rta__reg_lock(&t->reg);
    if (reg)
        rta__reg_frames_begin(&t->reg);
    if (move) {
        size_t cap = want;
        /* The test hook fails evictions only: a failed compaction merely
         * leaves the task resident. */
        void *buf = !exact && fail_injected() ? NULL : realloc(t->saved, cap);
        if (!buf) {
            if (reg) {
                rta__reg_seq_end(&t->reg);
                rta__reg_unlock(&t->reg);
            }
            return false;
        }
        t->saved = buf;
        t->saved_cap = (uint32_t)cap;
    }
    rta__asan_unpoison(t->sp, len);
    memcpy(t->saved, t->sp, len);
    t->saved_len = (uint32_t)len;
    if (reg) {
        rta__reg_seq_end(&t->reg);
        if (move)
            rta__reg_unlock(&t->reg);
    }
    /* The fences: a reader that sees the new occupant sees the copy, and
     * sees it before any byte the next occupant writes. */
    atomic_thread_fence(memory_order_release);
    r->occupant = NULL;
    atomic_thread_fence(memory_order_release);
    if (exact)
        RTA__STAT_INC(wk, compactions, 1);
    else
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
    if (r->occupant && !rta__region_evict(wk, r->occupant, false))
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
    rta__region_dirtied(wk, rta__tasklet_tw(wk), r);
    atomic_thread_fence(memory_order_release); /* the bytes before the occupant (a lazy reader) */
    r->occupant = t;
    return true;
}

void rta__region_release(rta__tasklet_worker *tw, rta__region *r)
{
    /* The range stays mapped (its address is where the frames of the tasks
     * bound to it belong); its pages read as zeros until written again. A
     * failure (none expected: the range is ours) only keeps them. */
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = (uintptr_t)rta__region_lo(r) & ~(page - 1); /* not page-aligned with a colour */
    uintptr_t hi = ((uintptr_t)r->top + page - 1) & ~(page - 1);
    (void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
    if (r->dirty) {
        r->dirty = false;
        tw->ndirty--;
    }
    tw->resident_pages -= r->est_pages;
    r->est_pages = 0;
}

/* Past the cap (or when no chunk can be mapped), a new tasklet shares a
 * region: the least recently used of a window of SHARE_WINDOW regions from a
 * clock hand (an exact LRU over thousands of regions would cost a scan per
 * start); its occupant, if any, is evicted. */
#define SHARE_WINDOW 16u

static rta__region *region_at(const rta__tasklet_worker *tw, unsigned i)
{
    for (unsigned k = 0; k < tw->nchunks; k++) {
        if (i < tw->chunks[k]->n)
            return &tw->chunks[k]->r[i];
        i -= tw->chunks[k]->n;
    }
    return NULL;
}

rta__region *rta__region_pick(rta__worker *wk, const rta__region *avoid)
{
    rta__tasklet_worker *tw = rta__tasklet_tw(wk);
    rta__region *r = tw->free_regions;
    if (!r && tw->nregions < tw->cap && !tw->map_failed) {
        int rc = map_chunk(tw, next_chunk_size(tw));
        if (rc < 0) {
            /* Typically vm.max_map_count with mprotect guards, or no
             * memory: the regions mapped so far are shared from now on. */
            tw->map_failed = true;
            rta__notice("rtasync: a worker could not map more than %u tasklet regions (%s): "
                        "its tasks share them from now on (stacks copied out and back)",
                        tw->nregions, strerror(-rc));
        }
        r = tw->free_regions;
    }
    if (r) {
        tw->free_regions = r->next_free;
        r->next_free = NULL;
        return r;
    }
    rta__region *lru = NULL;
    for (unsigned k = 0; k < SHARE_WINDOW && k < tw->nregions; k++) {
        tw->hand = (tw->hand + 1) % tw->nregions;
        rta__region *c = region_at(tw, tw->hand);
        if (c == avoid)
            continue;
        if (!c->occupant)
            return c;
        if (c->occupant->pinned)
            continue;
        if (!lru || c->last_use < lru->last_use)
            lru = c;
    }
    /* A window of pinned occupants: look at every region before mapping. */
    for (unsigned i = 0; !lru && i < tw->nregions; i++) {
        rta__region *c = region_at(tw, i);
        if (c == avoid)
            continue;
        if (!c->occupant)
            return c;
        if (!c->occupant->pinned)
            lru = c;
    }
    if (lru)
        return rta__region_evict(wk, lru->occupant, false) ? lru : NULL;
    /* Every other region is held by a pinned tasklet (waiting on the
     * blocking pool, say): one more chunk past the cap, so that this one
     * can start. */
    if (!avoid && tw->nregions < tw->cap + RTA__PINNED_EXTRA_REGIONS && tw->nchunks < tw->maxchunks &&
        map_chunk(tw, FIRST_CHUNK) == 0) {
        r = tw->free_regions;
        tw->free_regions = r->next_free;
        r->next_free = NULL;
        return r;
    }
    return NULL;
}

bool rta__regions_all_pinned(rta__worker *wk)
{
    rta__tasklet_worker *tw = rta__tasklet_tw(wk);
    if (tw->free_regions)
        return false;
    for (unsigned i = 0; i < tw->nregions; i++) {
        const rta__region *c = region_at(tw, i);
        if (!c->occupant || !c->occupant->pinned)
            return false;
    }
    return tw->nregions > 0;
}

void rta__region_unbind(rta__tasklet_worker *tw, rta__region *r)
{
    if (--r->nbound == 0) {
        r->idle_shift = 0; /* the next task bound here is a stranger */
        r->compacted = false;
        r->next_free = tw->free_regions;
        tw->free_regions = r;
    }
}

/* Walks the frame-pointer chain of a suspended stack. `data` holds the bytes
 * that belong at [sp, top) (the region itself or an evicted copy), so each
 * address is translated into it. The switch saved the innermost frame
 * pointer at a fixed offset of the saved area. */
size_t rta__region_frames(const rta__region *r, const char *sp, const char *data, rta_frame_info *out,
                          size_t max)
{
    const char *top = r->top;
#define AT(addr) (*(const uintptr_t *)(data + ((const char *)(addr)-sp)))
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
            return 0;                     /* its stack is live: the dump prints none */
        const rta__region *r = t->region; /* fixed from its start, before its first suspension */
        uint64_t use = *(const volatile uint64_t *)&r->last_use;
        const rta__tasklet *occ = *(const rta__tasklet *const volatile *)&r->occupant;
        atomic_thread_fence(memory_order_acquire);
        if (occ != t) {
            /* Evicted: the same walk over its copy, which nothing moves or
             * frees while the shard lock is held, validated by the
             * sequence count the eviction bumps around its writes (a
             * restore only reads the copy; a new eviction is a new count). */
            uint32_t s1 = atomic_load_explicit(&e->seq, memory_order_acquire);
            if (s1 & 1)
                continue;
            /* After s1: a suspension after the copy was made is followed
             * by a new eviction (a new count) or leaves t resident. */
            uintptr_t fp = atomic_load_explicit(&e->susp_fp, memory_order_relaxed);
            const char *data = *(const char *const volatile *)&t->saved;
            size_t len = *(const volatile uint32_t *)&t->saved_len;
            if (!data || len > rta__tasklet_cfg.region_bytes)
                continue;
            uintptr_t hi = (uintptr_t)r->top;
            unsigned n = rta__reg_walk_fp_copy(fp, hi - len, hi, data, out, truncated);
            atomic_thread_fence(memory_order_acquire);
            if (atomic_load_explicit(&e->seq, memory_order_relaxed) == s1 &&
                *(const rta__tasklet *const volatile *)&r->occupant != t &&
                atomic_load_explicit(&e->state, memory_order_relaxed) != RTA__REG_RUNNING)
                return n;
            continue;
        }
        uintptr_t fp = atomic_load_explicit(&e->susp_fp, memory_order_relaxed);
        unsigned n = rta__reg_walk_fp(fp, (uintptr_t)rta__region_lo(r), (uintptr_t)r->top, out, truncated);
        atomic_thread_fence(memory_order_acquire);
        if (*(const volatile uint64_t *)&r->last_use == use &&
            *(const rta__tasklet *const volatile *)&r->occupant == t &&
            atomic_load_explicit(&e->state, memory_order_relaxed) != RTA__REG_RUNNING)
            return n;
    }
    *truncated = false;
    return 0; /* it kept moving: say nothing rather than a torn stack */
}
