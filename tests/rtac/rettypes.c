/* rettypes: async2 functions returning integer types other than int64_t.
 * Each value converts to the declared type as C's return does (uint8_t 300
 * is 44, bool 5 is 1, int -1 stays -1 through int64_t), before and after a
 * suspension, and callers use the results in expressions. */
#include <rta.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

typedef enum { RED = 1, GREEN = 2, BLUE = 40 } colour;

static RTA_ASYNC uint8_t wrap(int v, bool suspend)
{
    if (suspend)
        rta_yield();
    return v;
}

static RTA_ASYNC bool truth(int v)
{
    rta_yield();
    return v;
}

static RTA_ASYNC int negative(void)
{
    rta_yield();
    return -1;
}

static RTA_ASYNC ssize_t big(void)
{
    rta_yield();
    return (ssize_t)1 << 40;
}

static RTA_ASYNC colour pick(int i)
{
    if (i)
        rta_yield();
    return i == 0 ? RED : i == 1 ? GREEN : BLUE;
}

static RTA_ASYNC unsigned top(void)
{
    rta_yield();
    return -2; /* UINT_MAX - 1 */
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    printf("wrap 300 = %d, %d\n", wrap(300, false), wrap(300, true));
    printf("truth 5 = %d, truth 0 = %d\n", truth(5), truth(0));
    int n = negative();
    printf("negative = %d, as int64 %lld, sum %lld\n", n, (long long)negative(),
           (long long)(negative() + big()));
    printf("pick = %d %d %d\n", pick(0), pick(1), pick(2));
    printf("top = %u, top + 2u = %u\n", top(), top() + 2u);
    return truth(2) + wrap(511, true);
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
