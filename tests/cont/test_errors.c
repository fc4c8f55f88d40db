/* Errors in the cont engine: thrown below a suspension and caught above it
 * (UnwindToPossibleHandler), uncaught ones faulting the task with code and
 * message, traces rebuilt from the continuation chain, finally blocks across
 * suspensions, awaiting faulted and canceled tasks, and the invalid-program
 * rule for awaits inside handlers. */
#include <errno.h>
#include <rta.h>

#include "check.h"

enum { E_LEAF = RTA_EUSER - 1, E_AGAIN = RTA_EUSER - 2 };

/* Suspends, then throws. */
RTA_CONT_FN(thrower, int64_t, code)
{
    RTA_CONT_FRAME(thrower, int64_t code;);
    F.code = code;
    RTA_CONT_YIELD();
    rta_throw((int)F.code, "leaf failed with %d", (int)F.code);
}

/* No handler: the error passes through. */
RTA_CONT_FN(middle, int64_t, code)
{
    RTA_CONT_FRAME(middle, int64_t r;);
    RTA_CONT_CALL(F.r, thrower, code);
    RTA_CONT_RETURN(F.r + 1000); /* never reached */
}

/* Catches what middle lets through, after the suspension; goes on awaiting. */
RTA_CONT_FN(catcher, void *, arg)
{
    RTA_CONT_FRAME(catcher, int64_t r; int64_t caught;);
    (void)arg;
    F.caught = 0;
    RTA_CONT_TRY {
        RTA_CONT_CALL(F.r, middle, E_LEAF);
        F.r = -1;
    }
    RTA_CONT_CATCH(e) {
        CHECK_EQ(rta_error_code(e), E_LEAF);
        CHECK_STREQ(rta_error_message(e), "leaf failed with -20101");
        const char *names[8];
        size_t n = rta_error_trace(e, names, 8);
        CHECK(n >= 3);
        CHECK_STREQ(names[0], "thrower");
        CHECK_STREQ(names[1], "middle");
        CHECK_STREQ(names[2], "catcher");
        F.caught = 1;
    }
    RTA_CONT_END_TRY;
    CHECK_EQ(F.caught, 1);
    RTA_CONT_YIELD(); /* still a working frame after the handler */
    RTA_CONT_RETURN(42);
}

/* Uncaught: the task faults; the trace lists every cont frame innermost first. */
RTA_CONT_FN(outer, void *, arg)
{
    RTA_CONT_FRAME(outer, int64_t r;);
    (void)arg;
    RTA_CONT_CALL(F.r, middle, E_AGAIN);
    RTA_CONT_RETURN(F.r);
}

/* A synchronous throw (no suspension yet) caught in the same frame, then a
 * second try block in the same function across a suspension. */
RTA_CONT_FN(sync_then_async, void *, arg)
{
    RTA_CONT_FRAME(sync_then_async, int64_t r; int64_t hits;);
    (void)arg;
    F.hits = 0;
    RTA_CONT_TRY {
        rta_throw(-EIO, "sync");
    }
    RTA_CONT_CATCH(e) {
        CHECK_EQ(rta_error_code(e), -EIO);
        F.hits += 1;
    }
    RTA_CONT_END_TRY;
    RTA_CONT_TRY {
        RTA_CONT_YIELD();
        RTA_CONT_YIELD();
        rta_throw(-EPIPE, "after two yields");
    }
    RTA_CONT_CATCH(e) {
        CHECK_EQ(rta_error_code(e), -EPIPE);
        F.hits += 10;
    }
    RTA_CONT_END_TRY;
    RTA_CONT_RETURN(F.hits);
}

/* FINALLY runs on both paths and the error goes on. */
static int finally_runs;
RTA_CONT_FN(with_finally, int64_t, code)
{
    RTA_CONT_FRAME(with_finally, int64_t r;);
    RTA_CONT_TRY {
        RTA_CONT_CALL(F.r, thrower, code);
    }
    RTA_CONT_FINALLY {
        finally_runs++;
    }
    RTA_CONT_END_TRY;
    RTA_CONT_RETURN(F.r);
}

RTA_CONT_FN(finally_root, void *, arg)
{
    RTA_CONT_FRAME(finally_root, int64_t r;);
    (void)arg;
    RTA_CONT_CALL(F.r, with_finally, E_LEAF);
    RTA_CONT_RETURN(F.r);
}

/* Awaiting faulted / canceled tasks rethrows in the awaiting frame. */
RTA_CONT_FN(await_bad, void *, arg)
{
    RTA_CONT_FRAME(await_bad, rta_task * p; int64_t r; int64_t codes;);
    F.p = arg;
    F.codes = 0;
    RTA_CONT_TRY {
        RTA_CONT_AWAIT_TASK(F.r, F.p); /* rejected by main while suspended */
    }
    RTA_CONT_CATCH(e) {
        CHECK_EQ(rta_error_code(e), E_LEAF);
        const char *names[4];
        CHECK(rta_error_trace(e, names, 4) >= 1);
        F.codes += 1;
    }
    RTA_CONT_END_TRY;
    RTA_CONT_RETURN(F.codes);
}

