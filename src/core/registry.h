/*
 * The task registry: every task of an engine that has suspended at least
 * once and whose handle is still alive, so that the runtime can say which
 * tasks are stuck (rta_shutdown's grace report), dump them with their async
 * stacks (rta_dump_tasks, src/core/dump.c) and the gdb extension can list
 * them from a live process or a core (tools/gdb/rtasync-gdb.py reads these
 * structures and rta__reg_shards by name, through src/runtime/gdb.c: rename
 * a field here and there together).
 *
 * Cost: a task that never suspends never touches the registry (the common
 * spawn-and-finish path stays as it was). A task is entered at its first
 * suspension and removed when its object is destroyed (last handle
 * released), so a completed task someone still holds is listed as such: one
 * uncontended lock of its shard each time. Shards are picked per thread
 * (round robin on first use), so workers rarely meet on a lock; the entry
 * remembers its shard. An async1 suspension records the task's async stack
 * (its resume point); a tasklet's and a cont task's are walked only when
 * someone reads it (lazy_frames: the tasklet's saved frame-pointer chain, in
 * its region or in the copy an eviction or a compaction made, which the
 * entry's sequence count and shard lock guard; the cont root's continuation
 * chain under the sequence count, src/engine/cont/frames.c), so a yield or
 * an await walks nothing. Awaits and sleeps also store
 * a coarse timestamp; figures in docs/debugging.md and docs/tasklet.md.
 *
 * What an entry holds is written by the task's engine with relaxed atomics
 * (the task is suspended or running elsewhere while a report reads it) and
 * is only ever a diagnostic: a reader may see a state one step old. The
 * frames are published under a sequence count (odd while written) so that a
 * reader never mixes two suspensions' stacks.
 */
#ifndef RTA_CORE_REGISTRY_H
#define RTA_CORE_REGISTRY_H

#include "internal.h"

#include <time.h>

enum rta__reg_state {
    RTA__REG_RUNNING = 0, /* running */
    RTA__REG_AWAITING,    /* suspended on an awaiter (await_ops/await_self) */
    RTA__REG_SLEEPING,    /* suspended on a timer */
    RTA__REG_RUNNABLE,    /* queued to run (a yield, or woken and not yet running) */
};

/* How an entry's frames are to be read. */
enum {
    RTA__REG_PC_RETURN = 0, /* return addresses (the call is at pc - 1): tasklet stacks */
    RTA__REG_PC_EXACT = 1,  /* resume points / function addresses: cont, async1 */
};

#define RTA__REG_FRAMES 16

/* What a suspended task waits on beyond a task or a promise, copied into
 * its entry at the suspension: the awaiter's own record (an I/O wait, a
 * blocking job, a group) may be freed or reused while a dump reads the
 * entry, so a report never reads through await_self. Layers above the core
 * describe their waits with rta__reg_hint_wait (below). */
enum rta__reg_wait_kind {
    RTA__REG_WAIT_OTHER = 0, /* await_ops/await_self only: a task, a promise, any awaiter */
    RTA__REG_WAIT_IO,        /* readiness of fd wait_num for operation wait_op */
    RTA__REG_WAIT_GROUP,     /* rta_group_wait: group await_self, wait_num children unfinished */
    RTA__REG_WAIT_JOB,       /* rta_run_blocking: job function wait_code */
    RTA__REG_WAIT_TIMER,     /* a sleep */
};
/* wait_due_ns when there is no deadline. */
#define RTA__REG_NO_DUE UINT64_MAX

struct rta__reg_shard;

