/* rta_init / rta_shutdown: repeated with work each time, -EBUSY, bad
 * configurations, RTA_WORKERS, and the calls that need a running runtime. */
#include <rta.h>

#include <errno.h>

#include "check.h"
#include "testutil.h"

static int64_t child(void *arg)
{
    rta_yield();
    return (int64_t)(intptr_t)arg + 1;
}

static int64_t parent(void *arg)
{
    intptr_t k = (intptr_t)arg;
    rta_task *c = rta_spawn(child, (void *)k);
    CHECK(c);
    rta_sleep_ms(k % 2);
    int64_t v = rta_await(c);
    rta_task_release(c);
    return v * 10;
}

int main(void)
{
    /* not running */
    CHECK_EQ(rta_worker_count(), 0);
    errno = 0;
    CHECK(rta_spawn(child, NULL) == NULL);
    CHECK_EQ(errno, EAGAIN);
    rta_stats st;
    memset(&st, 0xff, sizeof st);
    rta_stats_get(&st);
    CHECK_EQ(st.tasks_spawned, 0);
    CHECK_EQ(st.suspensions, 0);
    rta_shutdown(); /* harmless */

    /* bad configurations */
    rta_config bad = {.workers = 5000};
    CHECK_EQ(rta_init(&bad), -EINVAL);
    bad = (rta_config){.workers = 1, .stack_size = 1024};
    CHECK_EQ(rta_init(&bad), -EINVAL);
    bad = (rta_config){.workers = 1, .regions_per_worker = 2000000};
    CHECK_EQ(rta_init(&bad), -EINVAL);
    CHECK_EQ(rta_worker_count(), 0);
    CHECK_OK(setenv("RTA_STACK_SIZE", "lots", 1));
    CHECK_EQ(rta_init(NULL), -EINVAL);
    CHECK_OK(unsetenv("RTA_STACK_SIZE"));

    /* RTA_WORKERS */
    CHECK_OK(setenv("RTA_WORKERS", "3", 1));
    CHECK_OK(rta_init(NULL));
    CHECK_EQ(rta_worker_count(), 3);
    rta_config again = {.workers = 1};
    CHECK_EQ(rta_init(&again), -EBUSY);
    CHECK_EQ(rta_init(NULL), -EBUSY);
    CHECK_EQ(rta_worker_count(), 3); /* the running runtime is untouched */
    rta_shutdown();
    CHECK_EQ(rta_worker_count(), 0);
    CHECK_OK(setenv("RTA_WORKERS", "2", 1));
    rta_config explicit_cfg = {.workers = 1};
    CHECK_OK(rta_init(&explicit_cfg)); /* the config wins over the env */
    CHECK_EQ(rta_worker_count(), 1);
    rta_shutdown();
    CHECK_OK(unsetenv("RTA_WORKERS"));

    /* repeated, with work every time and different shapes */
    int cycles = (int)test_scaled(20, 5);
    int per = (int)test_scaled(200, 20);
    rta_task **ts = malloc((size_t)per * sizeof *ts);
    rta_task *survivor = NULL;
    for (int c = 0; c < cycles; c++) {
        rta_config cfg = {.workers = (unsigned)(c % 4) + 1,
                          .regions_per_worker = (unsigned)(c % 3) + 1,
                          .stack_size = (size_t)(64 + 64 * (c % 2)) * 1024};
        CHECK_OK(rta_init(&cfg));
        CHECK_EQ(rta_worker_count(), cfg.workers);
        for (int i = 0; i < per; i++)
            CHECK((ts[i] = rta_spawn(parent, (void *)(intptr_t)(i + c))) != NULL);
        for (int i = 0; i < per; i++) {
            rta_error *err = NULL;
            CHECK_EQ(rta_task_wait(ts[i], &err), (i + c + 1) * 10);
            CHECK(err == NULL);
            if (i == 0 && c == 0)
                survivor = ts[i];
            else
                rta_task_release(ts[i]);
        }
        rta_stats_get(&st);
        CHECK(st.tasks_spawned >= (uint64_t)per * 2); /* counters restart each time */
        CHECK(st.tasks_spawned <= (uint64_t)per * 2);
        /* tasks not waited for: shutdown waits for them */
        for (int i = 0; i < 8; i++) {
            rta_task *t = rta_spawn(parent, (void *)(intptr_t)i);
            CHECK(t);
            rta_task_release(t);
        }
        rta_shutdown();
        CHECK_EQ(rta_worker_count(), 0);
    }
    /* a handle stays valid after shutdown */
    CHECK_EQ(rta_task_status(survivor), RTA_SUCCEEDED);
    CHECK_EQ(rta_task_value(survivor), 10);
    rta_task_release(survivor);
    free(ts);
    errno = 0;
    CHECK(rta_spawn(child, NULL) == NULL);
    CHECK_EQ(errno, EAGAIN);
    /* a NULL function is refused while running */
    CHECK_OK(rta_init(NULL));
    errno = 0;
    CHECK(rta_spawn(NULL, NULL) == NULL);
    CHECK_EQ(errno, EINVAL);
    rta_shutdown();
    return 0;
}
