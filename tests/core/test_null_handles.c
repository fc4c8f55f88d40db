/* A NULL task handle (what rta_spawn / rta_promise_new return on failure)
 * passed back into any public call never segfaults: waits report -EINVAL
 * naming rta_task_wait, awaits fault the awaiting task naming the call,
 * promise completions return false, combinators return a task that faulted
 * naming the call and the input's index. Also the misuse of waiting with no
 * runtime: a pending task before rta_init is RTA_ENOTINIT, not a hang. */
#include <rta.h>

#include <errno.h>

#include "check.h"

static void expect_null_wait(void)
{
    rta_error *err = NULL;
    errno = 0;
    CHECK_EQ(rta_task_wait(NULL, &err), 0);
    CHECK(err != NULL);
    CHECK_EQ(rta_error_code(err), -EINVAL);
    CHECK(strstr(rta_error_message(err), "rta_task_wait") != NULL);
    CHECK(strstr(rta_error_message(err), "NULL task") != NULL);
    CHECK_EQ(errno, EINVAL);
    rta_error_free(err);
}

static void expect_null_accessors(void)
{
    CHECK_EQ(rta_task_status(NULL), RTA_FAULTED);
    CHECK_EQ(rta_task_value(NULL), 0);
    CHECK_EQ(rta_task_id(NULL), 0);
    CHECK(rta_task_retain(NULL) == NULL);
    rta_task_release(NULL);
    CHECK_EQ(rta_error_code(rta_task_error(NULL)), -EINVAL);
    rta_waiter w = {0};
    CHECK(!rta_task_on_complete(NULL, &w)); /* "already complete" */
    CHECK(!rta_promise_resolve(NULL, 1));
    CHECK(!rta_promise_cancel(NULL));
    /* reject takes the error on every path (valgrind/LSan see a leak otherwise) */
    CHECK(!rta_promise_reject(NULL, rta_error_new(-EIO, "nobody gets this")));
    rta_frame_info fi[2];
    CHECK_EQ(rta_task_frames(NULL, fi, 2), 0);
}

static void expect_faulted_combinator(rta_task *c, const char *call, const char *index)
{
    CHECK(c != NULL);
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(c, &err), 0);
    CHECK_EQ(rta_task_status(c), RTA_FAULTED);
    CHECK_EQ(rta_error_code(err), -EINVAL);
    CHECK(strstr(rta_error_message(err), call) != NULL);
    CHECK(strstr(rta_error_message(err), index) != NULL);
    rta_error_free(err);
    rta_task_release(c);
}

/* In a task: awaiting NULL throws -EINVAL naming rta_await (catchable). */
static int64_t awaits_null(void *arg)
{
    (void)arg;
    volatile int code = 0;
    RTA_TRY {
        rta_await(NULL);
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
        CHECK(strstr(rta_error_message(e), "rta_await") != NULL);
    }
    RTA_END_TRY;
    CHECK_EQ(code, -EINVAL);
    /* rta_task_wait(NULL, NULL) inside a task: thrown too. */
    code = 0;
    RTA_TRY {
        rta_task_wait(NULL, NULL);
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
        CHECK(strstr(rta_error_message(e), "rta_task_wait") != NULL);
    }
    RTA_END_TRY;
    CHECK_EQ(code, -EINVAL);
    /* Through the generic awaiter too. */
    code = 0;
    RTA_TRY {
        rta_await_awaiter(&rta_task_awaiter, NULL);
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
    }
    RTA_END_TRY;
    CHECK_EQ(code, -EINVAL);
    /* Unhandled: the task faults with the message. */
    return rta_await(NULL);
}

int main(void)
{
    /* A forgotten rta_init: rta_spawn refuses (NULL, EAGAIN) and waiting on
     * its result says what went wrong instead of crashing. */
    errno = 0;
    rta_task *t = rta_spawn(awaits_null, NULL);
    CHECK(t == NULL);
    CHECK_EQ(errno, EAGAIN);
    expect_null_wait();
    expect_null_accessors();

    /* A pending promise with no runtime: nothing can complete it but
     * another thread; rta_task_wait refuses rather than hang with no word. */
    rta_task *p = rta_promise_new();
    CHECK(p);
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(p, &err), 0);
    CHECK_EQ(rta_error_code(err), RTA_ENOTINIT);
    CHECK(strstr(rta_error_message(err), "rta_task_wait") != NULL);
    CHECK(strstr(rta_error_message(err), "rta_init") != NULL);
    rta_error_free(err);
    CHECK(rta_promise_resolve(p, 4));
    CHECK_EQ(rta_task_wait(p, &err), 4); /* completed: fine without a runtime */
    CHECK(err == NULL);

    /* Combinators (no runtime needed). */
    rta_task *in[3] = {p, NULL, p};
    expect_faulted_combinator(rta_when_all(in, 3), "rta_when_all", "input 1");
    expect_faulted_combinator(rta_when_any(in, 3), "rta_when_any", "input 1");
    expect_faulted_combinator(rta_when_all(NULL, 2), "rta_when_all", "input 0");
    CHECK_EQ(rta_task_status(p), RTA_SUCCEEDED); /* no reference taken or lost */
    rta_task_release(p);

    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    expect_null_wait();
    expect_null_accessors();
    t = rta_spawn(awaits_null, NULL);
    CHECK(t != NULL);
    CHECK_EQ(rta_task_wait(t, &err), 0);
    CHECK_EQ(rta_task_status(t), RTA_FAULTED);
    CHECK_EQ(rta_error_code(err), -EINVAL);
    CHECK(strstr(rta_error_message(err), "rta_await") != NULL);
    rta_error_free(err);
    rta_task_release(t);
    rta_shutdown();

    /* After shutdown as before init. */
    expect_null_wait();
    return 0;
}