typedef struct rta__reg_entry {
    /* First the fields a tasklet's yield touches (state, shard, susp_fp): 24
     * bytes that the tasklet object keeps in the cache line of its other
     * hot fields (tasklet.h). */
    _Atomic uint8_t state;        /* enum rta__reg_state */
    uint8_t pc_kind;              /* RTA__REG_PC_*, fixed at rta__reg_add */
    uint8_t frames_cap;           /* room in frames[], fixed at rta__reg_add */
    _Atomic uint8_t nframes;      /* frames[0..nframes): innermost first */
    _Atomic uint32_t seq;         /* odd while frames are written */
    struct rta__reg_shard *shard; /* NULL while not registered */
    /* Tasklets: the frame address of the suspending call (the walk starts at
     * its record), stored before the state that says suspended. */
    _Atomic uintptr_t susp_fp;
    struct rta__reg_entry *prev, *next; /* guarded by the shard's lock */
    rta_task *task;                     /* NULL for an async1 value-task method */
    const char *engine;                 /* "tasklet", "cont", "async1" */
    const void *fn;                     /* the task's root function (symbolized on report) */
    _Atomic uint8_t truncated;          /* the stack had more than RTA__REG_FRAMES */
    _Atomic int32_t await_point;        /* async1: the state machine's await index */
    _Atomic uint64_t since_ns;          /* coarse monotonic time of the last suspension */
    /* Engines whose frames are read lazily (tasklet, cont): a consistent copy of
     * the suspended task's frames, or 0 (running, or it kept moving); any
     * thread, with e's shard lock held. NULL: frames[] below. A lazy
     * engine's own writes that such a reader must not mix (a tasklet's
     * stack copy) are bracketed by the sequence count too. */
    unsigned (*lazy_frames)(const struct rta__reg_entry *e, uintptr_t *out, bool *truncated);
    _Atomic(const rta_awaiter_ops *) await_ops;
    _Atomic(void *) await_self;
    /* When awaiting a task or promise: its id and kind, copied at the
     * suspension (the awaiter holds a reference then). A report reads these,
     * never *await_self: the awaited object may be freed by the time a
     * stale entry is read (TSan saw debug_dump read a freed promise). */
    _Atomic uint64_t await_task_id;
    _Atomic uint8_t await_is_promise;
    /* The description of the wait (enum rta__reg_wait_kind), written by the
     * suspension with the state (rta__reg_note): meaningful only while the
     * state says suspended (a reader checks the state first, so nothing
     * needs clearing at a resume; every await and sleep rewrites wait_kind).
     * wait_due_ns: the I/O deadline or the timer's due time on rta__now_ns's
     * clock (CLOCK_MONOTONIC), RTA__REG_NO_DUE for none. wait_op points at a
     * string constant of the describing layer, so it stays valid. */
    _Atomic uint8_t wait_kind;
    _Atomic int32_t wait_num;
    _Atomic(const char *) wait_op;
    _Atomic uint64_t wait_due_ns;
    _Atomic uintptr_t wait_code;
    /* The recorded frames, frames_cap of them at most, in the engine's own
     * object (rta__reg_add): only engines that record them carry the array
     * (cont's fallback: RTA__REG_FRAMES; async1: its one resume point). A
     * tasklet records none (NULL): its frames are read where they are, in
     * its region or in its stack copy, and its parked object is 128 bytes
     * smaller (issue 21). */
    _Atomic uintptr_t *frames;
} rta__reg_entry;

/* A description of the wait the calling thread is about to begin, for the
 * suspension that awaits `self` (set by rta__reg_hint_wait, taken by
 * rta__reg_note on the same thread: every engine suspends on the thread
 * that made the await). Keyed by self and dropped at the thread's next
 * await whatever it awaits, so a hint whose await completed
 * without suspending describes nothing else. */
typedef struct rta__reg_hint {
    const void *self; /* NULL: no hint */
    const char *op;
    uintptr_t code;
    uint64_t due_ns;
    int32_t num;
    uint8_t kind;
} rta__reg_hint;
RTA__HIDDEN extern __thread rta__reg_hint rta__reg_hint_tls __attribute__((tls_model("initial-exec")));

/* Describes the await of `self` that the calling thread is about to make
 * (just before rta_await_awaiter, RTA_CONT_AWAIT, RTA_AWAIT1): kind, and
 * per kind (see enum rta__reg_wait_kind) op (a string constant), num,
 * due_ns (rta__now_ns clock, RTA__REG_NO_DUE) and code. A few stores; the
 * way layers above the core (src/io) say what their awaiters wait for. */
