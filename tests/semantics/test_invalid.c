/* Rule 5, invalid programs: awaiting (await, yield, sleep, awaiter) inside a
 * CATCH or FINALLY handler raises RTA_EINVALIDPROGRAM naming the function;
 * a thunk over a method flagged RTA_FN_BYREF raises it naming the method —
 * a faulted task from the task entry, a throw from the async2 entry — while
 * the direct entries of such a method work (pointers into the caller's
 * frame survive its awaits in the tasklet engine). */
#include "sem.h"

#include <errno.h>

#define CODE (RTA_EUSER - 5)

static void expect_invalid(const rta_error *e, const char *name)
{
    CHECK(e);
    CHECK_EQ(rta_error_code(e), RTA_EINVALIDPROGRAM);
    if (!strstr(rta_error_message(e), name)) {
        fprintf(stderr, "message \"%s\" does not name %s\n", rta_error_message(e), name);
        abort();
    }
}

/* how: 0 await, 1 yield, 2 sleep, 3 awaiter */
static rta_task *done; /* completed; made in main (the awaits below throw past any release) */

static void suspend_in_handler(int how)
{
    switch (how) {
    case 0:
        rta_await(done);
        break;
    case 1:
        rta_yield();
        break;
    case 2:
        rta_sleep_ms(1);
        break;
    default:
        rta_await_awaiter(&rta_task_awaiter, done);
        break;
    }
}

static TEST_NOINLINE void awaits_in_catch(int how)
{
    RTA_TRY {
        rta_throw(CODE, "first");
    }
    RTA_CATCH(e) {
        (void)e;
        suspend_in_handler(how); /* even an await of a completed task */
    }
    RTA_END_TRY;
}

static TEST_NOINLINE void awaits_in_finally(int how)
{
    RTA_TRY {
        rta_yield();
    }
    RTA_FINALLY {
        suspend_in_handler(how);
    }
    RTA_END_TRY;
}

/* One case in a frame of its own (setjmp: no loop variables live across it). */
static TEST_NOINLINE int try_one(int how, int fin)
{
    volatile int caught = 0;
    RTA_TRY {
        if (fin)
            awaits_in_finally(how);
        else
            awaits_in_catch(how);
    }
    RTA_CATCH(e) {
        expect_invalid(e, fin ? "awaits_in_finally" : "awaits_in_catch");
        caught = 1;
    }
    RTA_END_TRY;
    return caught;
}

static int64_t t_handlers(void *arg)
{
    (void)arg;
    int n = 0;
    for (int how = 0; how < 4; how++) {
        for (int fin = 0; fin < 2; fin++) {
            n += try_one(how, fin);
            rta_yield(); /* outside any handler again: allowed */
        }
    }
    return n;
}

/* ---- RTA_FN_BYREF ---- */

typedef struct byref_args {
    int64_t *slot; /* points into the caller's frame */
} byref_args;

static int64_t byref_async2(void *arg)
{
    byref_args *a = arg;
    rta_yield();
    *a->slot += 5; /* the caller's frame is back at its address */
    return *a->slot;
}
static const rta_method byref2 = RTA_METHOD_ASYNC2(byref_async2, RTA_FN_BYREF);

static int64_t byref_body(void *arg)
{
    return byref_async2(arg);
}
static rta_task *byref_async1(void *arg)
{
    return rta_spawn(byref_body, arg);
}
static const rta_method byref1 = RTA_METHOD_ASYNC1(byref_async1, RTA_FN_BYREF);

static int64_t t_byref(void *arg)
{
    (void)arg;
    int64_t local = 10;
    byref_args a = {&local};
    /* direct entries: no thunk, allowed */
    CHECK_EQ(rta_method_call(&byref2, &a), 15);
    CHECK_EQ(local, 15);
    rta_task *t = rta_method_call_task(&byref1, &a);
    CHECK(t);
    CHECK_EQ(rta_await(t), 20);
    rta_task_release(t);
    /* task entry over the async2 impl: the thunk cannot be made */
    t = rta_method_call_task(&byref2, &a);
    CHECK(t);
    CHECK_EQ(rta_task_status(t), RTA_FAULTED);
    expect_invalid(rta_task_error(t), "byref_async2");
    volatile int caught = 0;
    RTA_TRY {
        rta_await(t);
    }
    RTA_CATCH(e) {
        expect_invalid(e, "byref_async2");
        caught++;
    }
    RTA_END_TRY;
    rta_task_release(t);
    /* async2 entry over the async1 impl: likewise, thrown */
    RTA_TRY {
        rta_method_call(&byref1, &a);
    }
    RTA_CATCH(e) {
        expect_invalid(e, "byref_async1");
        caught++;
    }
    RTA_END_TRY;
    CHECK_EQ(caught, 2);
    CHECK_EQ(local, 20); /* nothing ran behind the refused thunks */
    return 1;
}

int main(void)
{
    CHECK((done = rta_task_from_value(1)) != NULL);
    sem_start(2);
    rta_task *t = rta_spawn(t_handlers, NULL);
    CHECK(t);
    CHECK_EQ(rta_task_wait(t, NULL), 8);
    rta_task_release(t);
    t = rta_spawn(t_byref, NULL);
    CHECK(t);
    CHECK_EQ(rta_task_wait(t, NULL), 1);
    rta_task_release(t);
    /* from non-async code the task entry reports the same faulted task */
    int64_t x = 0;
    byref_args a = {&x};
    t = rta_method_call_task(&byref2, &a);
    CHECK(t);
    rta_error *e = NULL;
    CHECK_EQ(rta_task_wait(t, &e), 0);
    expect_invalid(e, "byref_async2");
    rta_error_free(e);
    rta_task_release(t);
    rta_shutdown();
    rta_task_release(done);
    printf("invalid programs ok\n");
    return 0;
}
