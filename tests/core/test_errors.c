/* Errors and exceptions: throws that cross suspensions, FINALLY on both
 * paths, nested handlers and rethrow, uncaught errors faulting the task,
 * awaiting a faulted task, async stack traces, the invalid-program rule for
 * awaits inside handlers, cancellation, rta_strerror and the error object API. */
#include <rta.h>

#include <errno.h>
#include <stdatomic.h>

#include "check.h"
#include "testutil.h"

#define CODE_A (RTA_EUSER - 1)
#define CODE_B (RTA_EUSER - 2)

enum { SUSP_YIELD, SUSP_SLEEP, SUSP_AWAIT, SUSP_NONE };

static int64_t sleepy_child(void *arg)
{
    rta_sleep_ms(2);
    return (int64_t)(intptr_t)arg;
}

static void suspend(int how)
{
    switch (how) {
    case SUSP_YIELD:
        rta_yield();
        break;
    case SUSP_SLEEP:
        rta_sleep_ms(1);
        break;
    case SUSP_AWAIT: {
        rta_task *volatile c = rta_spawn(sleepy_child, (void *)5);
        CHECK(c);
        RTA_TRY {
            CHECK_EQ(rta_await(c), 5); /* may throw (await inside a handler) */
        }
        RTA_FINALLY {
            rta_task_release(c);
        }
        RTA_END_TRY;
        break;
    }
    default:
        break;
    }
}

static TEST_NOINLINE void err_inner_thrower(int code)
{
    rta_throw(code, "inner failed with %d", 42);
}

static TEST_NOINLINE int64_t err_mid_suspender(int code, int how)
{
    volatile int64_t local = 11;
    suspend(how);
    err_inner_thrower(code);
    KEEP_FRAME();
    return local;
}

static void check_inner_error(const rta_error *e, int code)
{
    CHECK(e != NULL);
    CHECK_EQ(rta_error_code(e), code);
    CHECK_STREQ(rta_error_message(e), "inner failed with 42");
}

/* ---- 1. thrown below a suspension, caught above it ---- */

static int64_t catch_above(void *arg)
{
    int how = (int)(intptr_t)arg;
    volatile int caught = 0;
    volatile int64_t before = 1;
    int64_t marker = 77; /* address-taken local read after the catch */
    int64_t *pm = &marker;
    RTA_TRY {
        before = 2;
        suspend(how); /* a suspension between the try and the throw, in the body itself */
        err_mid_suspender(CODE_A, how);
        CHECK(0 && "not reached");
    }
    RTA_CATCH(e) {
        check_inner_error(e, CODE_A);
        caught = 1;
    }
    RTA_END_TRY;
    CHECK_EQ(caught, 1);
    CHECK_EQ(before, 2);
    CHECK_EQ(*pm, 77);
    /* The handler chain is clean afterwards: a later throw with its own try works. */
    RTA_TRY {
        suspend(how);
        rta_throw(CODE_B, "second");
    }
    RTA_CATCH(e) {
        CHECK_EQ(rta_error_code(e), CODE_B);
        caught = 2;
    }
    RTA_END_TRY;
    CHECK_EQ(caught, 2);
    return 100 + how;
}

/* ---- 2. FINALLY on both paths, rethrowing on the error path ---- */

static int64_t finally_paths(void *arg)
{
    (void)arg;
    volatile int fin = 0, caught = 0, after_inner = 0;
    RTA_TRY {
        RTA_TRY {
            rta_yield();
            err_mid_suspender(CODE_A, SUSP_SLEEP);
        }
        RTA_FINALLY {
            fin++;
        }
        RTA_END_TRY;
        after_inner = 1; /* the finally rethrew: not reached */
    }
    RTA_CATCH(e) {
        check_inner_error(e, CODE_A);
        caught++;
    }
    RTA_END_TRY;
    CHECK_EQ(fin, 1);
    CHECK_EQ(caught, 1);
    CHECK_EQ(after_inner, 0);

    /* normal path */
    volatile int body = 0;
    RTA_TRY {
        rta_sleep_ms(1);
        body = 1;
    }
    RTA_FINALLY {
        fin++;
    }
    RTA_END_TRY;
    CHECK_EQ(body, 1);
    CHECK_EQ(fin, 2);
    return 1;
}

/* ---- 3. nested handlers and rethrow ---- */

