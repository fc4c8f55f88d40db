/*
 * Task groups (issue 11):
 *  - all children succeed: rta_group_wait returns 0 once every one ended;
 *  - fail fast: one child throws -EIO; a sibling blocked in rta_read forever
 *    and one sleeping forever are cancelled; the wait rethrows -EIO after
 *    both ended;
 *  - rta_group_cancel from another thread while the owner waits: -ECANCELED;
 *  - cancelling the owner cancels the group: the owner ends RTA_CANCELED
 *    and no child outlives it;
 *  - a plain thread waits (return value, no throw); a child spawned into a
 *    cancelled group starts cancelled; rta_group_free with children
 *    running cancels them (said on stderr), nothing leaks; NULL misuse.
 * Every wait is RTA_FOREVER: a cancellation that is lost hangs (ctest's
 * timeout fails the test); nothing here measures time.
 */
#include "iotest.h"

#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

static _Atomic int started;
static int sv[2];

static int64_t ok_child(void *arg)
{
    rta_yield();
    return (int64_t)(intptr_t)arg;
}

static int64_t reader_forever(void *arg)
{
    (void)arg;
    char c;
    atomic_fetch_add(&started, 1);
    ssize_t n = rta_read(sv[0], &c, 1, RTA_FOREVER);
    CHECK_EQ(n, -ECANCELED);
    return n;
}

static int64_t sleeper_forever(void *arg)
{
    (void)arg;
    atomic_fetch_add(&started, 1);
    rta_sleep_ms(3600 * 1000); /* throws -ECANCELED */
    abort();
}

static int64_t failing(void *arg)
{
    (void)arg;
    while (atomic_load(&started) < 2) /* the siblings are in their waits, or about to be */
        rta_yield();
    rta_throw(-EIO, "child failed on purpose");
}

static int64_t all_ok(void *arg)
{
    (void)arg;
    rta_group *g = rta_group_new();
    CHECK(g);
    rta_task *ts[10];
    for (long i = 0; i < 10; i++)
        CHECK((ts[i] = rta_group_spawn(g, ok_child, (void *)(intptr_t)i)) != NULL);
    CHECK_EQ(rta_group_wait(g), 0);
    for (long i = 0; i < 10; i++) {
        CHECK_EQ(rta_task_status(ts[i]), RTA_SUCCEEDED);
        CHECK_EQ(rta_task_value(ts[i]), i);
    }
    rta_group_free(g);
    return 1;
}

static int64_t fail_fast(void *arg)
{
    (void)arg;
    atomic_store(&started, 0);
    rta_group *g = rta_group_new();
    rta_task *r = rta_group_spawn(g, reader_forever, NULL);
    rta_task *s = rta_group_spawn(g, sleeper_forever, NULL);
    rta_task *f = rta_group_spawn(g, failing, NULL);
    CHECK(r && s && f);
    volatile int code = 0;
    RTA_TRY {
        rta_group_wait(g);
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
    }
    RTA_END_TRY;
    CHECK_EQ(code, -EIO);
    CHECK_EQ(rta_task_status(f), RTA_FAULTED);
    CHECK_EQ(rta_task_status(r), RTA_SUCCEEDED); /* returned -ECANCELED from its read */
    CHECK_EQ(rta_task_value(r), -ECANCELED);
    CHECK_EQ(rta_task_status(s), RTA_CANCELED);
    /* A child spawned into the group now starts cancelled. */
    rta_task *late = rta_group_spawn(g, sleeper_forever, NULL);
    CHECK(late);
    code = 0;
    RTA_TRY {
        rta_group_wait(g);
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
    }
    RTA_END_TRY;
    CHECK_EQ(code, -EIO); /* still the first failure */
    CHECK_EQ(rta_task_status(late), RTA_CANCELED);
    rta_group_free(g);
    return 2;
}

static rta_group *shared;
static _Atomic int owner_waiting;

static int64_t owner(void *arg)
{
    (void)arg;
    for (int i = 0; i < 4; i++)
        CHECK(rta_group_spawn(shared, sleeper_forever, NULL));
    atomic_store(&owner_waiting, 1);
    rta_group_wait(shared); /* throws -ECANCELED */
    abort();
}

static void run_owner_case(bool cancel_owner)
{
    atomic_store(&started, 0);
    atomic_store(&owner_waiting, 0);
    shared = rta_group_new();
    rta_task *o = rta_spawn(owner, NULL);
    CHECK(o);
    while (!atomic_load(&owner_waiting) || atomic_load(&started) < 4)
        test_sleep_ms(1);
    if (cancel_owner)
        CHECK(rta_task_cancel(o));
    else
        rta_group_cancel(shared);
    rta_error *err = NULL;
    rta_task_wait(o, &err);
    CHECK(err);
    CHECK_EQ(rta_error_code(err), -ECANCELED);
    rta_error_free(err);
    CHECK_EQ(rta_task_status(o), RTA_CANCELED); /* an uncaught -ECANCELED, either way */
    rta_task_release(o);
    /* Every child ended before the owner did. */
    CHECK_EQ(rta_group_wait(shared), -ECANCELED);
    rta_group_free(shared);
}

int main(void)
{
    iotest_init(2);
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK_EQ(iotest_join(rta_spawn(all_ok, NULL)), 1);
    CHECK_EQ(iotest_join(rta_spawn(fail_fast, NULL)), 2);
    run_owner_case(false);
    run_owner_case(true);

    /* A plain thread waits: the value, no throw. */
    rta_group *g = rta_group_new();
    CHECK(rta_group_spawn(g, ok_child, (void *)(intptr_t)5));
    CHECK_EQ(rta_group_wait(g), 0);
    atomic_store(&started, 0);
    CHECK(rta_group_spawn(g, reader_forever, NULL));
    CHECK(rta_group_spawn(g, sleeper_forever, NULL));
    CHECK(rta_group_spawn(g, failing, NULL));
    CHECK_EQ(rta_group_wait(g), -EIO);
    rta_group_free(g);

    /* Freed while children run: they are cancelled, the group goes with
     * the last (valgrind/ASan see no leak). */
    g = rta_group_new();
    atomic_store(&started, 0);
    rta_task *c = rta_task_retain(rta_group_spawn(g, sleeper_forever, NULL));
    while (atomic_load(&started) < 1)
        test_sleep_ms(1);
    rta_group_free(g);
    rta_task_wait(c, NULL);
    CHECK_EQ(rta_task_status(c), RTA_CANCELED);
    rta_task_release(c);

    /* Misuse. */
    errno = 0;
    CHECK(rta_group_spawn(NULL, ok_child, NULL) == NULL);
    CHECK_EQ(errno, EINVAL);
    g = rta_group_new();
    CHECK(rta_group_spawn(g, NULL, NULL) == NULL);
    CHECK_EQ(rta_group_wait(NULL), -EINVAL);
    rta_group_cancel(NULL);
    rta_group_free(NULL);
    rta_group_free(g);

    CHECK_OK(rta_close(sv[0]));
    CHECK_OK(rta_close(sv[1]));
    rta_shutdown();
    printf("ok\n");
    return 0;
}
