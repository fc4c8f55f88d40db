/* Rule 4, async stack traces: rta_error_trace lists the logical async2
 * frames innermost first, by name, up to the task's root function (the
 * function handed to the thunk; the runtime's own frames are left out),
 * exactly, for a three-level chain with a suspension in the middle level —
 * thrown after the suspension, caught at the root, at an awaiter of the
 * task, and across an await of another task whose error is rethrown. */
#include "sem.h"

#define CODE (RTA_EUSER - 4)

static void expect_trace(const rta_error *e, const char *const *want, size_t n)
{
    const char *names[16];
    size_t got = rta_error_trace(e, names, 16);
    if (got != n) {
        fprintf(stderr, "trace has %zu frames, expected %zu:\n", got, n);
        for (size_t i = 0; i < got && i < 16; i++)
            fprintf(stderr, "  %s\n", names[i]);
        abort();
    }
    for (size_t i = 0; i < n; i++)
        CHECK_STREQ(names[i], want[i]);
}

static TEST_NOINLINE int64_t level3(int64_t x)
{
    if (x > 0)
        rta_throw(CODE, "level3 failed at %lld", (long long)x);
    KEEP_FRAME();
    return x;
}

static TEST_NOINLINE int64_t level2(int64_t x)
{
    rta_sleep_ms(1); /* the suspension in the middle of the chain */
    rta_yield();
    int64_t v = level3(x);
    KEEP_FRAME();
    return v + 1;
}

static TEST_NOINLINE int64_t level1(void *arg)
{
    int64_t v = level2((int64_t)(intptr_t)arg);
    KEEP_FRAME();
    return v + 1;
}

/* Catches at the root and checks the trace there. */
static TEST_NOINLINE int64_t catcher(void *arg)
{
    volatile int caught = 0;
    RTA_TRY {
        level1(arg);
    }
    RTA_CATCH(e) {
        static const char *const want[] = {"level3", "level2", "level1", "catcher"};
        expect_trace(e, want, 4);
        caught = 1;
    }
    RTA_END_TRY;
    KEEP_FRAME();
    return caught;
}

/* ---- across an await of another task ---- */

static TEST_NOINLINE int64_t outer2(void *arg)
{
    rta_task *t = rta_spawn(level1, arg); /* a chain in a task of its own */
    CHECK(t);
    rta_yield();
    volatile int64_t v = 0;
    rta_task *volatile tv = t;
    RTA_TRY {
        v = rta_await(tv); /* rethrows a copy, extended with our frames */
    }
    RTA_FINALLY {
        rta_task_release(tv);
    }
    RTA_END_TRY;
    KEEP_FRAME();
    return v;
}

static TEST_NOINLINE int64_t outer1(void *arg)
{
    int64_t v = outer2(arg);
    KEEP_FRAME();
    return v;
}

int main(void)
{
    sem_start(2);
    static const char *const chain[] = {"level3", "level2", "level1"};
    static const char *const across[] = {"level3", "level2", "level1", "outer2", "outer1"};

    /* caught in the task */
    rta_task *t = rta_spawn(catcher, (void *)1);
    CHECK(t);
    CHECK_EQ(rta_task_wait(t, NULL), 1);
    rta_task_release(t);

    /* uncaught: the task faults; its error (and the copy a waiter gets) ends at the root */
    t = rta_spawn(level1, (void *)2);
    CHECK(t);
    rta_error *e = NULL;
    CHECK_EQ(rta_task_wait(t, &e), 0);
    CHECK(e);
    CHECK_EQ(rta_error_code(e), CODE);
    CHECK_STREQ(rta_error_message(e), "level3 failed at 2");
    expect_trace(e, chain, 3);
    expect_trace(rta_task_error(t), chain, 3);
    rta_error_free(e);
    rta_task_release(t);

    /* across an await of another task */
    t = rta_spawn(outer1, (void *)3);
    CHECK(t);
    CHECK_EQ(rta_task_wait(t, &e), 0);
    CHECK(e);
    CHECK_STREQ(rta_error_message(e), "level3 failed at 3");
    expect_trace(e, across, 5);
    rta_error_free(e);
    rta_task_release(t);

    /* no throw: the chain returns normally */
    t = rta_spawn(level1, (void *)0);
    CHECK(t);
    CHECK_EQ(rta_task_wait(t, NULL), 2);
    rta_task_release(t);

    rta_shutdown();
    printf("traces ok\n");
    return 0;
}
