/* The calling convention and lowering: a call that does not suspend, a chain
 * that suspends on yields and sleeps and resumes with the right values,
 * spawn vs call, and the thunk's errors. */
#include <errno.h>
#include <rta.h>

#include "check.h"

RTA_CONT_FN(fib, int64_t, n)
{
    RTA_CONT_FRAME(fib, int64_t n; int64_t a; int64_t b;);
    F.n = n;
    if (F.n < 2)
        RTA_CONT_RETURN(F.n);
    RTA_CONT_CALL(F.a, fib, F.n - 1);
    RTA_CONT_CALL(F.b, fib, F.n - 2);
    RTA_CONT_RETURN(F.a + F.b);
}

/* fib that yields at every leaf. */
RTA_CONT_FN(yfib, int64_t, n)
{
    RTA_CONT_FRAME(yfib, int64_t n; int64_t a; int64_t b;);
    F.n = n;
    if (F.n < 2) {
        RTA_CONT_YIELD();
        RTA_CONT_RETURN(F.n);
    }
    RTA_CONT_CALL(F.a, yfib, F.n - 1);
    RTA_CONT_CALL(F.b, yfib, F.n - 2);
    RTA_CONT_RETURN(F.a + F.b);
}

RTA_CONT_FN(root_fib, void *, arg)
{
    RTA_CONT_FRAME(root_fib, int64_t r;);
    RTA_CONT_CALL(F.r, fib, (int64_t)(intptr_t)arg);
    RTA_CONT_RETURN(F.r);
}

RTA_CONT_FN(root_yfib, void *, arg)
{
    RTA_CONT_FRAME(root_yfib, int64_t r;);
    RTA_CONT_CALL(F.r, yfib, (int64_t)(intptr_t)arg);
    RTA_CONT_RETURN(F.r);
}

/* Several parameters, a loop whose counter lives in F, sleeps. */
RTA_CONT_FN(sum_sleep, int64_t, from, int64_t, to, int, step)
{
    RTA_CONT_FRAME(sum_sleep, int64_t i; int64_t to; int64_t acc; int step;);
    F.to = to;
    F.step = step;
    F.acc = 0;
    for (F.i = from; F.i < F.to; F.i += F.step) {
        RTA_CONT_SLEEP_MS(1);
        F.acc += F.i;
    }
    RTA_CONT_SLEEP_MS(0);
    RTA_CONT_RETURN(F.acc);
}

RTA_CONT_FN(root_sum, void *, arg)
{
    RTA_CONT_FRAME(root_sum, int64_t r;);
    (void)arg;
    RTA_CONT_CALL(F.r, sum_sleep, 0, 10, 3); /* 0+3+6+9 */
    RTA_CONT_RETURN(F.r);
}

static int64_t fib_c(int64_t n)
{
    return n < 2 ? n : fib_c(n - 1) + fib_c(n - 2);
}

static int64_t wait_ok(rta_task *t)
{
    rta_error *e = NULL;
    int64_t v = rta_task_wait(t, &e);
    CHECK(e == NULL);
    CHECK_EQ(rta_task_status(t), RTA_SUCCEEDED);
    rta_task_release(t);
    return v;
}

int main(void)
{
    /* Not running: the thunks refuse. */
    errno = 0;
    CHECK(rta_cont_call(root_fib, (void *)3) == NULL);
    CHECK_EQ(errno, EAGAIN);
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    errno = 0;
    CHECK(rta_cont_spawn(NULL, NULL) == NULL);
    CHECK_EQ(errno, EINVAL);

    /* No suspension: rta_cont_call returns a completed task. */
    rta_task *t = rta_cont_call(root_fib, (void *)20);
    CHECK(t != NULL);
    CHECK_EQ(rta_task_status(t), RTA_SUCCEEDED);
    CHECK_EQ(rta_task_value(t), fib_c(20));
    rta_task_release(t);

    /* Suspends at every leaf: started here, finished on the workers. */
    t = rta_cont_call(root_yfib, (void *)15);
    CHECK(t != NULL);
    CHECK_EQ(wait_ok(t), fib_c(15));

    /* Spawned: starts on a worker. */
    CHECK_EQ(wait_ok(rta_cont_spawn(root_yfib, (void *)12)), fib_c(12));
    CHECK_EQ(wait_ok(rta_cont_spawn(root_sum, NULL)), 18);
    CHECK_EQ(wait_ok(rta_cont_call(root_sum, NULL)), 18);

    rta_shutdown();
    return 0;
}
