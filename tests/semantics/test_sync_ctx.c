/* Rule 2, the sync context: after an await that suspended, the task resumes
 * through the sync context current just before the await (one post per
 * suspension, none for an await that completed at once), unless
 * configure-await is false — per await (rta_await_cfg), per function
 * (RTA_CONFIGURE_AWAIT_FN) or per translation unit (test_configure_await.c).
 * The async2 difference: a callee's change to the current context, left in
 * place when it returns, decides where its caller resumes; behind a thunk
 * (an async1-style boundary) it does not. The sync context beats a current
 * scheduler, and flows into spawned tasks. */
#include "sem.h"

static sem_queue A, B;

/* Resolved from another task after a delay, so that the await suspends. */
static int64_t resolve_later(void *arg)
{
    sem_wait_awaited(arg); /* resolve only once the await has suspended */
    rta_promise_resolve(arg, 7);
    return 0;
}

/* Awaits a pending promise with the lexical configure-await setting. */
static int64_t await_pending(void)
{
    rta_task *p = rta_promise_new();
    rta_task *r = rta_spawn(resolve_later, p);
    int64_t v = rta_await(p);
    rta_await_cfg(r, false); /* not counted: configure-await false */
    rta_task_release(r);
    rta_task_release(p);
    return v;
}

static int64_t await_pending_cfg(bool cfg)
{
    rta_task *p = rta_promise_new();
    rta_task *r = rta_spawn(resolve_later, p);
    int64_t v = rta_await_cfg(p, cfg);
    rta_await_cfg(r, false);
    rta_task_release(r);
    rta_task_release(p);
    return v;
}

/* ---- the basic rule ---- */

static int64_t t_basic(void *arg)
{
    (void)arg;
    CHECK(rta_sync_ctx_current() == NULL);
    CHECK(rta_sync_ctx_set(&A.ctx) == NULL);
    int a0 = atomic_load(&A.posted);
    CHECK_EQ(await_pending(), 7);
    CHECK_EQ(atomic_load(&A.posted), a0 + 1);
    CHECK(rta_sync_ctx_current() == &A.ctx); /* not reset by the resumption */
    rta_yield();                             /* yield posts too */
    CHECK_EQ(atomic_load(&A.posted), a0 + 2);
    rta_sleep_ms(1); /* and sleep */
    CHECK_EQ(atomic_load(&A.posted), a0 + 3);
    rta_task *done = rta_task_from_value(3);
    CHECK_EQ(rta_await(done), 3); /* completed: no suspension, no post */
    rta_task_release(done);
    CHECK_EQ(atomic_load(&A.posted), a0 + 3);
    CHECK(rta_sync_ctx_set(NULL) == &A.ctx);
    CHECK_EQ(await_pending(), 7); /* no context: resumes directly */
    CHECK_EQ(atomic_load(&A.posted), a0 + 3);
    return 1;
}

/* ---- configure-await per await and per function ---- */

static TEST_NOINLINE int64_t fn_false(void)
{
    RTA_CONFIGURE_AWAIT_FN(false);
    rta_yield();
    return await_pending_cfg(rta__configure_await); /* the function's setting is visible */
}

static TEST_NOINLINE int64_t fn_false_but_await_true(void)
{
    RTA_CONFIGURE_AWAIT_FN(false);
    rta_yield();                    /* false: direct */
    return await_pending_cfg(true); /* per-await beats per-function */
}

static int64_t t_configure(void *arg)
{
    (void)arg;
    rta_sync_ctx_set(&A.ctx);
    int a0 = atomic_load(&A.posted);
    CHECK_EQ(await_pending_cfg(false), 7);
    rta_yield_cfg(false);
    rta_sleep_ms_cfg(1, false);
    CHECK_EQ(atomic_load(&A.posted), a0);
    CHECK_EQ(fn_false(), 7);
    CHECK_EQ(atomic_load(&A.posted), a0);
    CHECK_EQ(fn_false_but_await_true(), 7);
    CHECK_EQ(atomic_load(&A.posted), a0 + 1);
    CHECK_EQ(await_pending(), 7); /* this file's default (true) again */
    CHECK_EQ(atomic_load(&A.posted), a0 + 2);
    /* The functions themselves, not the macros: configure-await true. */
    (rta_yield)();
    CHECK_EQ(atomic_load(&A.posted), a0 + 3);
    (rta_sleep_ms)(1);
    CHECK_EQ(atomic_load(&A.posted), a0 + 4);
    rta_task *p = rta_promise_new();
    rta_task *r = rta_spawn(resolve_later, p);
    CHECK_EQ((rta_await)(p), 7);
    CHECK_EQ((rta_await_awaiter)(&rta_task_awaiter, r), 0);
    rta_task_release(r);
    rta_task_release(p);
    CHECK(atomic_load(&A.posted) >= a0 + 5); /* r may have finished already */
    rta_sync_ctx_set(NULL);
    return 2;
}