static int64_t nested(void *arg)
{
    (void)arg;
    volatile int inner_seen = 0, outer_seen = 0;
    RTA_TRY {
        RTA_TRY {
            err_mid_suspender(CODE_B, SUSP_AWAIT);
        }
        RTA_CATCH(e) {
            CHECK_EQ(rta_error_code(e), CODE_B);
            inner_seen = 1;
            rta_rethrow(e);
        }
        RTA_END_TRY;
        CHECK(0 && "rethrow must leave the body");
    }
    RTA_CATCH(e) {
        check_inner_error(e, CODE_B);
        outer_seen = 1;
    }
    RTA_END_TRY;
    CHECK_EQ(inner_seen, 1);
    CHECK_EQ(outer_seen, 1);

    /* an inner handler that swallows the error: the outer one does not run */
    inner_seen = outer_seen = 0;
    RTA_TRY {
        RTA_TRY {
            err_mid_suspender(CODE_A, SUSP_YIELD);
        }
        RTA_CATCH(e) {
            inner_seen = rta_error_code(e);
        }
        RTA_END_TRY;
        rta_yield();
    }
    RTA_CATCH(e) {
        (void)e;
        outer_seen = 1;
    }
    RTA_END_TRY;
    CHECK_EQ(inner_seen, CODE_A);
    CHECK_EQ(outer_seen, 0);

    /* throwing a different error from a handler replaces the first */
    RTA_TRY {
        RTA_TRY {
            err_inner_thrower(CODE_A);
        }
        RTA_CATCH(e) {
            (void)e;
            rta_throw_error(rta_error_new(CODE_B, "replacement"));
        }
        RTA_END_TRY;
    }
    RTA_CATCH(e) {
        CHECK_EQ(rta_error_code(e), CODE_B);
        CHECK_STREQ(rta_error_message(e), "replacement");
        outer_seen = 2;
    }
    RTA_END_TRY;
    CHECK_EQ(outer_seen, 2);
    return 3;
}

/* ---- 4. uncaught errors fault the task ---- */

static int64_t uncaught_fault(void *arg)
{
    (void)arg;
    rta_sleep_ms(1);
    rta_throw(CODE_B, "custom %s %d", "message", 9);
}

/* ---- 5. traces after suspensions; rethrow in an awaiter ---- */

static TEST_NOINLINE int64_t trace_leaf_thrower(void)
{
    rta_yield();
    rta_throw(CODE_A, "from the leaf");
}

static TEST_NOINLINE int64_t trace_middle_frame(void)
{
    rta_sleep_ms(1);
    int64_t v = trace_leaf_thrower();
    KEEP_FRAME();
    return v;
}

static int64_t trace_root_task(void *arg)
{
    (void)arg;
    int64_t v = trace_middle_frame();
    KEEP_FRAME();
    return v;
}

static rta_task *g_faulted; /* a task faulted by trace_root_task */
static _Atomic int g_awaiter_caught;

static TEST_NOINLINE int64_t awaiting_helper_frame(void)
{
    volatile int64_t r = -1;
    RTA_TRY {
        rta_yield();
        r = rta_await(g_faulted);
    }
    RTA_CATCH(e) {
        CHECK_EQ(rta_error_code(e), CODE_A);
        CHECK_STREQ(rta_error_message(e), "from the leaf");
        const char *names[64];
        size_t n = rta_error_trace(e, names, 64);
        CHECK(n >= 3 && n <= 64);
        int leaf = test_trace_index(names, n, "trace_leaf_thrower");
        int mid = test_trace_index(names, n, "trace_middle_frame");
        int self = test_trace_index(names, n, "awaiting_helper_frame");
        int root = test_trace_index(names, n, "awaiting_root_task");
        if (leaf < 0 || mid < 0 || self < 0 || root < 0) {
            for (size_t i = 0; i < n; i++)
                fprintf(stderr, "  trace[%zu] = %s\n", i, names[i]);
        }
        CHECK(leaf >= 0 && mid > leaf);   /* the thrower's frames, innermost first */
        CHECK(self > mid && root > self); /* then the awaiter's */
        atomic_store(&g_awaiter_caught, 1);
        r = 5;
    }
    RTA_END_TRY;
    KEEP_FRAME();
    return r;
}

static int64_t awaiting_root_task(void *arg)
{
    (void)arg;
    int64_t v = awaiting_helper_frame();
    KEEP_FRAME();
    return v;
}

static TEST_NOINLINE int64_t uncaught_awaiter_frame(void)
{
    int64_t v = rta_await(g_faulted);
    KEEP_FRAME();
    return v;
}

static int64_t uncaught_awaiter_task(void *arg)
{
    (void)arg;
    int64_t v = uncaught_awaiter_frame();
    KEEP_FRAME();
    return v;
}

