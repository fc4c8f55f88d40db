/* promises: async functions await promises that another task resolves or
 * rejects later (rta_await of a task the function does not own), an error
 * from a rejected promise caught across the await, and an already
 * completed task awaited without suspending. */
#include <rta.h>
#include <stdio.h>

static rta_task *p[4];

static RTA_ASYNC int64_t resolver(void *arg)
{
    (void)arg;
    for (int i = 0; i < 4; i++) {
        rta_sleep_ms(1);
        if (i == 2)
            rta_promise_reject(p[i], rta_error_new(-71, "promise %d rejected", i));
        else
            rta_promise_resolve(p[i], 10 * (i + 1));
    }
    return 0;
}

static RTA_ASYNC int64_t waiter(int64_t i)
{
    volatile int64_t v = -1;
    RTA_TRY {
        v = rta_await(p[i]);
    }
    RTA_CATCH(e) {
        printf("waiter %lld: %s\n", (long long)i, rta_error_message(e));
    }
    RTA_END_TRY;
    return v;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    for (int i = 0; i < 4; i++)
        p[i] = rta_promise_new();
    rta_task *r = rta_spawn(resolver, NULL);
    int64_t sum = 0;
    for (int64_t i = 0; i < 4; i++) {
        int64_t v = waiter(i);
        printf("promise %lld -> %lld\n", (long long)i, (long long)v);
        sum += v;
    }
    /* completed now: the await returns at once */
    sum += rta_await(p[3]);
    rta_await(r);
    rta_task_release(r);
    for (int i = 0; i < 4; i++)
        rta_task_release(p[i]);
    return sum;
}

int main(void)
{
    if (rta_init(NULL) != 0)
        return 1;
    rta_task *t = rta_spawn(run, NULL);
    printf("result %lld\n", (long long)rta_task_wait(t, NULL));
    rta_task_release(t);
    rta_shutdown();
    return 0;
}
