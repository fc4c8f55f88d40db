/*
 * rta_task_cancel (issue 11):
 *  - a read pending on a socket ends with -ECANCELED, its registration is
 *    withdrawn (the descriptor stays usable: a later read by another task
 *    gets the data), and every later wait of the cancelled task ends at once;
 *  - rta_sleep_ms (mid-sleep), rta_yield and rta_await throw -ECANCELED, and
 *    uncaught the task ends RTA_CANCELED; caught, the task goes on;
 *  - cancel racing with data arriving, over many pairs: each read returns
 *    either the byte or -ECANCELED, nobody hangs, records are reused after;
 *  - a completed task, a NULL handle and a promise.
 * Every wait below is RTA_FOREVER: a cancel that is lost hangs the test
 * (ctest's timeout fails it), nothing here measures time.
 */
#include "iotest.h"

#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

static _Atomic int stage;

/* Waits for t from a non-async thread; returns its status, value in *v. */
static rta_status join_status(rta_task *t, int64_t *v)
{
    CHECK(t != NULL);
    rta_error *err = NULL;
    int64_t r = rta_task_wait(t, &err);
    if (v)
        *v = r;
    rta_status st = rta_task_status(t);
    if (err) {
        CHECK_EQ(rta_error_code(err), -ECANCELED);
        rta_error_free(err);
    }
    rta_task_release(t);
    return st;
}

static void wait_stage(int s)
{
    while (atomic_load(&stage) < s)
        test_sleep_ms(1);
}

static int64_t reader(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c;
    atomic_store(&stage, 1);
    ssize_t n = rta_read(fd, &c, 1, RTA_FOREVER);
    CHECK_EQ(n, -ECANCELED);
    /* Later waits end at once, without touching the descriptor. */
    CHECK_EQ(rta_read(fd, &c, 1, RTA_FOREVER), -ECANCELED);
    CHECK_EQ(rta_recvfrom(fd, &c, 1, RTA_FOREVER), -ECANCELED);
    return 5;
}

static int64_t read_one(void *arg)
{
    char c = 0;
    CHECK_EQ(rta_read((int)(intptr_t)arg, &c, 1, RTA_FOREVER), 1);
    return c;
}

static int64_t sleeper(void *arg)
{
    (void)arg;
    atomic_store(&stage, 2);
    rta_sleep_ms(3600 * 1000);
    abort(); /* the sleep must throw */
}

static int64_t yielder(void *arg)
{
    (void)arg;
    for (;;) {
        atomic_store(&stage, 3);
        rta_yield();
    }
    return 0;
}

static int64_t awaiter(void *arg)
{
    atomic_store(&stage, 4);
    rta_await((rta_task *)arg);
    abort(); /* the await must throw */
    return 0;
}

static int64_t catcher(void *arg)
{
    volatile int64_t r = 0;
    atomic_store(&stage, 5);
    RTA_TRY {
        rta_sleep_ms(3600 * 1000);
    }
    RTA_CATCH(e) {
        r = rta_error_code(e) == -ECANCELED ? 7 : 1;
    }
    RTA_END_TRY;
    char c;
    CHECK_EQ(rta_read((int)(intptr_t)arg, &c, 1, RTA_FOREVER), -ECANCELED);
    return r;
}

enum { NPAIRS = 200 };
static int pairs[NPAIRS][2];

static int64_t racer(void *arg)
{
    long i = (long)(intptr_t)arg;
    char c = 0;
    ssize_t n = rta_read(pairs[i][0], &c, 1, RTA_FOREVER);
    CHECK(n == 1 || n == -ECANCELED);
    if (n == 1)
        CHECK_EQ(c, (char)i);
    return n;
}

static int64_t nothing(void *arg)
{
    return (int64_t)(intptr_t)arg;
}