/* ---- 6. awaiting inside handlers is an invalid program ---- */

static int64_t await_in_catch_task(void *arg)
{
    int how = (int)(intptr_t)arg;
    volatile int code = 0, named = 0;
    RTA_TRY {
        err_inner_thrower(CODE_A);
    }
    RTA_CATCH(e) {
        (void)e;
        RTA_TRY {
            suspend(how);
        }
        RTA_CATCH(e2) {
            code = rta_error_code(e2);
            named = strstr(rta_error_message(e2), "await_in_catch_task") != NULL;
        }
        RTA_END_TRY;
    }
    RTA_END_TRY;
    CHECK_EQ(code, RTA_EINVALIDPROGRAM);
    CHECK_EQ(named, 1);
    /* after the handler, awaiting is fine again */
    rta_yield();
    return 6;
}

static int64_t await_in_finally_task(void *arg)
{
    (void)arg;
    volatile int body = 0;
    RTA_TRY {
        body = 1;
    }
    RTA_FINALLY {
        rta_sleep_ms(1); /* uncaught: faults the task */
    }
    RTA_END_TRY;
    CHECK(0 && "not reached");
    return body;
}

/* ---- 7. cancellation ---- */

static int64_t cancel_self(void *arg)
{
    (void)arg;
    rta_yield();
    rta_throw(-ECANCELED, "giving up");
}

static void wait_fault(rta_task *t, int code, const char *msg_part)
{
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(t, &err), 0);
    CHECK(err != NULL);
    CHECK_EQ(rta_error_code(err), code);
    if (msg_part && !strstr(rta_error_message(err), msg_part)) {
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", rta_error_message(err), msg_part);
        abort();
    }
    rta_error_free(err);
}

static int64_t wait_ok(rta_task *t)
{
    rta_error *err = NULL;
    int64_t v = rta_task_wait(t, &err);
    if (err)
        fprintf(stderr, "unexpected error %d: %s\n", rta_error_code(err), rta_error_message(err));
    CHECK(err == NULL);
    CHECK_EQ(rta_task_status(t), RTA_SUCCEEDED);
    return v;
}

static void test_strerror(void)
{
    static const int codes[] = {RTA_EINVALIDPROGRAM, RTA_ENOTASYNC,    RTA_ENOTINIT, RTA_EBLOCKING,
                                RTA_ESTALE,          RTA_EDOUBLEAWAIT, RTA_EBUILDER};
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        const char *s = rta_strerror(codes[i]);
        CHECK(s && *s);
        CHECK(strcmp(s, "unknown error") != 0);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(s, rta_strerror(codes[j])) != 0); /* each says something different */
    }
    CHECK_STREQ(rta_strerror(-ENOENT), strerror(ENOENT));
    CHECK_STREQ(rta_strerror(-ECANCELED), strerror(ECANCELED));
    CHECK(rta_strerror(0) && *rta_strerror(0));
    CHECK(rta_strerror(RTA_EUSER - 7) && *rta_strerror(RTA_EUSER - 7));
    CHECK(rta_strerror(123456) != NULL);
}

static void test_error_objects(void)
{
    rta_error *e = rta_error_new(CODE_A, "value %d and %s", 17, "text");
    CHECK(e);
    CHECK_EQ(rta_error_code(e), CODE_A);
    CHECK_STREQ(rta_error_message(e), "value 17 and text");
    const char *names[4];
    CHECK_EQ(rta_error_trace(e, names, 4), 0); /* never thrown: no frames */
    rta_error *c = rta_error_copy(e);
    CHECK(c && c != e);
    CHECK(rta_error_message(c) != rta_error_message(e)); /* deep */
    CHECK_STREQ(rta_error_message(c), "value 17 and text");
    CHECK_EQ(rta_error_code(c), CODE_A);
    rta_error_free(e);
    CHECK_STREQ(rta_error_message(c), "value 17 and text"); /* survives the original */
    rta_error_free(c);
    rta_error_free(NULL);
    CHECK(rta_error_copy(NULL) == NULL);

    /* throw/catch in non-async code, and a thrown error's copy keeps its trace */
    volatile int caught = 0;
    RTA_TRY {
        rta_throw_error(rta_error_new(CODE_B, "main %s", "thread"));
    }
    RTA_CATCH(err) {
        CHECK_EQ(rta_error_code(err), CODE_B);
        CHECK_STREQ(rta_error_message(err), "main thread");
        const char *tn[64];
        size_t n = rta_error_trace(err, tn, 64);
        CHECK(test_trace_index(tn, n < 64 ? n : 64, "test_error_objects") >= 0);
        rta_error *cp = rta_error_copy(err);
        const char *cn[64];
        CHECK_EQ(rta_error_trace(cp, cn, 64), n);
        rta_error_free(cp);
        caught = 1;
    }
    RTA_END_TRY;
    CHECK_EQ(caught, 1);
}