/* ---- the async2 difference: which context after a callee changed it ---- */

/* An async2 callee that installs B and does not restore it. */
static TEST_NOINLINE void switch_to_b(void)
{
    rta_yield(); /* a suspension inside the callee, resumed through A */
    rta_sync_ctx_set(&B.ctx);
    KEEP_FRAME();
}

/* The same change behind a thunk (a task-returning method called through
 * the async2 entry: the async1 boundary, which saves and restores). */
static int64_t done_body(void *arg)
{
    rta_sleep_ms_cfg(2, false); /* so that the thunk's await always suspends */
    return (int64_t)(intptr_t)arg;
}
static rta_task *switch_to_b_task(void *arg)
{
    rta_sync_ctx_set(&B.ctx);
    return rta_spawn(done_body, arg);
}
static const rta_method switch_to_b_method = RTA_METHOD_ASYNC1(switch_to_b_task, 0);

static int64_t t_async2_vs_async1(void *arg)
{
    (void)arg;
    rta_sync_ctx_set(&A.ctx);
    int a0 = atomic_load(&A.posted), b0 = atomic_load(&B.posted);
    switch_to_b();
    CHECK_EQ(atomic_load(&A.posted), a0 + 1); /* the callee's own yield */
    CHECK(rta_sync_ctx_current() == &B.ctx);  /* async2: the change is visible */
    CHECK_EQ(await_pending(), 7);
    CHECK_EQ(atomic_load(&B.posted), b0 + 1); /* resumed through B */
    CHECK_EQ(atomic_load(&A.posted), a0 + 1);

    rta_sync_ctx_set(&A.ctx);
    CHECK_EQ(rta_method_call(&switch_to_b_method, (void *)5), 5);
    CHECK(rta_sync_ctx_current() == &A.ctx); /* async1 boundary: restored */
    CHECK_EQ(await_pending(), 7);
    CHECK_EQ(atomic_load(&A.posted), a0 + 3); /* the thunk's await and ours, through A */
    CHECK_EQ(atomic_load(&B.posted), b0 + 1);
    rta_sync_ctx_set(NULL);
    return 3;
}

/* ---- flows into spawned tasks; beats the scheduler ---- */

static int64_t child_awaits(void *arg)
{
    (void)arg;
    CHECK(rta_sync_ctx_current() == &A.ctx);
    rta_sync_ctx_set(&B.ctx); /* stays in the child */
    return await_pending();
}

static int64_t t_flow(void *arg)
{
    (void)arg;
    rta_sync_ctx_set(&A.ctx);
    rta_scheduler_set(&B.sched);
    int a0 = atomic_load(&A.posted), b0 = atomic_load(&B.posted);
    rta_task *c = rta_spawn(child_awaits, NULL);
    CHECK_EQ(rta_await(c), 7); /* through A (beats the scheduler B) */
    rta_task_release(c);
    CHECK(rta_sync_ctx_current() == &A.ctx);
    /* child: one post to B (its own await); parent: one post to A, unless
     * the child was done before the parent's await */
    CHECK_EQ(atomic_load(&B.posted), b0 + 1);
    CHECK(atomic_load(&A.posted) <= a0 + 1);
    rta_sync_ctx_set(NULL);
    rta_scheduler_set(NULL);
    return 4;
}

static void run(rta_fn fn, int64_t expect)
{
    rta_task *t = rta_spawn(fn, NULL);
    CHECK(t);
    CHECK_EQ(sem_wait(t, &A, &B), expect);
    rta_task_release(t);
}

int main(void)
{
    sem_init(&A);
    sem_init(&B);
    sem_start(2);
    /* Non-async code has its own current context too. */
    CHECK(rta_sync_ctx_current() == NULL);
    CHECK(rta_sync_ctx_set(&B.ctx) == NULL);
    CHECK(rta_sync_ctx_set(NULL) == &B.ctx);
    run(t_basic, 1);
    run(t_configure, 2);
    run(t_async2_vs_async1, 3);
    run(t_flow, 4);
    rta_shutdown();
    CHECK_EQ(atomic_load(&A.posted), atomic_load(&A.ran));
    CHECK_EQ(atomic_load(&B.posted), atomic_load(&B.ran));
    printf("sync ctx ok: %d posts to A, %d to B\n", atomic_load(&A.posted), atomic_load(&B.posted));
    sem_fini(&A);
    sem_fini(&B);
    return 0;
}
