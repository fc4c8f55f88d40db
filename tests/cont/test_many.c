/* Scale: 100,000 roots suspended at once at recursion depth 10, then all
 * resumed with correct results (peak RSS printed); recursion 1,000 deep with
 * a yield at every level; when_all over 10,000 cont tasks. */
#include <rta.h>
#include <stdio.h>
#include <sys/resource.h>

#include "check.h"

#define N_TASKS 100000
#define DEPTH 10

/* Recurse to depth 0, await the promise there, add the level on the way back. */
RTA_CONT_FN(descend, int64_t, d, rta_task *, p)
{
    RTA_CONT_FRAME(descend, int64_t d; int64_t r;);
    F.d = d;
    if (F.d == 0) {
        RTA_CONT_AWAIT_TASK(F.r, p);
        RTA_CONT_RETURN(F.r);
    }
    RTA_CONT_CALL(F.r, descend, F.d - 1, p);
    RTA_CONT_RETURN(F.r + F.d);
}

RTA_CONT_FN(many_root, void *, arg)
{
    RTA_CONT_FRAME(many_root, int64_t r;);
    RTA_CONT_CALL(F.r, descend, DEPTH, (rta_task *)arg);
    RTA_CONT_RETURN(F.r);
}

/* Yields before and after each level's call. */
RTA_CONT_FN(deep, int64_t, d)
{
    RTA_CONT_FRAME(deep, int64_t d; int64_t r;);
    F.d = d;
    if (F.d == 0)
        RTA_CONT_RETURN(0);
    RTA_CONT_YIELD();
    RTA_CONT_CALL(F.r, deep, F.d - 1);
    RTA_CONT_YIELD();
    RTA_CONT_RETURN(F.r + 1);
}

RTA_CONT_FN(deep_root, void *, arg)
{
    RTA_CONT_FRAME(deep_root, int64_t r;);
    RTA_CONT_CALL(F.r, deep, (int64_t)(intptr_t)arg);
    RTA_CONT_RETURN(F.r);
}

RTA_CONT_FN(small, void *, arg)
{
    RTA_CONT_FRAME(small, int64_t i;);
    F.i = (int64_t)(intptr_t)arg;
    RTA_CONT_YIELD();
    RTA_CONT_RETURN(F.i * 2);
}

/* Starts 10,000 tasks and awaits when_all of them from cont code. */
RTA_CONT_FN(all_root, void *, arg)
{
    RTA_CONT_FRAME(all_root, rta_task * *ts; rta_task * all; int64_t r; int64_t sum;);
    enum { N = 10000 };
    (void)arg;
    F.ts = malloc(N * sizeof *F.ts);
    CHECK(F.ts != NULL);
    for (int i = 0; i < N; i++) {
        F.ts[i] =
            (i & 1) ? rta_cont_spawn(small, (void *)(intptr_t)i) : rta_cont_call(small, (void *)(intptr_t)i);
        CHECK(F.ts[i] != NULL);
    }
    F.all = rta_when_all(F.ts, N);
    CHECK(F.all != NULL);
    RTA_CONT_AWAIT_TASK(F.r, F.all);
    CHECK_EQ(F.r, N);
    F.sum = 0;
    for (int i = 0; i < N; i++) {
        F.sum += rta_task_value(F.ts[i]);
        rta_task_release(F.ts[i]);
    }
    rta_task_release(F.all);
    free(F.ts);
    RTA_CONT_RETURN(F.sum);
}

int main(void)
{
    CHECK_OK(rta_init(NULL));

    static rta_task *ps[N_TASKS], *ts[N_TASKS];
    for (int i = 0; i < N_TASKS; i++) {
        ps[i] = rta_promise_new();
        ts[i] = rta_cont_call(many_root, ps[i]);
        CHECK(ts[i] != NULL);
        CHECK_EQ(rta_task_status(ts[i]), RTA_PENDING);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%d tasks suspended at depth %d: peak RSS %ld KiB\n", N_TASKS, DEPTH, ru.ru_maxrss);
    for (int i = 0; i < N_TASKS; i++)
        CHECK(rta_promise_resolve(ps[i], i));
    for (int i = 0; i < N_TASKS; i++) {
        CHECK_EQ(rta_task_wait(ts[i], NULL), i + DEPTH * (DEPTH + 1) / 2);
        rta_task_release(ts[i]);
        rta_task_release(ps[i]);
    }

    rta_task *t = rta_cont_call(deep_root, (void *)1000);
    CHECK_EQ(rta_task_wait(t, NULL), 1000);
    CHECK_EQ(rta_task_status(t), RTA_SUCCEEDED);
    rta_task_release(t);

    t = rta_cont_spawn(all_root, NULL);
    CHECK_EQ(rta_task_wait(t, NULL), 10000LL * 9999);
    rta_task_release(t);

    rta_shutdown();
    return 0;
}
