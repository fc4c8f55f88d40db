/* shadow: a name declared again in nested blocks, each live across awaits,
 * and a parameter shadowed inside a loop. */
#include <rta.h>
#include <stdio.h>

static RTA_ASYNC int64_t id(int64_t v)
{
    rta_yield();
    return v;
}

static RTA_ASYNC int64_t run2(int64_t x)
{
    int64_t sum = 0;
    for (int64_t i = 0; i < 3; i++) {
        int64_t x = id(i * 7);
        sum += x + id(x);
    }
    return sum + x;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t v = 1;
    int64_t before = id(v);
    {
        int64_t v = 20;
        int64_t got = id(v);
        {
            int64_t v = 300;
            got += id(v);
            printf("inner v=%lld got=%lld\n", (long long)v, (long long)got);
        }
        printf("middle v=%lld got=%lld\n", (long long)v, (long long)got);
    }
    printf("outer v=%lld before=%lld\n", (long long)v, (long long)before);
    int64_t r = run2(5);
    printf("run2(5) = %lld\n", (long long)r);
    return v + r;
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