RTA_CONT_FN(await_canceled, void *, arg)
{
    RTA_CONT_FRAME(await_canceled, int64_t r;);
    RTA_CONT_AWAIT_TASK(F.r, (rta_task *)arg);
    RTA_CONT_RETURN(F.r);
}

/* Awaiting inside a handler is an invalid program. */
RTA_CONT_FN(await_in_catch, void *, arg)
{
    RTA_CONT_FRAME(await_in_catch, int64_t r;);
    (void)arg;
    RTA_CONT_TRY {
        rta_throw(-EIO, "first");
    }
    RTA_CONT_CATCH(e) {
        (void)e;
        RTA_CONT_YIELD();
    }
    RTA_CONT_END_TRY;
    RTA_CONT_RETURN(0);
}

RTA_CONT_FN(await_in_finally, void *, arg)
{
    RTA_CONT_FRAME(await_in_finally, int64_t r;);
    (void)arg;
    RTA_CONT_TRY {
        RTA_CONT_YIELD();
    }
    RTA_CONT_FINALLY {
        RTA_CONT_CALL(F.r, thrower, 1);
    }
    RTA_CONT_END_TRY;
    RTA_CONT_RETURN(0);
}

static rta_error *wait_fault(rta_task *t)
{
    rta_error *e = NULL;
    CHECK_EQ(rta_task_wait(t, &e), 0);
    CHECK(e != NULL);
    CHECK_EQ(rta_task_status(t), RTA_FAULTED);
    return e;
}

int main(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));

    rta_task *t = rta_cont_call(catcher, NULL);
    CHECK_EQ(rta_task_wait(t, NULL), 42);
    CHECK_EQ(rta_task_status(t), RTA_SUCCEEDED);
    rta_task_release(t);

    t = rta_cont_call(outer, NULL);
    rta_error *e = wait_fault(t);
    CHECK_EQ(rta_error_code(e), E_AGAIN);
    CHECK_STREQ(rta_error_message(e), "leaf failed with -20102");
    CHECK_EQ(rta_error_code(rta_task_error(t)), E_AGAIN);
    const char *names[8];
    size_t n = rta_error_trace(rta_task_error(t), names, 8);
    CHECK_EQ(n, 3);
    CHECK_STREQ(names[0], "thrower");
    CHECK_STREQ(names[1], "middle");
    CHECK_STREQ(names[2], "outer");
    rta_error_free(e);
    rta_task_release(t);

    t = rta_cont_spawn(sync_then_async, NULL);
    CHECK_EQ(rta_task_wait(t, NULL), 11);
    rta_task_release(t);

    t = rta_cont_call(finally_root, NULL);
    e = wait_fault(t);
    CHECK_EQ(rta_error_code(e), E_LEAF);
    CHECK_EQ(finally_runs, 1);
    n = rta_error_trace(rta_task_error(t), names, 8);
    CHECK_EQ(n, 3);
    CHECK_STREQ(names[0], "thrower");
    CHECK_STREQ(names[1], "with_finally");
    CHECK_STREQ(names[2], "finally_root");
    rta_error_free(e);
    rta_task_release(t);

    rta_task *p = rta_promise_new();
    t = rta_cont_call(await_bad, p);
    CHECK_EQ(rta_task_status(t), RTA_PENDING); /* p is pending: it must have suspended */
    CHECK(rta_promise_reject(p, rta_error_new(E_LEAF, "rejected")));
    CHECK_EQ(rta_task_wait(t, NULL), 1);
    rta_task_release(t);
    rta_task_release(p);

    p = rta_promise_new();
    t = rta_cont_call(await_canceled, p);
    CHECK(rta_promise_cancel(p));
    CHECK_EQ(rta_task_wait(t, &e), 0);
    CHECK_EQ(rta_task_status(t), RTA_CANCELED);
    CHECK_EQ(rta_error_code(e), -ECANCELED);
    rta_error_free(e);
    rta_task_release(t);
    rta_task_release(p);

    t = rta_cont_call(await_in_catch, NULL);
    e = wait_fault(t);
    CHECK_EQ(rta_error_code(e), RTA_EINVALIDPROGRAM);
    CHECK(strstr(rta_error_message(e), "'await_in_catch'") != NULL);
    rta_error_free(e);
    rta_task_release(t);

    t = rta_cont_call(await_in_finally, NULL);
    e = wait_fault(t);
    CHECK_EQ(rta_error_code(e), RTA_EINVALIDPROGRAM);
    CHECK(strstr(rta_error_message(e), "'await_in_finally'") != NULL);
    rta_error_free(e);
    rta_task_release(t);

    rta_shutdown();
    return 0;
}
