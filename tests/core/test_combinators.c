/* rta_when_all and rta_when_any: a when_all over 10,000 tasks, fault and
 * cancellation propagation, the n = 0 cases, the index when_any reports. */
#include <rta.h>

#include <errno.h>
#include <stdatomic.h>

#include "check.h"
#include "testutil.h"

static int64_t worker_task(void *arg)
{
    intptr_t i = (intptr_t)arg;
    if (i % 3 == 0)
        rta_yield();
    if (i % 97 == 0)
        rta_sleep_ms(1);
    return (int64_t)i * 2;
}

static int64_t failing(void *arg)
{
    rta_sleep_ms((uint64_t)(intptr_t)arg);
    rta_throw(RTA_EUSER - (int)(intptr_t)arg, "failure %d", (int)(intptr_t)arg);
}

typedef struct many {
    long n;
    rta_task **ts;
} many;

/* Awaits a when_all from inside a task. */
static int64_t await_all(void *arg)
{
    many *m = arg;
    rta_task *all = rta_when_all(m->ts, (size_t)m->n);
    CHECK(all);
    int64_t v = rta_await(all);
    rta_task_release(all);
    return v;
}

static void when_all_many(void)
{
    long n = test_scaled(10000, 1000);
    many m = {.n = n, .ts = malloc((size_t)n * sizeof(rta_task *))};
    CHECK(m.ts);
    for (long i = 0; i < n; i++)
        CHECK((m.ts[i] = rta_spawn(worker_task, (void *)(intptr_t)i)) != NULL);
    rta_task *all = rta_when_all(m.ts, (size_t)n);
    rta_task *in_task = rta_spawn(await_all, &m);
    CHECK(all && in_task);
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(all, &err), n);
    CHECK(err == NULL);
    CHECK_EQ(rta_task_status(all), RTA_SUCCEEDED);
    /* it completed only after every input */
    for (long i = 0; i < n; i++) {
        CHECK_EQ(rta_task_status(m.ts[i]), RTA_SUCCEEDED);
        CHECK_EQ(rta_task_value(m.ts[i]), i * 2);
    }
    CHECK_EQ(rta_task_wait(in_task, &err), n);
    rta_task_release(in_task);
    rta_task_release(all);
    for (long i = 0; i < n; i++)
        rta_task_release(m.ts[i]);
    free(m.ts);
}

static void when_all_promises(void)
{
    /* pending until the last input completes */
    rta_task *p[3] = {rta_promise_new(), rta_promise_new(), rta_promise_new()};
    rta_task *all = rta_when_all(p, 3);
    CHECK(all);
    rta_promise_resolve(p[2], 1);
    rta_promise_resolve(p[0], 1);
    CHECK_EQ(rta_task_status(all), RTA_PENDING);
    rta_promise_resolve(p[1], 1);
    CHECK_EQ(rta_task_status(all), RTA_SUCCEEDED);
    CHECK_EQ(rta_task_value(all), 3);
    rta_task_release(all);
    for (int i = 0; i < 3; i++)
        rta_task_release(p[i]);

    /* a faulted input: faults with a copy of its error; it wins over a canceled one */
    rta_task *q[4] = {rta_promise_new(), rta_promise_new(), rta_promise_new(), rta_promise_new()};
    all = rta_when_all(q, 4);
    rta_promise_cancel(q[0]);
    rta_promise_resolve(q[1], 5);
    rta_promise_reject(q[2], rta_error_new(RTA_EUSER - 9, "input %d failed", 2));
    CHECK_EQ(rta_task_status(all), RTA_PENDING);
    rta_promise_reject(q[3], rta_error_new(RTA_EUSER - 10, "later index"));
    CHECK_EQ(rta_task_status(all), RTA_FAULTED);
    const rta_error *e = rta_task_error(all);
    CHECK_EQ(rta_error_code(e), RTA_EUSER - 9);
    CHECK_STREQ(rta_error_message(e), "input 2 failed");
    CHECK(e != rta_task_error(q[2])); /* a copy: each task owns its own */
    rta_task_release(all);
    for (int i = 0; i < 4; i++)
        rta_task_release(q[i]);

    /* a canceled input and no faulted one: canceled */
    rta_task *c[2] = {rta_promise_new(), rta_promise_new()};
    all = rta_when_all(c, 2);
    rta_promise_cancel(c[1]);
    rta_promise_resolve(c[0], 1);
    CHECK_EQ(rta_task_status(all), RTA_CANCELED);
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(all, &err), 0);
    CHECK_EQ(rta_error_code(err), -ECANCELED);
    rta_error_free(err);
    rta_task_release(all);
    rta_task_release(c[0]);
    rta_task_release(c[1]);

    /* inputs complete before the call */
    rta_task *d[2] = {rta_task_from_value(1), rta_task_from_value(2)};
    all = rta_when_all(d, 2);
    CHECK_EQ(rta_task_status(all), RTA_SUCCEEDED);
    CHECK_EQ(rta_task_value(all), 2);
    rta_task_release(all);

    /* n = 0: complete at once with value 0 */
    all = rta_when_all(NULL, 0);
    CHECK(all);
    CHECK_EQ(rta_task_status(all), RTA_SUCCEEDED);
    CHECK_EQ(rta_task_value(all), 0);
    rta_task_release(all);

    /* when_any */
    rta_task *a[3] = {rta_promise_new(), rta_promise_new(), rta_promise_new()};
    rta_task *any = rta_when_any(a, 3);
    CHECK(any);
    CHECK_EQ(rta_task_status(any), RTA_PENDING);
    rta_promise_reject(a[2], rta_error_new(-EIO, "first to complete")); /* faulted still wins */
    CHECK_EQ(rta_task_status(any), RTA_SUCCEEDED);
    CHECK_EQ(rta_task_value(any), 2);
    rta_promise_resolve(a[0], 1);
    CHECK_EQ(rta_task_value(any), 2);
    rta_task_release(any); /* released before the last input completes */
    rta_promise_resolve(a[1], 1);
    any = rta_when_any(a, 3); /* all complete: the first by index */
    CHECK_EQ(rta_task_value(any), 0);
    rta_task_release(any);
    any = rta_when_any(&d[1], 1);
    CHECK_EQ(rta_task_value(any), 0);
    rta_task_release(any);
    for (int i = 0; i < 3; i++)
        rta_task_release(a[i]);
    rta_task_release(d[0]);
    rta_task_release(d[1]);

    errno = 0;
    CHECK(rta_when_any(NULL, 0) == NULL);
    CHECK_EQ(errno, EINVAL);
}

static void when_any_tasks(void)
{
    /* the one that finishes first (by far) is reported */
    rta_task *ts[3] = {rta_spawn(failing, (void *)(intptr_t)200), rta_spawn(worker_task, (void *)1),
                       rta_spawn(failing, (void *)(intptr_t)150)};
    rta_task *any = rta_when_any(ts, 3);
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(any, &err), 1);
    CHECK(err == NULL);
    rta_task *all = rta_when_all(ts, 3);
    CHECK_EQ(rta_task_wait(all, &err), 0);
    CHECK_EQ(rta_error_code(err), RTA_EUSER - 200); /* first by index, not by time */
    CHECK_STREQ(rta_error_message(err), "failure 200");
    rta_error_free(err);
    rta_task_release(any);
    rta_task_release(all);
    for (int i = 0; i < 3; i++)
        rta_task_release(ts[i]);
}

int main(void)
{
    when_all_promises(); /* combinators need no runtime */
    CHECK_OK(rta_init(NULL));
    when_all_many();
    when_all_promises();
    when_any_tasks();
    rta_shutdown();
    return 0;
}
