/* early_return: returns from inside nested loops and blocks after awaits,
 * a void async function that returns early, and falling off the end of a
 * void one. */
#include <rta.h>
#include <stdio.h>

static int64_t log_sum;

static RTA_ASYNC int64_t id(int64_t v)
{
    rta_yield();
    return v;
}

static RTA_ASYNC void note(int64_t v)
{
    if (v < 0)
        return;
    log_sum += id(v);
    if (v > 100) {
        rta_yield();
        return;
    }
    log_sum += 1;
}

static RTA_ASYNC int64_t find(int64_t want)
{
    for (int64_t i = 0; i < 10; i++) {
        for (int64_t j = 0; j < 10; j++) {
            if (id(i * 10 + j) == want) {
                int64_t r = id(i) * 100 + j;
                return r;
            }
        }
    }
    return -1;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    printf("find(37) = %lld\n", (long long)find(37));
    printf("find(123) = %lld\n", (long long)find(123));
    note(-5);
    note(7);
    note(500);
    printf("log_sum = %lld\n", (long long)log_sum);
    {
        int64_t x = id(4);
        if (x == 4)
            return x + log_sum;
    }
    return 0;
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
