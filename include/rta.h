/*
 * rtasync — a C runtime for async/await in which the runtime handles suspension.
 *
 * This is the one header users include. It declares the core (tasks, promises,
 * errors, the awaiter protocol, the scheduler entry points) and the tasklet
 * engine's direct-style async calls; the other engines' headers are pulled in
 * at the bottom.
 *
 * Vocabulary (see docs/ for the long form):
 *  - An *async2 function* is an ordinary C function `int64_t f(void *arg)` that
 *    may call rta_await()/rta_yield()/rta_sleep_ms(), directly or through any
 *    number of plain C calls. It runs inside a task; when it awaits something
 *    that is not complete, the runtime suspends the whole chain of C frames up to
 *    the task's entry and resumes it later at the same addresses.
 *  - A *thunk* turns an async2 function into a task (rta_spawn), or a task /
 *    awaiter into something an async2 function can await (rta_await,
 *    rta_await_awaiter).
 *  - *Non-async code* is any code not running inside a task: main(), foreign
 *    threads, signal handlers. It may create tasks and block on them with
 *    rta_task_wait(), but calling an async2-only function from it raises
 *    RTA_ENOTASYNC.
 *
 * Threads: every function here may be called from any thread unless its comment
 * says otherwise.
 */
#ifndef RTA_H
#define RTA_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RTA_EXTERN __attribute__((visibility("default")))
#define RTA_NORETURN __attribute__((noreturn))
#define RTA_PRINTF(f, a) __attribute__((format(printf, f, a)))
/* Keeps a function's own frame (and so its name in async stack traces):
 * see the RTA_NOINLINE rule at rta_error_trace. */
#define RTA_NOINLINE __attribute__((noinline))
#else
#define RTA_EXTERN
#define RTA_NORETURN
#define RTA_PRINTF(f, a)
#define RTA_NOINLINE
#endif

/* ------------------------------------------------------------------------- */
/* Error codes                                                               */
/* ------------------------------------------------------------------------- */

/* Codes are negative: either -errno (e.g. -ENOMEM, -EINVAL, -ECANCELED,
 * -ETIMEDOUT) or one of the runtime's own below, which sit far from any errno. */
enum {
    RTA_EINVALIDPROGRAM = -20001, /* the spec's InvalidProgramException */
    RTA_ENOTASYNC = -20002,       /* an async2-only call made from non-async code */
    RTA_ENOTINIT = -20003,        /* the runtime is not initialised */
    RTA_EBLOCKING = -20004,       /* a blocking wait issued from inside a task */
    RTA_ESTALE = -20005,          /* a value-task token used after its source was reused */
    RTA_EDOUBLEAWAIT = -20006,    /* a pooled value task awaited twice */
    RTA_EBUILDER = -20007,        /* a method builder that does not fit its method */
    RTA_EUSER = -20100,           /* first code free for applications: RTA_EUSER - n */
};

/* A static, human-readable description of `code` (never NULL). */
RTA_EXTERN const char *rta_strerror(int code);

/* ------------------------------------------------------------------------- */
/* Runtime lifetime                                                          */
/* ------------------------------------------------------------------------- */

typedef struct rta_error rta_error; /* see "Errors and exceptions" below */

/* rta_config.idle_compact_ms: never compact idle tasklets. */
#define RTA_IDLE_COMPACT_OFF 0xFFFFFFFFu

