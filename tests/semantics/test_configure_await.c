/* Rule 2, the translation-unit level of configure-await: this file defines
 * RTA_CONFIGURE_AWAIT 0 before including rta.h (ConfigureAwaitAttribute(false)
 * on the assembly), so its awaits resume directly even with a sync context or
 * a scheduler current; a function that says RTA_CONFIGURE_AWAIT_FN(true)
 * shadows it, and a per-await flag beats both. */
#define RTA_CONFIGURE_AWAIT 0
#include "sem.h"

static sem_queue Q;

static int64_t resolve_later(void *arg)
{
    rta_sleep_ms(2);
    rta_promise_resolve(arg, 9);
    return 0;
}

static int64_t await_pending(void)
{
    rta_task *p = rta_promise_new();
    rta_task *r = rta_spawn(resolve_later, p);
    int64_t v = rta_await(p); /* the lexical setting of the caller's scope: this file's */
    rta_await_cfg(r, false);
    rta_task_release(r);
    rta_task_release(p);
    return v;
}

static TEST_NOINLINE int64_t fn_true(void)
{
    RTA_CONFIGURE_AWAIT_FN(true);
    rta_yield();          /* counted */
    rta_sleep_ms(1);      /* counted */
    rta_yield_cfg(false); /* per await beats the function */
    return 2;
}

static int64_t body(void *arg)
{
    rta_sync_ctx *ctx = arg;
    if (ctx)
        rta_sync_ctx_set(ctx);
    else
        rta_scheduler_set(&Q.sched);
    CHECK_EQ(rta__configure_await, false);
    int q0 = atomic_load(&Q.posted);
    CHECK_EQ(await_pending(), 9);
    rta_yield();
    rta_sleep_ms(1);
    CHECK_EQ(atomic_load(&Q.posted), q0); /* the file's false */
    CHECK_EQ(fn_true(), 2);
    CHECK_EQ(atomic_load(&Q.posted), q0 + 2);
    rta_yield_cfg(true);
    CHECK_EQ(atomic_load(&Q.posted), q0 + 3);
    return 1;
}

int main(void)
{
    sem_init(&Q);
    sem_start(2);
    for (int round = 0; round < 2; round++) { /* through a sync context, then a scheduler */
        rta_task *t = rta_spawn(body, round == 0 ? &Q.ctx : NULL);
        CHECK(t);
        CHECK_EQ(sem_wait(t, &Q, NULL), 1);
        rta_task_release(t);
    }
    rta_shutdown();
    CHECK_EQ(atomic_load(&Q.posted), 6);
    CHECK_EQ(atomic_load(&Q.ran), 6);
    sem_fini(&Q);
    printf("configure-await levels ok\n");
    return 0;
}