static inline void rta__reg_hint_wait(const void *self, enum rta__reg_wait_kind kind, const char *op,
                                      int32_t num, uint64_t due_ns, uintptr_t code)
{
    rta__reg_hint *h = &rta__reg_hint_tls;
    h->op = op;
    h->code = code;
    h->due_ns = due_ns;
    h->num = num;
    h->kind = (uint8_t)kind;
    h->self = self;
}

/* The registry: RTA__REG_SHARDS lists, a thread's entries in the shard it
 * picked (registry.c). Global, not static, only so that the gdb extension
 * finds it by a name no other library uses; nothing else reads it. */
#define RTA__REG_SHARDS 32
typedef struct rta__reg_shard {
    pthread_mutex_t lock;
    rta__reg_entry *head;
    size_t len;
} __attribute__((aligned(64))) rta__reg_shard;
RTA__HIDDEN extern rta__reg_shard rta__reg_shards[RTA__REG_SHARDS];

/* Enters e (not registered yet) for task t; lazy: see lazy_frames, or NULL;
 * frames: room for frames_cap recorded frames (<= RTA__REG_FRAMES), or
 * NULL and 0 for an engine that records none. */
RTA__HIDDEN void rta__reg_add(rta__reg_entry *e, rta_task *t, const char *engine, const void *fn, int pc_kind,
                              unsigned (*lazy)(const rta__reg_entry *e, uintptr_t *out, bool *truncated),
                              _Atomic uintptr_t *frames, unsigned frames_cap);
/* Holds / releases e's shard lock (e registered), which every reader of
 * e's frames holds: an engine frees or moves memory its lazy_frames reads
 * (a tasklet's stack copy) only with it held. */
RTA__HIDDEN void rta__reg_lock(rta__reg_entry *e);
RTA__HIDDEN void rta__reg_unlock(rta__reg_entry *e);
/* Removes e if it was entered; any thread. */
static inline void rta__reg_remove_if(rta__reg_entry *e);
RTA__HIDDEN void rta__reg_remove(rta__reg_entry *e);