typedef struct rta_config {
    /* Worker threads. 0 = env RTA_WORKERS, else the number of online CPUs. */
    unsigned workers;
    /* Usable bytes of each tasklet execution region (the task's C stack).
     * 0 = env RTA_STACK_SIZE (bytes, K/M suffix allowed), else 256 KiB. */
    size_t stack_size;
    /* The most execution regions (tasklet stacks) a worker maps, on demand:
     * up to this many started tasklets per worker each have their own and
     * resume with no copy; past it they share (copied out and back). Each
     * costs address space (stack_size + 64 KiB) and only the pages touched.
     * 0 = env RTA_REGIONS, else 16384 (256 in a ThreadSanitizer build of
     * the library); at most 1048576. */
    unsigned regions_per_worker;
    /* Idle compaction (docs/tasklet.md): a tasklet that stays suspended this
     * many ms without running has its live stack copied out to the heap
     * (about 400 bytes at depth 10) and its region's pages given back
     * (MADV_DONTNEED); it is copied back when it resumes. A region no task
     * is using gives its pages back after the same time. Done by the task's
     * own worker, in its scheduler context, between 1x and about 2.25x
     * idle_compact_ms after the task last ran. A compacted task that
     * resumes doubles its region's threshold (up to 16x idle_compact_ms):
     * a task that runs every second stays resident after a few rounds,
     * while one parked once is compacted at idle_compact_ms.
     * 0 = env RTA_IDLE_COMPACT_MS ("off" disables), else 200;
     * RTA_IDLE_COMPACT_OFF disables. A task whose stack another thread may
     * write (rta_run_blocking's arg) is never compacted while it waits. */
    unsigned idle_compact_ms;
    /* Bytes of suspended tasklets' stacks a worker keeps resident, estimated
     * as the pages from each one's stack pointer to its region's top: past
     * it, the worker also compacts tasks suspended since its previous idle
     * check, until under it. 0 = env RTA_RESIDENT_BUDGET (bytes, K/M/G
     * suffix allowed), else 64 MiB; SIZE_MAX: no budget. */
    size_t resident_budget;
    /* How long rta_shutdown waits for unfinished tasks before it writes a
     * report naming them (see rta_shutdown). 0 = env RTA_SHUTDOWN_GRACE_MS,
     * else 5000. */
    unsigned shutdown_grace_ms;
    /* Unobserved faults: a task that faulted and whose last reference was
     * released without its error being read (by an await, rta_task_wait with
     * err, rta_task_error or a combinator) is reported when that happens, on
     * the releasing thread (or the worker that finished a task released
     * before it faulted). NULL: a line on stderr with the task id, the
     * error's code and message. A hook must not block; e is valid only
     * during the call. Installed by rta_init, kept after rta_shutdown. */
    void (*unobserved_fault)(uint64_t task_id, const rta_error *e, void *data);
    void *unobserved_fault_data;
    /* Notices: what the runtime chose on its own, said once per process
     * (today: "rtasync: io_uring unavailable (REASON): using epoll"). NULL:
     * the line goes to stderr. A program whose stderr is a contract (a CLI
     * tool) installs a hook; msg has no newline and is valid only during the
     * call. Installed by rta_init, kept after rta_shutdown. */
    void (*notice)(const char *msg, void *data);
    void *notice_data;
} rta_config;

/* Starts the worker pool. cfg may be NULL (defaults). Returns 0, -EBUSY if the
 * runtime is already running, -EINVAL for a bad configuration (the message goes
 * to stderr), or -ENOMEM / -errno when a resource could not be had.
 * fork(): a child forked while the runtime runs has none (its threads are not
 * copied); it may exec or call no rtasync function. There rta_init returns
 * -EBUSY and the other calls refuse, naming themselves (docs/errors.md). */
RTA_EXTERN int rta_init(const rta_config *cfg);

/* Waits until every task that was spawned has finished, stops the workers
 * and frees everything the runtime owns. Task handles the application still
 * holds stay valid for rta_task_status/rta_task_release. rta_init may be
 * called again afterwards. Must not be called from inside a task.
 * Tasks suspended on something that never completes (a promise nobody
 * resolves) keep it waiting: after rta_config.shutdown_grace_ms (default
 * 5 s) it writes one report to stderr, starting "rtasync: rta_shutdown:",
 * with a line per unfinished task (id, engine, root function's name, what it
 * awaits), and then keeps waiting: complete, reject or cancel what they
 * await (from another thread) and shutdown finishes normally. */
