/*
 * The tasklet engine: async2 functions are plain C functions running on
 * *execution regions* (mmap'd stacks with a guard) owned by a worker. An await
 * that cannot complete switches straight to the worker's next ready task (to
 * the worker's scheduler context when there is none); the task's
 * frames stay in the region (*resident*) until another task needs the region,
 * and only then are they copied to the heap (*evicted*). Resuming an evicted
 * task copies its frames back to the same addresses, so pointers into them
 * stay valid. See docs/tasklet.md.
 *
 * Invariants:
 *  - A started tasklet is bound to one worker and one region for life.
 *  - region->occupant is the tasklet whose frames are in the region (running
 *    or suspended), or NULL. At most one tasklet per worker runs at a time.
 *  - A tasklet is resident iff region->occupant == it; otherwise, if started
 *    and unfinished, its frames are in saved[0..saved_len) and belong at
 *    [region->top - saved_len, region->top).
 */
#ifndef RTA_TASKLET_H
#define RTA_TASKLET_H

#include "../../arch/sanitizer.h"
#include "../../arch/switch.h"
#include "../../core/registry.h"
#include "../../sched/engine.h"

/* One per region and per worker, 10,000 and more: every byte counts in what
 * a parked tasklet costs (issue 21), so what follows from the chunk or the
 * settings is not stored: the range with its guard (the chunk's mapping
 * divided by its regions; the top lies a colour below the range's end:
 * region.c), the lowest usable byte (rta__region_lo: top less the region's size, the same
 * for every region of a runtime), valgrind's stack ids (the chunk's, kept
 * only under valgrind). 40 bytes. */
typedef struct rta__region {
    char *top; /* stack top (exclusive), 16-byte aligned */
    struct rta__tasklet *occupant;
    uint64_t last_use; /* worker tick of the last switch into it (LRU) */
    /* Started, unfinished tasklets whose home this is (owner only): 1 while
     * regions are plentiful; more once a worker shares them (region.c). At
     * 0 the region is on the worker's free list (next_free). */
    unsigned nbound;
    /* Resident pages as the last idle check saw them (compact.c; a region
     * is at most 1 GiB, 2^18 pages), and whether pages may be committed
     * since the last release (compact.c). idle_shift: this region's idle
     * threshold is rta_config.idle_compact_ms << idle_shift; compacted: its
     * occupant was compacted and has not been back since. A copy back in
     * (a *refault*: the task was not idle for good) raises idle_shift, up to
     * RTA__COMPACT_MAX_SHIFT (compact.c); a region back on the free list
     * starts again at 0. */
    uint32_t est_pages : 26;
    uint32_t idle_shift : 3;
    uint32_t compacted : 1;
    uint32_t dirty : 1;
    struct rta__region *next_free;
} rta__region;

/* A run of regions from one mmap (region.c): never moved nor freed before
 * the worker's fini, so region pointers stay valid. vg_ids: each region's
 * valgrind stack id, NULL when not running under valgrind. */
typedef struct rta__region_chunk {
    char *map;
    size_t map_len;
    unsigned n;
    unsigned *vg_ids;
    rta__region r[];
} rta__region_chunk;

enum rta__suspend_reason {
    RTA__SUSP_NONE = 0,
    RTA__SUSP_YIELD,
    RTA__SUSP_AWAIT,
    RTA__SUSP_SLEEP,
    RTA__SUSP_DONE,
};

/* Layout: what a yield reads or writes of the yielding and of the resumed
 * tasklet (work, worker, region, sp, resume_via, cancel, exec's handler
 * depth and contexts, the registry entry's state, shard and susp_fp) lies
 * in the 136 bytes from work on, three cache lines at most (the object is
 * 16-byte aligned), so that a resume among thousands of tasklets misses on
 * as few lines as can be (issue 21; callgrind's cache simulation in
 * docs/tasklet.md). Checked in tasklet.c. */
