/* recursion: deep recursion (each level awaits its child), mutual recursion
 * through a prototype, and an async function awaited from many callers. */
#include <rta.h>
#include <stdio.h>

static RTA_ASYNC int64_t is_odd(int64_t n);

static RTA_ASYNC int64_t is_even(int64_t n)
{
    if (n == 0)
        return 1;
    return is_odd(n - 1);
}

static RTA_ASYNC int64_t is_odd(int64_t n)
{
    if (n == 0)
        return 0;
    if (n % 16 == 0)
        rta_yield();
    return is_even(n - 1);
}

static RTA_ASYNC int64_t depth(int64_t n)
{
    if (n == 0) {
        rta_yield();
        return 0;
    }
    int64_t below = depth(n - 1);
    return below + 1;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t d = depth(2000);
    printf("depth = %lld\n", (long long)d);
    printf("even(300) = %lld odd(301) = %lld even(7) = %lld\n", (long long)is_even(300),
           (long long)is_odd(301), (long long)is_even(7));
    return d;
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