/* A cheap monotonic clock for wait times (a few ms of resolution). */
static inline uint64_t rta__reg_now_coarse(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* e's since_ns = now (rta__reg_now_coarse). Out of line: the clock's
 * timespec would sit in the suspending function's frame, which a tasklet's
 * suspended stack keeps (32 more bytes per parked tasklet, issue 21). */
RTA__HIDDEN void rta__reg_stamp(rta__reg_entry *e);

/* The thread's hint into e if it describes self (its kind, else
 * RTA__REG_WAIT_OTHER); the hint is dropped either way. An await of a value
 * task (ops == &rta_vtask_awaiter, self the value task) also takes a hint
 * that describes its source: a source that waits describes itself. */
RTA__HIDDEN uint8_t rta__reg_take_hint(rta__reg_entry *e, const rta_awaiter_ops *ops, const void *self);

/* Records what a suspended task waits for (ops/self NULL for a sleep or a
 * yield; due_ns: a sleep's due time, rta__now_ns clock) and when it started
 * waiting. RUNNING/RUNNABLE keep the time. An await takes the thread's
 * hint when it describes self (rta__reg_hint_wait) and drops any other. */
static inline void rta__reg_note(rta__reg_entry *e, enum rta__reg_state st, const rta_awaiter_ops *ops,
                                 void *self, uint64_t due_ns)
{
    atomic_store_explicit(&e->await_ops, ops, memory_order_relaxed);
    atomic_store_explicit(&e->await_self, self, memory_order_relaxed);
    if (self && (ops == &rta_task_awaiter || ops == &rta_task_release_awaiter)) {
        const rta_task *w = (const rta_task *)self;
        atomic_store_explicit(&e->await_task_id, w->id, memory_order_relaxed);
        atomic_store_explicit(&e->await_is_promise, w->kind == RTA__TASK_PROMISE, memory_order_relaxed);
    }
    if (st == RTA__REG_AWAITING) {
        /* Out of line when there is a hint: the engines' suspension paths
         * stay small enough to be inlined where they were (a cont yield
         * cost 21 more instructions when this grew hand_off). */
        uint8_t kind = RTA__REG_WAIT_OTHER;
        if (rta__unlikely(rta__reg_hint_tls.self != NULL))
            kind = rta__reg_take_hint(e, ops, self);
        atomic_store_explicit(&e->wait_kind, kind, memory_order_relaxed);
    } else if (st == RTA__REG_SLEEPING) {
        atomic_store_explicit(&e->wait_due_ns, due_ns, memory_order_relaxed);
        atomic_store_explicit(&e->wait_kind, RTA__REG_WAIT_TIMER, memory_order_relaxed);
    }
    if (st == RTA__REG_AWAITING || st == RTA__REG_SLEEPING)
        rta__reg_stamp(e);
    /* Release: a reader that sees the state sees what was stored before
     * (a tasklet's susp_fp). */
    atomic_store_explicit(&e->state, (uint8_t)st, memory_order_release);
}

/* A tasklet suspends: where its frame chain starts, then (release: a
 * reader that sees a suspended state sees this fp) the state. No walk. */
static inline void rta__reg_suspend_at(rta__reg_entry *e, uintptr_t fp, enum rta__reg_state st)
{
    atomic_store_explicit(&e->susp_fp, fp, memory_order_relaxed);
    atomic_store_explicit(&e->state, (uint8_t)st, memory_order_release);
}

/* A tasklet runs again, before it touches its frames. The fence orders the
 * state before every later store (its frames): a lazy reader that saw one
 * of them then sees RUNNING and drops its walk (free on x86-64: TSO, and
 * the compiler keeps the order; a dmb on AArch64). */
static inline void rta__reg_resumed(rta__reg_entry *e)
{
    atomic_store_explicit(&e->state, RTA__REG_RUNNING, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

/* Only the state (a wake-up: the task is queued again). */
static inline void rta__reg_set_state(rta__reg_entry *e, enum rta__reg_state st)
{
    atomic_store_explicit(&e->state, (uint8_t)st, memory_order_relaxed);
}

/* A suspended task may continue: the bookkeeping every engine shares (an
 * awaiter's waiter, a timer, a cancel, a yield through a sync context).
 * Marks e RUNNABLE, then sends the resumption the way the task's await
 * decided (rta__resume_plan): to the sync context or scheduler captured
 * there, which calls posted(arg) when it likes (returns true), or back to
 * the engine, which queues the task on its own direct path (false). Any
 * thread; once per suspension. */
static inline bool rta__resume_wake(rta__reg_entry *e, uint8_t via, void *target, void (*posted)(void *),
                                    void *arg)
{
    rta__reg_set_state(e, RTA__REG_RUNNABLE);
    if (rta__likely(via == RTA__RESUME_DIRECT))
        return false;
    rta__resume_post(via, target, posted, arg);
    return true;
}

/* Frames, written by the task's own thread while it suspends: begin, put
 * each, end. */
static inline void rta__reg_frames_begin(rta__reg_entry *e)
{
    uint32_t s = atomic_load_explicit(&e->seq, memory_order_relaxed);
    atomic_store_explicit(&e->seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

/* Ends a write that rta__reg_frames_begin began without recording frames
 * (an engine's own memory a lazy reader validates by the count). */
static inline void rta__reg_seq_end(rta__reg_entry *e)
{
    uint32_t s = atomic_load_explicit(&e->seq, memory_order_relaxed);
    atomic_store_explicit(&e->seq, s + 1, memory_order_release);
}

static inline void rta__reg_frames_end(rta__reg_entry *e, unsigned n, bool truncated)
{
    atomic_store_explicit(&e->nframes, (uint8_t)n, memory_order_relaxed);
    atomic_store_explicit(&e->truncated, (uint8_t)truncated, memory_order_relaxed);
    uint32_t s = atomic_load_explicit(&e->seq, memory_order_relaxed);
    atomic_store_explicit(&e->seq, s + 1, memory_order_release);
}

/* Walks the frame-pointer chain from frame record fp (exclusive of fp's
 * own function: the first address is its return address), staying inside
 * the stack [lo, hi) and moving up, into out[0..RTA__REG_FRAMES); returns
 * how many, sets *truncated when there were more. Safe on memory that
 * changes under it (a suspended tasklet that resumes meanwhile): it only
 * reads [lo, hi), which must stay mapped; the caller validates the result. */
RTA__HIDDEN unsigned rta__reg_walk_fp(uintptr_t fp, uintptr_t lo, uintptr_t hi, uintptr_t *out,
                                      bool *truncated);

/* rta__reg_walk_fp over a copy of the stack [lo, hi) at data (a tasklet's
 * frames copied out of its region: frame records hold region addresses):
 * reads data[a - lo] for address a. The same guarantees. */
RTA__HIDDEN unsigned rta__reg_walk_fp_copy(uintptr_t fp, uintptr_t lo, uintptr_t hi, const char *data,
                                           uintptr_t *out, bool *truncated);

/* A consistent copy of e's frames (lazy_frames, else the reader side of the
 * sequence count); returns how many, sets *truncated. Any thread, with e's
 * shard lock held (rta__reg_foreach). */
RTA__HIDDEN unsigned rta__reg_frames_read(const rta__reg_entry *e, uintptr_t *out, bool *truncated);

static inline void rta__reg_remove_if(rta__reg_entry *e)
{
    if (e->shard)
        rta__reg_remove(e);
}

/* Writes one line per registered task whose task is still pending to out,
 * each starting with `indent`: id, engine, function name, state and what it
 * awaits. Returns the number of lines. */
RTA__HIDDEN size_t rta__reg_report(FILE *out, const char *indent);

/* Calls fn for every registered entry, with its shard's lock held (fn must
 * not take another shard lock nor block on a task). */
RTA__HIDDEN void rta__reg_foreach(void (*fn)(rta__reg_entry *e, void *arg), void *arg);

/* Prints code addresses as dump frames ("    #i name at file:line"),
 * innermost first (dump.c): pcs[0..exact_upto) are exact addresses, the
 * rest return addresses; the runtime's own functions are left out; stops
 * after the frame of function `root` (if not NULL); first_line > 0 replaces
 * the first frame's line. si may be NULL (names only). */
struct rta__srcinfo;
RTA__HIDDEN void rta__dump_pcs(FILE *out, const uintptr_t *pcs, unsigned n, unsigned exact_upto,
                               const void *root, int first_line, struct rta__srcinfo *si);

/* What a task waits for, copied out of its entry (rta__reg_wait_read, with
 * the shard lock held) and put into words later (rta__reg_wait_format, no
 * lock needed: it reads nothing of the task). */
typedef struct rta__reg_wait {
    uint8_t state, kind;
    bool promise;
    int32_t num;
    uint64_t task_id, due_ns;
    uintptr_t code;
    const char *op;
    const void *ops, *self;
} rta__reg_wait;
RTA__HIDDEN void rta__reg_wait_read(const rta__reg_entry *e, rta__reg_wait *w);
/* The id of the task or promise w awaits, 0 if none. */
RTA__HIDDEN uint64_t rta__reg_wait_awaits(const rta__reg_wait *w);
/* A phrase (no newline) into buf, e.g. "awaiting read on fd 7 (deadline in
 * 120 ms)"; now_ns: rta__reg_now_mono(), for deadlines and due times. */
RTA__HIDDEN void rta__reg_wait_format(const rta__reg_wait *w, uint64_t now_ns, char *buf, size_t cap);

/* The clock of deadlines and due times (rta__now_ns's: the core cannot
 * call the scheduler's). */
static inline uint64_t rta__reg_now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