typedef struct rta__tasklet {
    rta_task task;       /* first: the handle users hold */
    rta__work work;      /* start or resume on a worker */
    rta__worker *worker; /* owner once started */
    rta__region *region; /* home region once started */
    void *sp;            /* saved stack pointer while suspended */
    /* How the current suspension resumes (enum rta__resume_kind), decided
     * before switching out from the context current at the await and the
     * await's configure-await flag; resume_target is that sync context or
     * scheduler. Read by whoever makes the tasklet ready again. */
    uint8_t resume_via;
    uint8_t reason; /* enum rta__suspend_reason: why it switched out */
    bool started;
    /* Cancellation (rta_task_cancel; protocol in sched.h): CANCEL_REQ once
     * requested, CANCEL_LOCK while the hook slot is used; cancel_hook is the
     * armed wait's, guarded by CANCEL_LOCK. */
    _Atomic uint32_t cancel;
    rta__exec exec; /* its try chain and contexts (locals counted: see rta__ctx) */
    /* In the task registry from its first suspension. Its fn is the task's
     * function from the spawn on (rta__reg_add stores the same): the object
     * keeps no copy of its own, 8 bytes less per parked tasklet (issue 21). */
    rta__reg_entry reg;
    void *arg;
    void *saved; /* evicted frames */
    /* Its live bytes and the buffer's size: a region is at most 1 GiB
     * (rta_config.stack_size), and two 32-bit counts are 8 bytes less per
     * parked tasklet (issue 21). */
    uint32_t saved_len, saved_cap;
    int saved_errno;    /* its errno while suspended by an await or sleep (suspend) */
    rta_status outcome; /* set before RTA__SUSP_DONE */
    int64_t result;
    rta_error *error;
    void *resume_target;              /* rta_sync_ctx * or rta_scheduler *, per resume_via */
    const rta_awaiter_ops *await_ops; /* the awaiter to register with, after switching out */
    void *await_self;
    rta_waiter resume; /* handed to awaiters; fn schedules this tasklet */
    rta__timer timer;  /* for rta_sleep_ms */
    /* sleep_claim: the first of the sleep timer and a cancel to exchange it
     * from 0 resumes the sleeper (see cancel above). */
    rta__cancel_hook *cancel_hook;
    rta__cancel_hook sleep_hook;
    _Atomic int sleep_claim;
    uint32_t pinned; /* rta__resident_pin count: never evicted while > 0 (owner only) */
    /* One word for either tool: a build has ASan or TSan, never both (the
     * compilers refuse the pair), and a parked tasklet is 8 bytes (a malloc
     * chunk of 16) smaller for it (issue 21). */
    union {
        void *asan_fake_stack; /* ASan's fake stack across a switch (ASan builds) */
        void *tsan_fiber;      /* ThreadSanitizer's fiber, from start to finish (TSan builds) */
    };
} rta__tasklet;
#if RTA__ASAN && RTA__TSAN
#error "the tasklet keeps ASan's and TSan's switch state in one word"
#endif

/* Idle checks remembered (compact.c): a check runs about every quarter of
 * the idle threshold, so the newest one at least a threshold old is among
 * the last five or six, and one at least the longest threshold old
 * (RTA__COMPACT_MAX_SHIFT: 16x) among the last 66 or so. Each check looks at
 * a quarter of the regions. */
#define RTA__COMPACT_MAX_SHIFT 4
#define RTA__COMPACT_SWEEPS (4 * (1 << RTA__COMPACT_MAX_SHIFT) + 8)
#define RTA__COMPACT_SLICES 4
typedef struct rta__compact_check {
    uint64_t ns, tick;
} rta__compact_check;