RTA_EXTERN void rta_shutdown(void);

/* Number of worker threads of the running runtime (0 if not running). */
RTA_EXTERN unsigned rta_worker_count(void);

/* True when the caller runs inside a task (async2 code may be called). */
RTA_EXTERN bool rta_in_async(void);

/* ------------------------------------------------------------------------- */
/* Errors and exceptions                                                     */
/* ------------------------------------------------------------------------- */

/* rta_error (declared above rta_config): an error, with its code, message
 * and the async stack trace captured where it was thrown. Owned by exactly
 * one party at a time; see each function. */

/* A new error owned by the caller (free it with rta_error_free, or hand it to
 * rta_promise_reject / rta_throw_error). Returns NULL only when out of memory. */
RTA_EXTERN rta_error *rta_error_new(int code, const char *fmt, ...) RTA_PRINTF(2, 3);
RTA_EXTERN void rta_error_free(rta_error *e); /* NULL is ignored */
RTA_EXTERN int rta_error_code(const rta_error *e);
RTA_EXTERN const char *rta_error_message(const rta_error *e);
/* A deep copy (code, message, trace) owned by the caller; NULL when out of memory. */
RTA_EXTERN rta_error *rta_error_copy(const rta_error *e);

/* Lists the logical async2 frames of the error, innermost first, by function
 * name, up to the task's root thunk (frames of the runtime itself are left
 * out). Writes at most max names (pointers valid while the error lives) and
 * returns the total number of frames, which may exceed max.
 * The RTA_NOINLINE rule: frames are read from the frame-pointer chain, so a
 * function the compiler inlined into its caller has no frame of its own and
 * is missing from traces (at -O2 small static helpers usually are). Mark
 * every function that must appear in traces RTA_NOINLINE. Names of compiler
 * clones and split parts (foo.isra.0, foo.constprop.0, foo.part.0,
 * foo.cold) are shown as foo. Code whose frames should appear must be built
 * with the flags `pkg-config --cflags rtasync` gives (frame pointers). */
RTA_EXTERN size_t rta_error_trace(const rta_error *e, const char **names, size_t max);

/* Throws a new error: control leaves through the nearest RTA_TRY handler of the
 * current task (or thread). With no handler in a task, the task faults with
 * this error; with no handler in non-async code, the message is printed and the
 * process aborts (there is nobody else to report it to). */
RTA_EXTERN RTA_NORETURN void rta_throw(int code, const char *fmt, ...) RTA_PRINTF(2, 3);
/* Throws an existing error; takes ownership of e. */
RTA_EXTERN RTA_NORETURN void rta_throw_error(rta_error *e);
/* Rethrows the error a RTA_CATCH handler is looking at (ownership goes back to
 * the runtime; the handler must not use e afterwards). */
#define rta_rethrow(e) rta_throw_error(e)

/*
 * Structured handlers. Use them like this:
 *
 *     RTA_TRY {
 *         ... code that may throw, await, call async functions ...
 *     } RTA_CATCH(e) {
 *         ... e is an rta_error *, owned by the runtime, freed at RTA_END_TRY ...
 *     } RTA_END_TRY;
 *
 *     RTA_TRY { ... } RTA_FINALLY { ... runs on both paths, then any error goes on ... } RTA_END_TRY;
 *
 * Rules (as with every setjmp-based scheme): locals written inside the body
 * and read in the handler must be volatile; do not leave the body with return,
 * break, continue or goto (the runtime detects a handler left behind and
 * reports it as RTA_EINVALIDPROGRAM); awaiting inside a CATCH or FINALLY
 * handler is an invalid program (the spec's EH rule) and raises
 * RTA_EINVALIDPROGRAM naming the function. Handlers nest and work across
 * awaits: a throw after a suspension lands in a handler entered before it.
 */
