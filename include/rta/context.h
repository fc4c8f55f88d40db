/*
 * rtasync: execution context — async locals, the sync context, the current
 * scheduler, and configure-await (included by rta.h; do not include directly).
 * docs/semantics.md has the rules in full; in brief:
 *
 *  - Every task has one *context*: a map of async locals, a current sync
 *    context and a current scheduler. Non-async code has one per thread.
 *  - async2 functions (tasklet code: any C call chain inside a task) neither
 *    save nor restore it: a change a callee makes is what its caller sees
 *    after the callee returns.
 *  - Every thunk (rta_spawn, rta_method_call_task, the async2 entry of a
 *    task-returning implementation) and every async1 method saves and
 *    restores it: a change made behind one never reaches the caller. A
 *    spawned task starts with the context of its spawner.
 *  - After an await that suspended, the task resumes through the sync
 *    context current just before the await (ctx->post), else through the
 *    scheduler current then (sched->queue), else directly — unless
 *    configure-await is false for that await, which resumes directly.
 *
 * Lifetime rule for rta_sync_ctx and rta_scheduler objects: the caller owns
 * them; each must stay valid until every task that captured it (by being
 * spawned while it was current, or by awaiting while it was current) has
 * finished, and its callback must eventually run each fn it is handed,
 * exactly once (a resumption that is never run is a task that never ends,
 * and rta_shutdown waits for it).
 */
#ifndef RTA_CONTEXT_H
#define RTA_CONTEXT_H

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------- */
/* Async locals (AsyncLocal<T>)                                              */
/* ------------------------------------------------------------------------- */

/* A key. Its values are pointers, one per context. */
typedef struct rta_local rta_local;

/* A new key whose values are destroyed with dtor (may be NULL: values are
 * not owned). A value's dtor runs once no context can see it any more: it
 * was replaced or cleared everywhere it flowed, and every task that captured
 * it has finished. NULL with errno ENOMEM when out of memory. */
RTA_EXTERN rta_local *rta_local_new(void (*dtor)(void *value));
/* Frees the key. Values still held by live contexts stay there (invisible,
 * since nobody can name the key) and are destroyed when those contexts die.
 * Key identities are never reused, so a new key never sees an old value.
 * NULL is ignored. */
RTA_EXTERN void rta_local_free(rta_local *key);
/* The value of key in the current context, NULL if unset. O(log n) in the
 * number of keys set in the context. */
RTA_EXTERN void *rta_local_get(rta_local *key);
/* Sets the value of key in the current context (NULL clears it) and takes
 * ownership of value (see rta_local_new). Copy-on-write: the context gets a
 * new immutable map, so that contexts captured earlier (spawned tasks,
 * suspended awaits, async1 methods that will restore) keep the old one.
 * Raises -ENOMEM when out of memory (value is destroyed then: ownership
 * always passes). */
RTA_EXTERN void rta_local_set(rta_local *key, void *value);

/* ------------------------------------------------------------------------- */
/* Sync context (SynchronizationContext)                                     */
/* ------------------------------------------------------------------------- */

typedef struct rta_sync_ctx rta_sync_ctx;
struct rta_sync_ctx {
    /* Runs fn(arg) later, as the context sees fit (on a UI thread, through a
     * queue it drains, inline...). Called from any thread, also from inside
     * the runtime's workers; must not block and must not throw. */
    void (*post)(rta_sync_ctx *ctx, void (*fn)(void *arg), void *arg);
    void *data; /* free for the owner */
};

/* The sync context of the current context (NULL: none). */
RTA_EXTERN rta_sync_ctx *rta_sync_ctx_current(void);
/* Makes ctx (NULL: none) current in the current context; returns the
 * previous one, for the set / try-finally / restore pattern. */
RTA_EXTERN rta_sync_ctx *rta_sync_ctx_set(rta_sync_ctx *ctx);

/* ------------------------------------------------------------------------- */
/* Schedulers (TaskScheduler.Current)                                        */
/* ------------------------------------------------------------------------- */

typedef struct rta_scheduler rta_scheduler;
struct rta_scheduler {
    /* Runs fn(arg) later on the scheduler's terms. Same rules as post. */
    void (*queue)(rta_scheduler *sched, void (*fn)(void *arg), void *arg);
    void *data; /* free for the owner */
};

/* The user scheduler of the current context (NULL: the runtime's workers). */
RTA_EXTERN rta_scheduler *rta_scheduler_current(void);
/* Makes sched (NULL: the default) current; returns the previous one. */
RTA_EXTERN rta_scheduler *rta_scheduler_set(rta_scheduler *sched);

/* ------------------------------------------------------------------------- */
/* Configure-await (ConfigureAwaitAttribute and Task.ConfigureAwait)         */
/* ------------------------------------------------------------------------- */

/*
 * Three levels, innermost wins, all resolved at compile time by C scoping:
 *
 *   #define RTA_CONFIGURE_AWAIT 0      before #include <rta.h>: the
 *                                      translation unit's default
 *                                      (assembly/module/type level);
 *   RTA_CONFIGURE_AWAIT_FN(false);    first statement of a function body:
 *                                      that function's setting (method level),
 *                                      a local that shadows the file's;
 *   rta_await_cfg(t, false)           one await (Task.ConfigureAwait(false)).
 *
 * rta_await, rta_await_release, rta_await_awaiter, rta_yield and rta_sleep_ms are macros that
 * pass the lexically visible setting to their _cfg form. The functions keep
 * their names (write (rta_await)(t) for the function itself: it uses true).
 * true (the default) resumes through the captured sync context or
 * scheduler; false resumes directly on the runtime's workers.
 */
#ifndef RTA_CONFIGURE_AWAIT
#define RTA_CONFIGURE_AWAIT 1
#endif
static const bool rta__configure_await __attribute__((unused)) = (RTA_CONFIGURE_AWAIT) != 0;
#define RTA_CONFIGURE_AWAIT_FN(b) const bool rta__configure_await __attribute__((unused)) = (b)

RTA_EXTERN int64_t rta_await_cfg(rta_task *t, bool continue_on_captured_context);
RTA_EXTERN int64_t rta_await_release_cfg(rta_task *t, bool continue_on_captured_context);
RTA_EXTERN int64_t rta_await_awaiter_cfg(const rta_awaiter_ops *ops, void *self,
                                         bool continue_on_captured_context);
RTA_EXTERN void rta_yield_cfg(bool continue_on_captured_context);
RTA_EXTERN void rta_sleep_ms_cfg(uint64_t ms, bool continue_on_captured_context);

#define rta_await(t) rta_await_cfg((t), rta__configure_await)
#define rta_await_release(t) rta_await_release_cfg((t), rta__configure_await)
#define rta_await_awaiter(ops, self) rta_await_awaiter_cfg((ops), (self), rta__configure_await)
#define rta_yield() rta_yield_cfg(rta__configure_await)
#define rta_sleep_ms(ms) rta_sleep_ms_cfg((ms), rta__configure_await)

#ifdef __cplusplus
}
#endif

#endif
