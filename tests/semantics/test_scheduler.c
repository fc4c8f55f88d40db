/* Rule 3, TaskScheduler.Current: work resumed after a suspension goes
 * through the scheduler current at the await (captured then: changing it
 * afterwards does not move a suspended await, and a callee's change is its
 * caller's); configure-await false bypasses it; it flows into spawned tasks;
 * the scheduler here runs its items on a thread of its own. */
#include "sem.h"

static sem_queue S1, S2;
static _Atomic int stop;

/* The scheduler's own thread: drains both queues until told to stop. */
static void *sched_thread(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        if (!sem_drain(&S1) && !sem_drain(&S2))
            test_sleep_ms(1);
    }
    return NULL;
}

static int64_t resolve_later(void *arg)
{
    sem_wait_awaited(arg); /* resolve only once the await has suspended */
    rta_promise_resolve(arg, 4);
    return 0;
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

static TEST_NOINLINE void callee_switches(void)
{
    rta_scheduler_set(&S2.sched);
    KEEP_FRAME();
}

static int64_t child(void *arg)
{
    (void)arg;
    CHECK(rta_scheduler_current() == &S1.sched);
    rta_yield();
    return 1;
}

static int64_t body(void *arg)
{
    (void)arg;
    CHECK(rta_scheduler_current() == NULL);
    CHECK(rta_scheduler_set(&S1.sched) == NULL);
    int a = atomic_load(&S1.posted), b = atomic_load(&S2.posted);
    CHECK_EQ(await_pending_cfg(true), 4);
    CHECK_EQ(atomic_load(&S1.posted), a + 1);
    CHECK(rta_scheduler_current() == &S1.sched);
    CHECK_EQ(await_pending_cfg(false), 4);
    CHECK_EQ(atomic_load(&S1.posted), a + 1);
    rta_yield();
    rta_sleep_ms(1);
    CHECK_EQ(atomic_load(&S1.posted), a + 3);

    callee_switches(); /* async2: the callee's scheduler is the caller's now */
    CHECK(rta_scheduler_current() == &S2.sched);
    CHECK_EQ(await_pending_cfg(true), 4);
    CHECK_EQ(atomic_load(&S2.posted), b + 1);
    CHECK_EQ(atomic_load(&S1.posted), a + 3);

    CHECK(rta_scheduler_set(&S1.sched) == &S2.sched);
    rta_task *c = rta_spawn(child, NULL); /* flows in: the child's yield goes through S1 */
    CHECK(c);
    CHECK_EQ(rta_await_cfg(c, false), 1);
    rta_task_release(c);
    CHECK_EQ(atomic_load(&S1.posted), a + 4);
    CHECK(rta_scheduler_set(NULL) == &S1.sched);
    CHECK_EQ(await_pending_cfg(true), 4); /* default scheduler again */
    CHECK_EQ(atomic_load(&S1.posted), a + 4);
    CHECK_EQ(atomic_load(&S2.posted), b + 1);
    return 5;
}

int main(void)
{
    sem_init(&S1);
    sem_init(&S2);
    pthread_t th;
    CHECK_OK(pthread_create(&th, NULL, sched_thread, NULL));
    sem_start(3);
    CHECK(rta_scheduler_set(&S2.sched) == NULL); /* non-async code's own context */
    CHECK(rta_scheduler_current() == &S2.sched);
    CHECK(rta_scheduler_set(NULL) == &S2.sched);
    for (int i = 0; i < 4; i++) {
        rta_task *t = rta_spawn(body, NULL);
        CHECK(t);
        rta_error *e = NULL;
        CHECK_EQ(rta_task_wait(t, &e), 5);
        CHECK(e == NULL);
        rta_task_release(t);
    }
    rta_shutdown();
    atomic_store(&stop, 1);
    pthread_join(th, NULL);
    CHECK_EQ(atomic_load(&S1.posted), 16);
    CHECK_EQ(atomic_load(&S2.posted), 4);
    CHECK_EQ(atomic_load(&S1.ran), 16);
    sem_fini(&S1);
    sem_fini(&S2);
    printf("scheduler ok\n");
    return 0;
}
