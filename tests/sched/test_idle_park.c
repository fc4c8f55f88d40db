/*
 * An idle worker sleeps in the kernel, whatever notifications it received
 * while it was busy.
 *
 * A wake-up (unpark) that reaches a worker while it runs something leaves
 * its parker word at 1, "notified"; only a park consumes that. The idle
 * path's short spin used to treat the pending notification as "work came",
 * return, find no work, spin again, and so on: the worker never parked and
 * burnt a whole CPU for as long as it stayed idle (found through the JSON
 * benchmark, whose process-CPU clock charged that spinning to the sync build
 * running on the main thread, issue 14). Here a task notifies its own worker
 * and returns; the worker must then reach the kernel sleep (word < 0), then
 * again after ordinary spawns from this thread. Waits are bounded (a hang
 * fails the test): the worker needs microseconds, the bound is seconds.
 */
#include "check.h"
#include "testutil.h"

#include "sched/sched.h"

#include <rta.h>

static int64_t notify_self(void *arg)
{
    (void)arg;
    /* One worker: this is the worker running us. */
    rta__parker_unpark(&rta__rt.workers[0]->parker);
    return 1;
}

static int64_t nothing(void *arg)
{
    return (int64_t)(intptr_t)arg;
}

/* Waits until worker 0 sleeps in the kernel: its word is -1 in the futex,
 * -2 in the I/O poller (src/io/poller.c), whichever parker is installed. */
static void wait_asleep(const char *after)
{
    uint64_t t0 = test_now_ns();
    while (atomic_load(&rta__rt.workers[0]->parker.state) >= 0) {
        if (test_now_ns() - t0 > 20000000000ull) {
            fprintf(stderr, "test_idle_park: the idle worker never parked after %s (word %d)\n", after,
                    atomic_load(&rta__rt.workers[0]->parker.state));
            exit(1);
        }
        test_sleep_ms(1);
    }
}

static void run(rta_fn fn, intptr_t arg, int64_t want)
{
    rta_task *t = rta_spawn(fn, (void *)arg);
    CHECK(t);
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(t, &err), want);
    CHECK(err == NULL);
    rta_task_release(t);
}

int main(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 1}));
    wait_asleep("start-up");
    long rounds = test_scaled(20, 3);
    for (long r = 0; r < rounds; r++) {
        run(notify_self, 0, 1);
        wait_asleep("a notification that came while it was busy");
        for (int i = 0; i < 10; i++)
            run(nothing, i, i);
        wait_asleep("tasks spawned from a non-async thread");
    }
    rta_shutdown();
    printf("ok\n");
    return 0;
}
