/*
 * Idle compaction: speed for the tasks that run, bytes for the crowd.
 *
 * A suspended tasklet stays resident in its region (no copy when it
 * resumes), which holds at least one page of memory. A task that stays
 * suspended past rta_config.idle_compact_ms is *compacted*: its live bytes
 * [sp, top) are copied out to a heap buffer of just that size (as an
 * eviction does) and the region's pages are given back (MADV_DONTNEED; the
 * range stays mapped and bound to the task, so its frames return to the
 * same addresses when it resumes, through the evicted path). A region with
 * no resident task gives its pages back after the same time. Past
 * rta_config.resident_budget of resident stacks, tasks suspended since the
 * previous check are compacted too, until under it.
 *
 * Refaults: a compacted task that resumes is copied back in, and its pages
 * fault in again. One that does so soon was not idle for good, only slower
 * than the threshold (a connection whose client writes every second): its
 * region's threshold doubles at each such copy back (idle_shift, up to 16x:
 * 3.2 s by default), so a periodic task stays resident after a few rounds
 * while a task parked once is compacted at the base threshold. The budget
 * still compacts any of them. A region back on the free list starts again
 * at the base threshold. Linux's page cache makes the same distinction with
 * its refault distances (mm/workingset.c); this keeps one number a region.
 *
 * Invariants:
 *  - Everything here runs on the owner worker, in its scheduler context
 *    (compact_work is never tasklet work, so a tasklet that picks it hands
 *    it to the scheduler context: tasklet.c, switch_on): no tasklet runs,
 *    every resident one is suspended with its registers saved at sp, and
 *    only this thread resumes them, so none is resumed concurrently.
 *  - A pinned tasklet (another thread may write its frames: rta_run_blocking)
 *    is never compacted (rta__region_evict refuses it); its region keeps
 *    its pages.
 *  - The hot path pays nothing: "not run since" reads region->last_use,
 *    which every switch into a region stores already (the worker's tick,
 *    which grows at every pick). A check at tick T records (now, T + 1):
 *    a region with last_use below it has not been entered since. Arming,
 *    done as a region is entered, records (now, T): that region's task
 *    has not run yet, so it is not idle from then.
 *  - Checks run only while some region is dirty (ndirty > 0): an idle
 *    runtime whose stacks are all given back sets no timer. Each check
 *    looks at a quarter of the regions (a clock hand): with 10,000 tasks
 *    yielding on one worker, a full pass per check added 9% to the
 *    instructions per yield under callgrind (whose slowness makes the
 *    wall-clock checks frequent per yield); a quarter that passes over a
 *    recently run region in a few instructions, 2% (137.5 -> 140.4; 2
 *    tasks 127.3 -> 127.9: the timer heap is looked at every 61st tick).
 *    Natively a check of 2,500 regions is some microseconds per 50 ms.
 */
#include "tasklet.h"

#include <unistd.h>

/* With no idle threshold but a budget: how often the budget is checked. */
#define BUDGET_ONLY_PERIOD_MS 50

static void compact_fire(rta__timer *tm);
static void compact_run(rta__work *w);

void rta__compact_init(rta__tasklet_worker *tw)
{
    unsigned ms = rta__tasklet_cfg.idle_compact_ms;
    if (ms != RTA_IDLE_COMPACT_OFF)
        tw->period_ns = (uint64_t)ms * 1000000u / 4;
    else if (rta__tasklet_cfg.resident_budget != SIZE_MAX)
        tw->period_ns = (uint64_t)BUDGET_ONLY_PERIOD_MS * 1000000u;
    else
        tw->period_ns = 0; /* neither: never checks */
    tw->compact_timer = (rta__timer){.heap_index = RTA__TIMER_NONE, .fire = compact_fire};
    tw->compact_work = (rta__work){.next = NULL, .run = compact_run};
    tw->compact_armed = false;
    tw->nsweeps = 0;
}

/* Remembers that every region last entered before tick has
 * last_use < tick: one not entered since has been idle from now on. */
static void note_check(rta__tasklet_worker *tw, uint64_t now, uint64_t tick)
{
    tw->sweeps[tw->nsweeps % RTA__COMPACT_SWEEPS] = (rta__compact_check){now, tick};
    tw->nsweeps++;
}

void rta__compact_arm(rta__worker *wk)
{
    rta__tasklet_worker *tw = rta__tasklet_tw(wk);
    tw->compact_armed = true; /* also when off: nothing to do until shutdown */
    if (tw->period_ns == 0)
        return;
    /* Armed from enter(), for the region entered at this very tick, whose
     * task has yet to run: the mark is this tick, not the next, or that
     * region would count as idle from now although it parks only later
     * (compacted early by however long it ran: test_compact_refault). */
    uint64_t now = rta__now_ns();
    note_check(tw, now, wk->tick);
    tw->compact_timer.deadline_ns = now + tw->period_ns;
    if (rta__timer_heap_add(&wk->timers, &tw->compact_timer) < 0)
        tw->compact_armed = false; /* no memory for the slot: the next dirtied region tries again */
}

/* Timer callback (owner thread, possibly on a tasklet's stack inside the
 * direct switch's pick): only queues the check, which then runs in the
 * scheduler context. */