int main(void)
{
    iotest_init(2);
    int64_t v = 0;

    /* Mid-read. */
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    rta_task *t = rta_spawn(reader, (void *)(intptr_t)sv[0]);
    CHECK(t);
    wait_stage(1);
    test_sleep_ms(5); /* usually suspended in the read by now; either way -ECANCELED */
    CHECK(rta_task_cancel(t));
    CHECK_EQ(join_status(t, &v), RTA_SUCCEEDED);
    CHECK_EQ(v, 5);
    CHECK_EQ(write(sv[1], "z", 1), 1);
    CHECK_EQ(iotest_join(rta_spawn(read_one, (void *)(intptr_t)sv[0])), 'z');

    /* Sleep, yield, await: thrown, uncaught -> RTA_CANCELED. */
    t = rta_spawn(sleeper, NULL);
    wait_stage(2);
    test_sleep_ms(5);
    CHECK(rta_task_cancel(t));
    CHECK_EQ(join_status(t, NULL), RTA_CANCELED);

    t = rta_spawn(yielder, NULL);
    wait_stage(3);
    CHECK(rta_task_cancel(t));
    CHECK_EQ(join_status(t, NULL), RTA_CANCELED);

    rta_task *p = rta_promise_new();
    t = rta_spawn(awaiter, p);
    wait_stage(4);
    test_sleep_ms(5);
    CHECK(rta_task_cancel(t));
    rta_promise_resolve(p, 1); /* a pending await ends with the awaited task */
    CHECK_EQ(join_status(t, NULL), RTA_CANCELED);
    rta_task_release(p);

    /* Caught: the task goes on, its waits keep ending with -ECANCELED. */
    t = rta_spawn(catcher, (void *)(intptr_t)sv[0]);
    wait_stage(5);
    test_sleep_ms(5);
    CHECK(rta_task_cancel(t));
    CHECK_EQ(join_status(t, &v), RTA_SUCCEEDED);
    CHECK_EQ(v, 7);
    CHECK_OK(rta_close(sv[0]));
    CHECK_OK(rta_close(sv[1]));

    /* Cancel racing with data, twice over the same pairs (records reused). */
    long n = test_scaled(NPAIRS, 20);
    for (long i = 0; i < n; i++)
        CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]));
    for (int round = 0; round < 2; round++) {
        rta_task *ts[NPAIRS];
        for (long i = 0; i < n; i++)
            CHECK((ts[i] = rta_spawn(racer, (void *)(intptr_t)i)) != NULL);
        for (long i = 0; i < n; i++) {
            if (i % 2 == 0) {
                char c = (char)i;
                CHECK_EQ(write(pairs[i][1], &c, 1), 1);
            }
            if (i % 3 != 2)
                rta_task_cancel(ts[i]);
        }
        long got = 0, canceled = 0;
        for (long i = 0; i < n; i++) {
            if (i % 3 == 2 && i % 2) {
                char c = (char)i; /* neither cancelled nor written yet */
                CHECK_EQ(write(pairs[i][1], &c, 1), 1);
            }
            CHECK_EQ(join_status(ts[i], &v), RTA_SUCCEEDED);
            got += v == 1;
            canceled += v == -ECANCELED;
        }
        CHECK_EQ(got + canceled, n);
        /* Drain what a cancelled reader left unread. */
        for (long i = 0; i < n; i += 2) {
            char c;
            ssize_t r = recv(pairs[i][0], &c, 1, MSG_DONTWAIT);
            CHECK(r == 1 || (r < 0 && errno == EAGAIN));
        }
        fprintf(stderr, "round %d: %ld reads got data, %ld cancelled\n", round, got, canceled);
    }
    for (long i = 0; i < n; i++) {
        CHECK_OK(rta_close(pairs[i][0]));
        CHECK_OK(rta_close(pairs[i][1]));
    }

    /* Completed, NULL, promise. */
    t = rta_spawn(nothing, (void *)(intptr_t)3);
    CHECK_EQ(rta_task_wait(t, NULL), 3);
    CHECK(!rta_task_cancel(t));
    rta_task_release(t);
    CHECK(!rta_task_cancel(NULL));
    p = rta_promise_new();
    CHECK(rta_task_cancel(p));
    CHECK_EQ(rta_task_status(p), RTA_CANCELED);
    CHECK(!rta_task_cancel(p));
    rta_task_release(p);

    rta_shutdown();
    printf("ok\n");
    return 0;
}
