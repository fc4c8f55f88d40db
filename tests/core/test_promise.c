/* Promises: usable before rta_init, completed exactly once, and completed
 * from a thread the runtime does not own (resolve, reject, cancel), waking a
 * task suspended on them and a main thread blocked in rta_task_wait. */
#include <rta.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"
#include "testutil.h"

enum { RESOLVE, REJECT, CANCEL };

typedef struct job {
    rta_task *promise;
    int action;
    _Atomic int awaiting; /* set by the task just before it awaits */
    _Atomic int foreign_in_async;
    uint64_t completed_at_ns;
} job;

static void *foreign_main(void *arg)
{
    job *j = arg;
    while (!atomic_load(&j->awaiting))
        test_sleep_ms(1);
    test_sleep_ms(10); /* the task is suspended by now (not required, but it is the point) */
    atomic_store(&j->foreign_in_async, rta_in_async());
    j->completed_at_ns = test_now_ns();
    bool ok = false;
    switch (j->action) {
    case RESOLVE:
        ok = rta_promise_resolve(j->promise, 41);
        break;
    case REJECT:
        ok = rta_promise_reject(j->promise, rta_error_new(RTA_EUSER - 3, "foreign no"));
        break;
    case CANCEL:
        ok = rta_promise_cancel(j->promise);
        break;
    }
    CHECK(ok);
    /* second completions lose, whatever their kind */
    CHECK(!rta_promise_resolve(j->promise, 1));
    CHECK(!rta_promise_reject(j->promise, rta_error_new(-EIO, "late"))); /* frees it */
    CHECK(!rta_promise_cancel(j->promise));
    return NULL;
}

static int64_t awaiting_task(void *arg)
{
    job *j = arg;
    volatile int64_t r = 0;
    atomic_store(&j->awaiting, 1);
    RTA_TRY {
        r = rta_await(j->promise) + 1;
        CHECK(test_now_ns() >= j->completed_at_ns);
    }
    RTA_CATCH(e) {
        if (j->action == REJECT) {
            CHECK_EQ(rta_error_code(e), RTA_EUSER - 3);
            CHECK_STREQ(rta_error_message(e), "foreign no");
            r = -3;
        } else {
            CHECK_EQ(j->action, CANCEL);
            CHECK_EQ(rta_error_code(e), -ECANCELED);
            r = -4;
        }
    }
    RTA_END_TRY;
    return r;
}

static int64_t uncaught_await(void *arg)
{
    job *j = arg;
    atomic_store(&j->awaiting, 1);
    return rta_await(j->promise);
}

static void run_job(int action, rta_fn fn, int64_t expect, rta_status expect_status)
{
    job j = {.promise = rta_promise_new(), .action = action};
    CHECK(j.promise);
    rta_task *t = rta_spawn(fn, &j);
    CHECK(t);
    pthread_t th;
    CHECK_OK(pthread_create(&th, NULL, foreign_main, &j));
    rta_error *err = NULL;
    int64_t v = rta_task_wait(t, &err);
    CHECK_EQ(rta_task_status(t), expect_status);
    if (expect_status == RTA_SUCCEEDED) {
        CHECK(err == NULL);
        CHECK_EQ(v, expect);
    } else {
        CHECK(err != NULL);
        CHECK_EQ(rta_error_code(err), expect);
        rta_error_free(err);
    }
    CHECK_OK(pthread_join(th, NULL));
    CHECK_EQ(atomic_load(&j.foreign_in_async), 0);
    rta_task_release(t);
    rta_task_release(j.promise);
}

int main(void)
{
    /* Before rta_init. */
    CHECK_EQ(rta_worker_count(), 0);
    rta_task *p = rta_promise_new();
    CHECK(p);
    CHECK_EQ(rta_task_status(p), RTA_PENDING);
    CHECK_EQ(rta_task_value(p), 0);
    CHECK(rta_promise_resolve(p, 12));
    CHECK(!rta_promise_resolve(p, 13));
    CHECK_EQ(rta_task_status(p), RTA_SUCCEEDED);
    CHECK_EQ(rta_task_value(p), 12);
    rta_error *err = (rta_error *)1;
    CHECK_EQ(rta_task_wait(p, &err), 12);
    CHECK(err == NULL);
    rta_task_release(p);

    p = rta_promise_new();
    CHECK(rta_promise_reject(p, rta_error_new(-EPIPE, "broken %s", "pipe")));
    CHECK(!rta_promise_reject(p, rta_error_new(-EIO, "ignored")));
    CHECK(!rta_promise_resolve(p, 1));
    CHECK_EQ(rta_task_status(p), RTA_FAULTED);
    CHECK_EQ(rta_error_code(rta_task_error(p)), -EPIPE);
    CHECK_STREQ(rta_error_message(rta_task_error(p)), "broken pipe");
    CHECK_EQ(rta_task_wait(p, &err), 0);
    CHECK_EQ(rta_error_code(err), -EPIPE);
    rta_error_free(err);
    rta_task_release(p);

    p = rta_promise_new();
    CHECK(rta_promise_cancel(p));
    CHECK(!rta_promise_cancel(p));
    CHECK_EQ(rta_task_status(p), RTA_CANCELED);
    CHECK_EQ(rta_task_wait(p, &err), 0);
    CHECK_EQ(rta_error_code(err), -ECANCELED);
    rta_error_free(err);
    rta_task_release(p);

    /* A promise made before init, awaited by tasks after it. */
    rta_task *early = rta_promise_new();
    CHECK(early);

    rta_config cfg = {.workers = 2};
    CHECK_OK(rta_init(&cfg));
    int rounds = (int)test_scaled(20, 3);
    for (int i = 0; i < rounds; i++) {
        run_job(RESOLVE, awaiting_task, 42, RTA_SUCCEEDED);
        run_job(REJECT, awaiting_task, -3, RTA_SUCCEEDED);
        run_job(CANCEL, awaiting_task, -4, RTA_SUCCEEDED);
        run_job(REJECT, uncaught_await, RTA_EUSER - 3, RTA_FAULTED);
        run_job(CANCEL, uncaught_await, -ECANCELED, RTA_CANCELED);
    }

    /* main blocked in rta_task_wait on a promise a foreign thread resolves */
    job j = {.promise = early, .action = RESOLVE};
    atomic_store(&j.awaiting, 1);
    pthread_t th;
    CHECK_OK(pthread_create(&th, NULL, foreign_main, &j));
    CHECK_EQ(rta_task_wait(early, &err), 41);
    CHECK(err == NULL);
    CHECK_OK(pthread_join(th, NULL));
    rta_task_release(early);

    rta_shutdown();
    return 0;
}
