/* many: a fan-out of 64 tasks started with rta_spawn, each a chain of
 * awaits with sleeps and yields, awaited in order; results summed. */
#include <rta.h>
#include <stdio.h>

#define N 64

static RTA_ASYNC int64_t leaf(int64_t v)
{
    if (v % 5 == 0)
        rta_sleep_ms(1);
    else
        rta_yield();
    return v;
}

static RTA_ASYNC int64_t worker(void *arg)
{
    int64_t id = (int64_t)(intptr_t)arg;
    int64_t s = 0;
    for (int64_t i = 0; i < 8; i++)
        s += leaf(id * 8 + i);
    return s;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    rta_task *ts[N];
    for (int i = 0; i < N; i++)
        ts[i] = rta_spawn(worker, (void *)(intptr_t)i);
    int64_t sum = 0;
    for (int i = 0; i < N; i++) {
        int64_t v = rta_await(ts[i]);
        if (i % 16 == 0)
            printf("worker %d: %lld\n", i, (long long)v);
        sum += v;
        rta_task_release(ts[i]);
    }
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