typedef struct rta__try {
    struct rta__try *prev;
    rta_error *err;   /* the error being handled, owned by this record */
    const char *func; /* function the handler is written in, for messages */
    int state;        /* see src/core/error.c */
    int kind;
    jmp_buf jb;
} rta__try;

RTA_EXTERN void rta__try_push(rta__try *t, const char *func);
RTA_EXTERN void rta__try_pop(rta__try *t);
RTA_EXTERN bool rta__try_handler(rta__try *t, int kind);
RTA_EXTERN void rta__try_end(rta__try *t);

#define RTA__CATCH_KIND 1
#define RTA__FINALLY_KIND 2

#define RTA_TRY                                                                                              \
    do {                                                                                                     \
        rta__try rta__t_;                                                                                    \
        rta__try_push(&rta__t_, __func__);                                                                   \
        if (setjmp(rta__t_.jb) == 0) {
#define RTA_CATCH(e)                                                                                         \
    rta__try_pop(&rta__t_);                                                                                  \
    }                                                                                                        \
    if (rta__try_handler(&rta__t_, RTA__CATCH_KIND))                                                         \
        for (rta_error *e = rta__t_.err; e; e = NULL)
#define RTA_FINALLY                                                                                          \
    rta__try_pop(&rta__t_);                                                                                  \
    }                                                                                                        \
    if (rta__try_handler(&rta__t_, RTA__FINALLY_KIND))
#define RTA_END_TRY                                                                                          \
    rta__try_end(&rta__t_);                                                                                  \
    }                                                                                                        \
    while (0)

/* ------------------------------------------------------------------------- */
/* Tasks                                                                     */
/* ------------------------------------------------------------------------- */

typedef struct rta_task rta_task;

/* NULL handles. Calls that create tasks return NULL on failure (check it).
 * A NULL handle passed back anyway never crashes: it behaves as a task that
 * faulted with -EINVAL ("NULL task handle"): rta_task_status says
 * RTA_FAULTED and rta_task_error gives that error; rta_task_wait stores it
 * (naming rta_task_wait); rta_await and every engine's await macros throw
 * it naming the call; rta_promise_* return false (errno EINVAL);
 * rta_when_all/rta_when_any return a task that faulted naming the call and
 * the NULL input's index; rta_task_retain/rta_task_release ignore it.
 *
 * Stale handles. A handle must not be used after its last reference was
 * released. In debug mode (a library built without NDEBUG or with cmake
 * -DRTA_DEBUG=ON, or env RTA_DEBUG=1 at the first release; RTA_DEBUG=0
 * turns it off) released tasks are poisoned and quarantined, and the call
 * that uses a stale handle (a second rta_task_release, an rta_await, an
 * rta_task_wait...) aborts with a message naming that call and the task id. */

typedef enum rta_status {
    RTA_PENDING = 0,
    RTA_SUCCEEDED = 1,
    RTA_FAULTED = 2,
    RTA_CANCELED = 3,
} rta_status;

/* An async2 function: an ordinary C function that may await. */
typedef int64_t (*rta_fn)(void *arg);

/* The task-returning thunk into an async2 function: creates a task that runs
 * fn(arg) on the worker pool, concurrently with the caller. Callable from async
 * and non-async code. The caller owns one reference (rta_task_release). The
 * task keeps worker affinity once it has started (see docs/tasklet.md).
 * Async locals and the sync context of the caller flow into the task; changes
 * the task makes do not flow back (thunks save and restore them).
 * Returns NULL with errno set: ENOMEM, EINVAL for a NULL fn, or EAGAIN when
 * the runtime is not running. */
RTA_EXTERN rta_task *rta_spawn(rta_fn fn, void *arg);

RTA_EXTERN rta_task *rta_task_retain(rta_task *t);
RTA_EXTERN void rta_task_release(rta_task *t); /* NULL is ignored */
RTA_EXTERN rta_status rta_task_status(const rta_task *t);
/* A task's value once it succeeded (0 before); its error once faulted (NULL
 * otherwise; the task keeps ownership). */