int main(void)
{
    test_strerror();
    test_error_objects();

    rta_config cfg = {.workers = 2};
    CHECK_OK(rta_init(&cfg));

    for (int how = SUSP_YIELD; how <= SUSP_NONE; how++) {
        rta_task *t = rta_spawn(catch_above, (void *)(intptr_t)how);
        CHECK_EQ(wait_ok(t), 100 + how);
        rta_task_release(t);
    }
    rta_task *t = rta_spawn(finally_paths, NULL);
    CHECK_EQ(wait_ok(t), 1);
    rta_task_release(t);
    t = rta_spawn(nested, NULL);
    CHECK_EQ(wait_ok(t), 3);
    rta_task_release(t);

    /* uncaught */
    t = rta_spawn(uncaught_fault, NULL);
    wait_fault(t, CODE_B, "custom message 9");
    CHECK_EQ(rta_task_status(t), RTA_FAULTED);
    CHECK_EQ(rta_task_value(t), 0);
    CHECK(rta_task_error(t) != NULL);
    CHECK_EQ(rta_error_code(rta_task_error(t)), CODE_B);
    CHECK_STREQ(rta_error_message(rta_task_error(t)), "custom message 9");
    rta_task_release(t);

    /* traces */
    g_faulted = rta_spawn(trace_root_task, NULL);
    wait_fault(g_faulted, CODE_A, "from the leaf");
    {
        const char *names[64];
        size_t n = rta_error_trace(rta_task_error(g_faulted), names, 64);
        CHECK(n >= 3 && n <= 64);
        int leaf = test_trace_index(names, n, "trace_leaf_thrower");
        int mid = test_trace_index(names, n, "trace_middle_frame");
        int root = test_trace_index(names, n, "trace_root_task");
        if (leaf != 0 || mid != 1 || root != 2) {
            for (size_t i = 0; i < n; i++)
                fprintf(stderr, "  trace[%zu] = %s\n", i, names[i]);
        }
        CHECK_EQ(leaf, 0); /* innermost first, runtime frames left out */
        CHECK_EQ(mid, 1);
        CHECK_EQ(root, 2);
        for (size_t i = 0; i < n; i++)
            CHECK(strncmp(names[i], "rta_", 4) != 0);
    }
    t = rta_spawn(awaiting_root_task, NULL);
    CHECK_EQ(wait_ok(t), 5);
    CHECK_EQ(atomic_load(&g_awaiter_caught), 1);
    rta_task_release(t);
    t = rta_spawn(uncaught_awaiter_task, NULL);
    wait_fault(t, CODE_A, "from the leaf");
    {
        const char *names[64];
        size_t n = rta_error_trace(rta_task_error(t), names, 64);
        int leaf = test_trace_index(names, n, "trace_leaf_thrower");
        int aw = test_trace_index(names, n, "uncaught_awaiter_frame");
        int root = test_trace_index(names, n, "uncaught_awaiter_task");
        CHECK(leaf >= 0 && aw > leaf && root > aw);
        /* the awaited task's own error is not changed by the awaiter's rethrow */
        size_t n0 = rta_error_trace(rta_task_error(g_faulted), names, 64);
        CHECK(n0 < n);
    }
    rta_task_release(t);
    rta_task_release(g_faulted);

    /* invalid programs */
    for (int how = SUSP_YIELD; how <= SUSP_AWAIT; how++) {
        t = rta_spawn(await_in_catch_task, (void *)(intptr_t)how);
        CHECK_EQ(wait_ok(t), 6);
        rta_task_release(t);
    }
    t = rta_spawn(await_in_finally_task, NULL);
    wait_fault(t, RTA_EINVALIDPROGRAM, "await_in_finally_task");
    CHECK_EQ(rta_task_status(t), RTA_FAULTED);
    rta_task_release(t);

    /* -ECANCELED */
    t = rta_spawn(cancel_self, NULL);
    wait_fault(t, -ECANCELED, NULL);
    CHECK_EQ(rta_task_status(t), RTA_CANCELED);
    CHECK(rta_task_error(t) == NULL);
    rta_task_release(t);

    rta_shutdown();
    return 0;
}
