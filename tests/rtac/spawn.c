/* spawn: an async function starts tasks with rta_spawn and awaits them with
 * rta_await (an await point in every engine), in a loop, results summed in
 * a fixed order. */
#include <rta.h>
#include <stdio.h>

static RTA_ASYNC int64_t square(void *arg)
{
    int64_t v = (int64_t)(intptr_t)arg;
    rta_yield();
    return v * v;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    rta_task *ts[8];
    for (int i = 0; i < 8; i++)
        ts[i] = rta_spawn(square, (void *)(intptr_t)(i + 1));
    int64_t sum = 0;
    for (int i = 0; i < 8; i++) {
        sum += rta_await(ts[i]);
        rta_task_release(ts[i]);
    }
    printf("sum of squares = %lld\n", (long long)sum);
    rta_sleep_ms(1);
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