RTA_EXTERN int64_t rta_task_value(const rta_task *t);
RTA_EXTERN const rta_error *rta_task_error(const rta_task *t);
/* A process-unique id, for messages and traces. */
RTA_EXTERN uint64_t rta_task_id(const rta_task *t);

/* Blocks a non-async thread until t completes. Returns its value; on fault or
 * cancellation returns 0 and, if err is not NULL, stores a new error the
 * caller frees with rta_error_free (code -ECANCELED for cancellation).
 * Refusals, each with a message naming rta_task_wait (errno set too):
 *  - t NULL: -EINVAL (errno EINVAL);
 *  - called inside the runtime (a task, a worker thread): it does not block
 *    but returns 0 with RTA_EBLOCKING (errno EDEADLK): use rta_await there;
 *  - t pending while the runtime is not running (rta_init forgotten, or
 *    after rta_shutdown): RTA_ENOTINIT (errno EAGAIN) instead of a hang.
 * With err NULL a refusal is thrown instead where a throw can be caught
 * (async code: the task faults unless it handles it), else printed to stderr. */
RTA_EXTERN int64_t rta_task_wait(rta_task *t, rta_error **err);

/* ---- async2-only calls (from non-async code they raise RTA_ENOTASYNC) ---- */

/* Awaits t: returns its value, rethrows its error (a copy whose trace also
 * lists the awaiting frames), raises -ECANCELED if it was canceled. The caller
 * keeps its reference to t. Beware `v = rta_await(t); rta_task_release(t);`:
 * when the await throws, the release is skipped and t leaks; use
 * rta_await_release for a reference you are done with. */
RTA_EXTERN int64_t rta_await(rta_task *t);
/* Awaits t like rta_await and consumes the caller's reference on every path:
 * returned value, thrown error, and the refusals (non-async caller, inside a
 * handler) all release t. The leak-free form of await-then-release:
 *     int64_t v = rta_await_release(rta_spawn(child, arg));
 * (a NULL from a failed rta_spawn throws -EINVAL naming rta_await_release).
 * Cont code: RTA_CONT_AWAIT_TASK_RELEASE; async1 code: RTA_AWAIT1_TASK,
 * which already consumes. */
RTA_EXTERN int64_t rta_await_release(rta_task *t);
/* Lets other ready work run, then continues. */
RTA_EXTERN void rta_yield(void);
/* Suspends for at least ms milliseconds (0 behaves as rta_yield). */
RTA_EXTERN void rta_sleep_ms(uint64_t ms);

/* ------------------------------------------------------------------------- */
/* Promises (TaskCompletionSource)                                           */
/* ------------------------------------------------------------------------- */

/* A pending task that someone completes from outside. Safe from any thread,
 * including threads the runtime does not own, and before rta_init. Each call
 * returns true if it completed the task, false if it was already complete or
 * p is NULL (errno EINVAL then); reject frees e when it returns false, so
 * ownership always passes. */
RTA_EXTERN rta_task *rta_promise_new(void);
RTA_EXTERN bool rta_promise_resolve(rta_task *p, int64_t value);
RTA_EXTERN bool rta_promise_reject(rta_task *p, rta_error *e);
RTA_EXTERN bool rta_promise_cancel(rta_task *p);

/* A task that is already complete with value v (never NULL unless out of memory). */
RTA_EXTERN rta_task *rta_task_from_value(int64_t v);

/* ------------------------------------------------------------------------- */
/* Combinators                                                               */
/* ------------------------------------------------------------------------- */

/* Completes when all of ts[0..n) have completed: faulted with a copy of the
 * first (by index) faulted task's error, else canceled if any was canceled,
 * else succeeded with value n. Every faulted input counts as observed (none
 * is reported as an unobserved fault; the combinator is, if its own error is
 * never read). The array may be freed after the call; the
 * combinator holds its own references. NULL (errno ENOMEM) when out of memory.
 * A NULL input (or ts NULL with n > 0) gives a task already faulted with
 * -EINVAL naming the call and the input's index (errno EINVAL). */