typedef struct rta__tasklet_worker {
    /* Regions (region.c): chunks[0..nchunks) mapped on demand, nregions in
     * all, at most cap (rta_config.regions_per_worker) plus, when every
     * region is held by a pinned tasklet (rta__resident_pin), up to
     * RTA__PINNED_EXTRA_REGIONS more, so that others can still start; free_regions: those
     * no tasklet is bound to, most recently freed first. nchunks_pub is
     * nchunks for other threads (the overflow handler). */
    _Atomic(rta__region_chunk *) *chunks;
    unsigned nchunks, maxchunks, nregions, cap, hand;
    _Atomic unsigned nchunks_pub;
    bool map_failed; /* a chunk could not be mapped: share from now on */
    rta__region *free_regions;
    void *altstack; /* signal stack for the overflow handler */
    /* Recycled tasklet objects (owner only): spawning and releasing on a
     * worker costs no malloc/free. Bounded by FREE_TASKLETS_MAX. */
    struct rta__tasklet *free_tasklets;
    unsigned nfree;
    /* Sanitizer bookkeeping for the scheduler context (the thread's stack). */
    const void *thread_stack_lo;
    size_t thread_stack_size;
    void *tsan_thread_fiber; /* the worker thread's own TSan fiber */
    /* Direct switching (tasklet.c): set by a tasklet right before it
     * switches to the scheduler context, read by the engine's leave hook:
     * which tasklet switched there (not always the one the loop entered:
     * tasklets switch to each other directly), and work it picked that must
     * run on the worker's own stack (other engines' work, or a tasklet that
     * needs the switching one's region). */
    struct rta__tasklet *from;
    rta__work *pending;
    /* Switches from a tasklet to the scheduler context (owner only; read by
     * tests/tasklet/test_direct_switch.c: a yield among ready tasklets makes
     * none). */
    uint64_t to_sched;
    /* Idle compaction (compact.c): a timer every period_ns while any region
     * is dirty (ndirty > 0; compact_armed) queues compact_work, which runs
     * in the scheduler context and looks at the next slice of regions from
     * hand (chunk hand_chunk, index hand_i); sweeps[] remembers when the
     * last checks ran and the worker's tick then (a region entered after a
     * check has a larger last_use); resident_pages sums the regions'
     * est_pages. */
    rta__timer compact_timer;
    rta__work compact_work;
    bool compact_armed;
    unsigned ndirty, hand_chunk, hand_i;
    size_t resident_pages;
    uint64_t period_ns;
    rta__compact_check sweeps[RTA__COMPACT_SWEEPS];
    unsigned nsweeps;
} rta__tasklet_worker;

/* The engine's settings, from rta_config (tasklet.c: the configure hook
 * fills in the defaults and checks them, init keeps them here); fixed while
 * workers run. */
typedef struct rta__tasklet_settings {
    size_t stack_size;           /* usable bytes of a region (rta_config.stack_size) */
    size_t region_bytes;         /* stack_size rounded up to pages: top - lo of every region */
    unsigned regions_per_worker; /* the most regions a worker maps, pinned ones aside */
    unsigned idle_compact_ms;    /* idle compaction (compact.c); RTA_IDLE_COMPACT_OFF: none */
    size_t resident_budget;      /* bytes of resident stacks per worker (SIZE_MAX: none) */
} rta__tasklet_settings;
RTA__HIDDEN extern rta__tasklet_settings rta__tasklet_cfg;

/* The tasklet engine's descriptor (tasklet.c): the scheduler's stackful
 * engine. Its hooks, in the loop: enter, rta__sched_switch_in, leave, from
 * the loop's own frame (src/sched/engine.h says why). */
RTA__HIDDEN extern rta__engine rta__tasklet_engine;

/* This engine's state of worker wk: the stackful engine's slot is fixed, so
 * this is one load at a constant offset. */
static inline rta__tasklet_worker *rta__tasklet_tw(const rta__worker *wk)
{
    RTA__ASSERT(rta__tasklet_engine.slot == RTA__ENGINE_SLOT_STACKFUL);
    return (rta__tasklet_worker *)wk->engine[RTA__ENGINE_SLOT_STACKFUL];
}

/* The tasklet running on this thread, or NULL: the core's rta__tls.stackful,
 * which only this engine (the one stackful engine) sets. */
static inline rta__tasklet *rta__tasklet_cur(void)
{
    return (rta__tasklet *)rta__tls_state.stackful;
}

/* The work function of every tasklet (the engine's run hook): enter, switch,
 * leave in one frame, for callers other than the loop. */
RTA__HIDDEN void rta__tasklet_run(rta__work *w);

/* The lowest usable byte of r: stack_size (rounded up to pages) below its
 * top, less than a page above its guard (the top's colour: region.c). */
static inline char *rta__region_lo(const rta__region *r)
{
    return r->top - rta__tasklet_cfg.region_bytes;
}

/* Regions (region.c). */
RTA__HIDDEN void rta__region_probe_guard(void);
RTA__HIDDEN bool rta__region_guard_is_madvise(void);
/* Maps tw's first chunk; cap: the most regions tw may map. */
RTA__HIDDEN int rta__regions_init(rta__tasklet_worker *tw, unsigned cap);
RTA__HIDDEN void rta__regions_fini(rta__tasklet_worker *tw);
/* The region whose guard holds addr, or NULL; async-signal-safe, any thread. */
RTA__HIDDEN rta__region *rta__region_of_guard(const rta__tasklet_worker *tw, const char *addr);
/* A tasklet bound to r finished: r goes back to the free list at 0. */
RTA__HIDDEN void rta__region_unbind(rta__tasklet_worker *tw, rta__region *r);
/* Makes r hold t's frames: evicts the occupant if it is another tasklet and
 * copies t's frames back if t was evicted. Scheduler context only. False,
 * changing nothing, when the occupant's copy found no memory or the occupant
 * is pinned (rta__resident_pin): the caller retries later. */
