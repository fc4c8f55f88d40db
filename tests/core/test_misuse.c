/* Async-only calls from non-async code raise RTA_ENOTASYNC (catchable, no
 * crash); rta_task_wait inside a task returns an RTA_EBLOCKING error instead
 * of blocking a worker; rta_in_async tells the two apart. */
#include <rta.h>

#include <pthread.h>

#include "check.h"
#include "testutil.h"

static bool never_done(void *self)
{
    (void)self;
    return false;
}
static void never_register(void *self, rta_waiter *w)
{
    (void)self;
    (void)w;
    abort(); /* must not be reached from non-async code */
}
static int64_t no_result(void *self)
{
    (void)self;
    abort();
}
static const rta_awaiter_ops never_ops = {never_done, never_register, NULL, no_result};

enum { CALL_AWAIT, CALL_YIELD, CALL_SLEEP, CALL_AWAITER, NCALLS };

static void expect_notasync(int which, rta_task *p)
{
    volatile int code = 0;
    volatile int reached = 0;
    RTA_TRY {
        switch (which) {
        case CALL_AWAIT:
            rta_await(p);
            break;
        case CALL_YIELD:
            rta_yield();
            break;
        case CALL_SLEEP:
            rta_sleep_ms(1);
            break;
        case CALL_AWAITER:
            rta_await_awaiter(&never_ops, NULL);
            break;
        }
        reached = 1;
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
        CHECK(strstr(rta_error_message(e), "non-async") != NULL);
    }
    RTA_END_TRY;
    CHECK_EQ(reached, 0);
    CHECK_EQ(code, RTA_ENOTASYNC);
}

static void *foreign(void *arg)
{
    CHECK(!rta_in_async());
    for (int w = 0; w < NCALLS; w++)
        expect_notasync(w, arg);
    return NULL;
}

static int64_t blocking_inside(void *arg)
{
    CHECK(rta_in_async());
    rta_task *p = arg;
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(p, &err), 0); /* must return at once even though p is pending */
    CHECK(err != NULL);
    CHECK_EQ(rta_error_code(err), RTA_EBLOCKING);
    rta_error_free(err);
    /* Without err there is no error to return: it is thrown, naming the call. */
    volatile int code = 0;
    RTA_TRY {
        rta_task_wait(p, NULL);
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
        CHECK(strstr(rta_error_message(e), "rta_task_wait") != NULL);
    }
    RTA_END_TRY;
    CHECK_EQ(code, RTA_EBLOCKING);
    CHECK_EQ(rta_task_status(p), RTA_PENDING);
    rta_yield();
    CHECK(rta_in_async());
    return 9;
}

int main(void)
{
    rta_task *p = rta_promise_new();
    CHECK(!rta_in_async());
    for (int w = 0; w < NCALLS; w++)
        expect_notasync(w, p); /* before init */
    CHECK_OK(rta_init(NULL));
    for (int w = 0; w < NCALLS; w++)
        expect_notasync(w, p);
    CHECK(!rta_in_async());
    pthread_t th;
    CHECK_OK(pthread_create(&th, NULL, foreign, p));
    CHECK_OK(pthread_join(th, NULL));

    rta_task *t = rta_spawn(blocking_inside, p);
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(t, &err), 9);
    CHECK(err == NULL);
    rta_task_release(t);
    CHECK_EQ(rta_task_status(p), RTA_PENDING);
    rta_promise_resolve(p, 1);
    rta_task_release(p);
    rta_shutdown();
    CHECK(!rta_in_async());
    return 0;
}