RTA_EXTERN rta_task *rta_when_all(rta_task *const *ts, size_t n);
/* Completes when the first of ts[0..n) completes, with that task's index as
 * its value (it never faults: inspect the winner). n must be > 0 (else NULL,
 * errno EINVAL). */
RTA_EXTERN rta_task *rta_when_any(rta_task *const *ts, size_t n);

/* ------------------------------------------------------------------------- */
/* The awaiter protocol                                                      */
/* ------------------------------------------------------------------------- */

/* A completion callback, intrusive so that registering one allocates nothing:
 * the party that awaits owns the rta_waiter and keeps it alive until fn runs.
 * fn runs exactly once, on whichever thread completes the awaited thing, and
 * must not block (it typically schedules work). `next` belongs to whoever holds
 * the waiter in a list (the runtime for tasks); `data` is free for the owner. */
typedef struct rta_waiter {
    void (*fn)(struct rta_waiter *w);
    struct rta_waiter *next;
    void *data;
} rta_waiter;

/* Anything awaitable: the C form of .NET's awaiter pattern. */
typedef struct rta_awaiter_ops {
    bool (*is_completed)(void *self);
    /* Registers w; the execution context (async locals) current at the call
     * is restored when w runs (INotifyCompletion.OnCompleted). */
    void (*on_completed)(void *self, rta_waiter *w);
    /* Registers w without capturing the execution context
     * (ICriticalNotifyCompletion.UnsafeOnCompleted). May be NULL. */
    void (*unsafe_on_completed)(void *self, rta_waiter *w);
    /* The result once completed; may rta_throw. */
    int64_t (*get_result)(void *self);
} rta_awaiter_ops;

/* AwaitAwaiterFromRuntimeAsync: the single suspension entry of async2 code.
 * If the awaiter is not complete, suspends the current async2 chain, and only
 * once its frames are off the execution region registers the resumption with
 * the awaiter (unsafe_on_completed when present, else on_completed); returns
 * get_result(self) after resumption. self must stay valid until then and must
 * not live on the awaiting task's stack if the completer writes into it. */
RTA_EXTERN int64_t rta_await_awaiter(const rta_awaiter_ops *ops, void *self);

/* The awaiter of a task (self is the rta_task *). */
RTA_EXTERN extern const rta_awaiter_ops rta_task_awaiter;
/* The same, but get_result consumes the awaiting side's reference to the
 * task (released whether it returns or throws): for awaits that own the
 * task they wait for (RTA_CONT_AWAIT_TASK_RELEASE is built on it). */
RTA_EXTERN extern const rta_awaiter_ops rta_task_release_awaiter;

/* Registers w to run when t completes. Returns false, without registering,
 * if t is already complete (the caller goes on synchronously). */
RTA_EXTERN bool rta_task_on_complete(rta_task *t, rta_waiter *w);

/* ------------------------------------------------------------------------- */
/* Statistics (engine behaviour that benchmarks and tests look at)           */
/* ------------------------------------------------------------------------- */

typedef struct rta_stats {
    uint64_t tasks_spawned;
    uint64_t suspensions;      /* tasklet suspensions */
    uint64_t resumes_resident; /* resumed with no copy: the region still held it */
    uint64_t resumes_restored; /* resumed after copying the stack back */
    uint64_t evictions;        /* stacks copied out because another task needed the region */
    uint64_t bytes_copied;     /* out + back */
    uint64_t steals;           /* unstarted tasks taken from another worker */
    uint64_t frames_captured;  /* frames recorded at evictions (for statistics) */
    uint64_t compactions;      /* stacks copied out because their task stayed suspended
                                  (rta_config.idle_compact_ms, resident_budget) */
    uint64_t idle_spins;       /* rounds of the idle spin: a look at the queues that
                                  found nothing, then a pause (a few tens of ns of CPU
                                  each, up to 256 before a worker parks) */
    uint64_t parks;            /* times a worker slept in the poller or on its futex */
} rta_stats;