static void compact_fire(rta__timer *tm)
{
    rta__tasklet_worker *tw = rta__container_of(tm, rta__tasklet_worker, compact_timer);
    rta__fifo_push(&rta__cur_worker()->local, &tw->compact_work);
}

/* cut[k]: the tick of the newest check at least the idle threshold << k
 * old, 0 if none (a region not entered since is idle at shift k). */
static void idle_cutoffs(const rta__tasklet_worker *tw, uint64_t now,
                         uint64_t cut[RTA__COMPACT_MAX_SHIFT + 1])
{
    for (unsigned k = 0; k <= RTA__COMPACT_MAX_SHIFT; k++)
        cut[k] = 0;
    unsigned ms = rta__tasklet_cfg.idle_compact_ms;
    if (ms == RTA_IDLE_COMPACT_OFF)
        return;
    uint64_t threshold = (uint64_t)ms * 1000000u;
    unsigned n = tw->nsweeps < RTA__COMPACT_SWEEPS ? tw->nsweeps : RTA__COMPACT_SWEEPS;
    for (unsigned i = 0; i < n; i++) {
        const rta__compact_check *c = &tw->sweeps[i];
        for (unsigned k = 0; k <= RTA__COMPACT_MAX_SHIFT && c->ns + (threshold << k) <= now; k++)
            if (c->tick > cut[k])
                cut[k] = c->tick;
    }
}

/* The tick of the newest check (0 if none). */
static uint64_t last_check(const rta__tasklet_worker *tw)
{
    return tw->nsweeps ? tw->sweeps[(tw->nsweeps - 1) % RTA__COMPACT_SWEEPS].tick : 0;
}

/* The pages a region holds at least: from its resident tasklet's stack
 * pointer to the top (deeper pages it touched earlier are not known without
 * asking the kernel), or one for a dirty region with none resident. */
static uint32_t region_pages(const rta__region *r, size_t page)
{
    if (!r->occupant)
        return 1;
    /* Whole pages from the one sp is in to the one the top is in (a
     * region's top is a colour below a page's end: region.c). */
    uintptr_t lo = (uintptr_t)r->occupant->sp & ~(uintptr_t)(page - 1);
    uintptr_t hi = ((uintptr_t)r->top + page - 1) & ~(uintptr_t)(page - 1);
    return (uint32_t)((hi - lo) / page);
}

/* Compacts r's occupant, if any, and gives r's pages back. False when the
 * occupant stays (pinned, or no memory for its copy). */
static bool compact_region(rta__worker *wk, rta__tasklet_worker *tw, rta__region *r)
{
    rta__tasklet *t = r->occupant;
    if (t && !rta__region_evict(wk, t, true))
        return false;
    if (t)
        r->compacted = true; /* its copy back in is a refault */
    rta__region_release(tw, r);
    return true;
}

/* One check: the next RTA__COMPACT_SLICES-th of the regions, so that a
 * check costs a quarter of a full pass and each region is looked at about
 * once per idle threshold (a task is compacted between 1x and about 2.25x
 * the threshold after it last ran). A region entered since the previous
 * check is passed over in a few instructions (the common case of a busy
 * worker; its estimate stays as last seen). Of the others, one not entered
 * since the newest check at least a threshold old is compacted, and past
 * the budget (by the estimates) any one with a tasklet resident. */
static void compact_run(rta__work *w)
{
    rta__tasklet_worker *tw = rta__container_of(w, rta__tasklet_worker, compact_work);
    rta__worker *wk = rta__cur_worker();
    RTA__ASSERT(rta__tls_state.stackful == NULL); /* scheduler context: nothing runs */
    tw->compact_armed = false;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t budget = rta__tasklet_cfg.resident_budget / page;
    uint64_t now = rta__now_ns();
    uint64_t idle[RTA__COMPACT_MAX_SHIFT + 1], prev = last_check(tw);
    idle_cutoffs(tw, now, idle);
    unsigned n = (tw->nregions + RTA__COMPACT_SLICES - 1) / RTA__COMPACT_SLICES;
    while (n > 0) {
        if (tw->hand_chunk >= tw->nchunks)
            tw->hand_chunk = tw->hand_i = 0;
        rta__region_chunk *c = tw->chunks[tw->hand_chunk];
        unsigned end = c->n - tw->hand_i > n ? tw->hand_i + n : c->n;
        for (unsigned i = tw->hand_i; i < end; i++) {
            rta__region *r = &c->r[i];
            if (!r->dirty || r->last_use >= prev)
                continue;
            bool over = tw->resident_pages >= budget;
            if ((r->last_use < idle[r->idle_shift] || (over && r->occupant)) && compact_region(wk, tw, r))
                continue;
            uint32_t e = region_pages(r, page);
            tw->resident_pages += e;
            tw->resident_pages -= r->est_pages;
            r->est_pages = e;
        }
        n -= end - tw->hand_i;
        if (end == c->n) {
            tw->hand_chunk++;
            tw->hand_i = 0;
        } else {
            tw->hand_i = end;
        }
    }
    /* Scheduler context: every region entered so far is at most this tick. */
    note_check(tw, now, wk->tick + 1);
    if (tw->ndirty > 0) {
        tw->compact_armed = true;
        tw->compact_timer.deadline_ns = now + tw->period_ns;
        if (rta__timer_heap_add(&wk->timers, &tw->compact_timer) < 0)
            tw->compact_armed = false;
    }
}
