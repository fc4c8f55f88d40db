/* Tasks released before they finish (fire-and-forget), succeeding, faulting
 * and canceled: nobody can observe their outcome, so the runtime frees them
 * without completing them through the waiter machinery. They must still run
 * exactly once, free their errors and async locals (valgrind/ASan check the
 * leaks), and count for shutdown. A task released while someone still waits
 * on it through an intrusive waiter must complete normally. */
#include <errno.h>
#include <rta.h>
#include <stdatomic.h>

#include "check.h"

static _Atomic int ran;

static int64_t ok_task(void *arg)
{
    (void)arg;
    rta_yield();
    atomic_fetch_add(&ran, 1);
    return 1;
}

static int64_t failing_task(void *arg)
{
    atomic_fetch_add(&ran, 1);
    if (arg)
        rta_throw(-ECANCELED, "canceled on purpose");
    rta_throw(RTA_EUSER, "nobody will see this");
}

static void local_dtor(void *v)
{
    free(v);
}

static int64_t with_local(void *arg)
{
    rta_local_set((rta_local *)arg, malloc(64));
    rta_yield();
    atomic_fetch_add(&ran, 1);
    return 0;
}

static _Atomic int waiter_fired;
static void on_done(rta_waiter *w)
{
    (void)w;
    atomic_fetch_add(&waiter_fired, 1);
}

static int64_t spawner(void *arg)
{
    rta_local *key = arg;
    for (int i = 0; i < 300; i++) {
        rta_task_release(rta_spawn(ok_task, NULL));
        rta_task_release(rta_spawn(failing_task, NULL));
        rta_task_release(rta_spawn(failing_task, (void *)1));
        rta_task_release(rta_spawn(with_local, key));
    }
    while (atomic_load(&ran) < 1200)
        rta_yield();
    return 0;
}

int main(void)
{
    rta_config cfg = {.workers = 2};
    CHECK_OK(rta_init(&cfg));
    rta_local *key = rta_local_new(local_dtor);
    CHECK(key != NULL);
    rta_task *t = rta_spawn(spawner, key);
    CHECK_EQ(rta_task_wait(t, NULL), 0);
    rta_task_release(t);
    CHECK_EQ(atomic_load(&ran), 1200);

    /* Registered, then released: the waiter still runs. */
    static rta_waiter w = {.fn = on_done};
    rta_task *u = rta_spawn(ok_task, NULL);
    if (rta_task_on_complete(u, &w))
        rta_task_release(u);
    else {
        on_done(&w);
        rta_task_release(u);
    }
    rta_shutdown(); /* waits for u */
    CHECK_EQ(atomic_load(&waiter_fired), 1);
    CHECK_EQ(atomic_load(&ran), 1201);
    rta_local_free(key);
    return 0;
}