/* Sums the per-worker counters of the running runtime (zeros if not running). */
RTA_EXTERN void rta_stats_get(rta_stats *out);

/* Frame metadata of a suspended tasklet task, innermost first: the function
 * and the bytes of stack it occupies. Returns the number of frames (may exceed
 * max); 0 if the task is not a suspended tasklet, or if the caller does not
 * run on the task's own worker (only there can the frames not move while
 * they are read: call it from another task on that worker). */
typedef struct rta_frame_info {
    const void *pc; /* return address into the function */
    size_t size;    /* bytes from this frame's base to the next */
    char name[64];  /* function name, "" if unknown */
} rta_frame_info;
RTA_EXTERN size_t rta_task_frames(rta_task *t, rta_frame_info *out, size_t max);

/* ------------------------------------------------------------------------- */
/* Debugging: task dumps (docs/debugging.md)                                 */
/* ------------------------------------------------------------------------- */

/* Writes every task that has suspended at least once and whose handle is
 * still alive, on every engine, to out (NULL = stderr), in one piece:
 *   rtasync: task dump: N tasks
 *   task ID ENGINE STATE in ROOT[: WHAT][, waiting MS ms]
 *     #0 FUNCTION at FILE:LINE        (innermost first; FUNCTION +0xOFF when
 *     #1 ...                           the build has no line information)
 *     awaited by task ID
 *   rtasync: end of task dump
 * STATE is running, runnable, suspended or completed-but-held (a finished
 * task whose handle is not yet released; its outcome follows). WHAT is what
 * a suspended task waits for:
 *   awaiting task ID | awaiting promise ID
 *   awaiting OP on fd FD[ (deadline in MS ms)]  OP: read, write, accept,
 *                                               connect, recvfrom, sendto
 *   awaiting group 0xADDR (N children running when the wait began)
 *   awaiting blocking job FUNCTION               (rta_run_blocking)
 *   sleeping (timer due in MS ms)
 *   awaiting a value task                        (RTA_AWAIT1_VTASK)
 *   awaiting an awaiter (ops 0xADDR, self 0xADDR)  (any other awaiter)
 * ("deadline passed MS ms ago", "timer overdue by MS ms" once late; a
 * value-task line, "value-task ENGINE ...", is an async1 method's pooled
 * value task, e.g. rta_async1_read's). The frames are the task's logical async stack as
 * of its last suspension (tasklet: its C frames, RTA_NOINLINE rule as for
 * rta_error_trace; cont: its continuation chain; async1: the method and the
 * await it waits at, its callers being the tasks "awaited by"). Tasks that
 * never suspended are not listed. Any thread, the runtime running or not;
 * not from a signal handler (set env RTA_DUMP_SIGNAL=SIGUSR1, or another
 * signal name or number, before rta_init: that signal then makes a helper
 * thread write the dump to stderr). */
RTA_EXTERN void rta_dump_tasks(FILE *out);

#ifdef __cplusplus
}
#endif

/* Execution context, sync context, schedulers, configure-await (first: the
 * engine headers' await macros may read the configure-await setting). */
#include "rta/context.h"
/* Value tasks and their sources (every engine's). */
#include "rta/vtask.h"
/* The other engines. */
#include "rta/async1.h"
#include "rta/cont.h"
/* Method descriptors: async1/async2 entries, thunks, mixed overrides. */
#include "rta/method.h"
/* The async2 markers that tools/rtac compiles for each engine. */
#include "rta/async2.h"
/* Sockets, files, deadlines, cancellation, groups. */
#include "rta/io.h"

#endif /* RTA_H */
