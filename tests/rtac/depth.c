/* depth: recursion 500 levels deep that completes without suspending (each
 * engine's synchronous path: no frame leaves the stack; 500 keeps the
 * tasklet build within its 256 KiB stack under ASan too), then 300 levels
 * that all suspend at the bottom and unwind through resumptions. */
#include <rta.h>
#include <stdio.h>

static RTA_ASYNC int64_t down(int64_t n, int64_t yield_at_bottom)
{
    if (n == 0) {
        if (yield_at_bottom)
            rta_yield();
        return 0;
    }
    int64_t below = down(n - 1, yield_at_bottom);
    return below + n % 7;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t a = down(500, 0);
    int64_t b = down(300, 1);
    printf("sync %lld, suspended %lld\n", (long long)a, (long long)b);
    return a + b;
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