RTA__HIDDEN bool rta__region_enter(rta__worker *wk, rta__region *r, rta__tasklet *t);
/* Copies t's frames out of its region (t resident and suspended, owner,
 * scheduler context or another region's stack). exact: a buffer of just
 * the live bytes (a compaction: the copy may stay long), else one rounded
 * up for reuse. False, changing nothing, when t is pinned or no memory could
 * be had for the copy. Counts an eviction unless exact. */
RTA__HIDDEN bool rta__region_evict(rta__worker *wk, rta__tasklet *t, bool exact);
/* Gives r's pages back to the kernel (no tasklet resident in it). */
RTA__HIDDEN void rta__region_release(rta__tasklet_worker *tw, rta__region *r);
/* A region for a tasklet that has not started: a free one (mapping a new
 * chunk if the cap allows), else one shared with other tasklets, the least
 * recently used of a window whose occupant is not pinned (its occupant is
 * evicted), never `avoid` (the region of the tasklet whose stack the call
 * runs on, or NULL). When every region is held by a pinned tasklet, a new
 * chunk is mapped past the cap (avoid == NULL only). The caller binds it
 * (nbound++). NULL when there is none or the eviction found no memory:
 * called with avoid == NULL, the new tasklet then retries later when every
 * region is pinned, else faults with -ENOMEM. */
RTA__HIDDEN rta__region *rta__region_pick(rta__worker *wk, const rta__region *avoid);
/* Whether every region of wk is held by a pinned tasklet (rta__resident_pin):
 * then no region can be had until one unpins, which is not a lack of memory. */
RTA__HIDDEN bool rta__regions_all_pinned(rta__worker *wk);
/* How many regions a worker may add for pinned tasklets. */
#define RTA__PINNED_EXTRA_REGIONS 4096
/* Frame metadata of the frames between sp and top (innermost first). */
RTA__HIDDEN size_t rta__region_frames(const rta__region *r, const char *sp, const char *data,
                                      rta_frame_info *out, size_t max);

/* The registry's lazy frames of a suspended tasklet (region.c says how a
 * reader on another thread gets a consistent copy). */
RTA__HIDDEN unsigned rta__tasklet_reg_frames(const rta__reg_entry *e, uintptr_t *out, bool *truncated);

/* Test hook: while positive, each eviction that needs memory fails as if out
 * of memory and decrements it (tests/tasklet/test_oom*.c); the only way to
 * reach that path on purpose. */
extern _Atomic int rta__tasklet_fail_evictions;

/* Idle compaction (compact.c). */
RTA__HIDDEN void rta__compact_init(rta__tasklet_worker *tw);
RTA__HIDDEN void rta__compact_arm(rta__worker *wk);
/* r's compacted occupant was copied back in (tasklet.c's resume, owner
 * only): it had not gone idle for good, so r waits twice as long before
 * the next compaction, up to RTA__COMPACT_MAX_SHIFT doublings. */
static inline void rta__compact_refault(rta__region *r)
{
    r->compacted = false;
    if (r->idle_shift < RTA__COMPACT_MAX_SHIFT)
        r->idle_shift++;
}
/* r's pages were written (a tasklet started or was copied back in): the
 * worker's idle checks run until they are given back. Owner only. */
static inline void rta__region_dirtied(rta__worker *wk, rta__tasklet_worker *tw, rta__region *r)
{
    if (!r->dirty) {
        r->dirty = true;
        tw->ndirty++;
    }
    if (rta__unlikely(!tw->compact_armed))
        rta__compact_arm(wk);
}

/* Overflow detection (overflow.c). */
RTA__HIDDEN void rta__overflow_install(void);
RTA__HIDDEN void rta__overflow_thread_enter(rta__tasklet_worker *tw);
RTA__HIDDEN void rta__overflow_thread_exit(rta__tasklet_worker *tw);

#endif
