/* shortcircuit: awaits on the right of && || and in the arms of ?: run only
 * when C would evaluate them (each await counts its runs). */
#include <rta.h>
#include <stdio.h>

static int calls;

static RTA_ASYNC int64_t check(int64_t v)
{
    calls++;
    rta_yield();
    return v;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t zero = 0, one = 1;
    int64_t a = zero && check(1);
    int64_t b = one || check(1);
    int64_t c = one && check(7);
    int64_t d = zero || check(0);
    printf("a=%lld b=%lld c=%lld d=%lld calls=%d\n", (long long)a, (long long)b, (long long)c, (long long)d,
           calls);
    int64_t e = one ? check(10) : check(20);
    int64_t f = zero ? check(10) : check(20) + 1;
    printf("e=%lld f=%lld calls=%d\n", (long long)e, (long long)f, calls);
    if (check(0) || (check(1) && !check(0)))
        printf("if: taken calls=%d\n", calls);
    int64_t g = (check(2), check(3));
    printf("comma: g=%lld calls=%d\n", (long long)g, calls);
    return a + b + c + d + e + f + g;
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
