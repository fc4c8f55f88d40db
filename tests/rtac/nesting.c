/* nesting: awaits inside nested ?: and parenthesised sub-expressions,
 * unary minus and logical not of an await, awaits as array indexes and in
 * compound assignments through pointers, and in a chain of comparisons. */
#include <rta.h>
#include <stdio.h>

static RTA_ASYNC int64_t id(int64_t v)
{
    rta_yield();
    return v;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t t[6] = {5, 4, 3, 2, 1, 0};
    static int64_t cell = 1;
    int64_t *pc = &cell; /* points to static storage: fine across awaits */
    int64_t a = id(1) ? (id(2) > 1 ? id(3) : id(4)) : id(5);
    int64_t b = -id(7) + !id(0) * 10 + (id(2) * (id(3) + id(4)));
    int64_t c = t[id(2)] + t[t[id(5)]];
    *pc += id(41);
    t[id(1)] -= id(4);
    int64_t d = (id(1) < id(2)) + (id(3) == id(3)) * 2 + (id(4) != 4) * 4;
    printf("a=%lld b=%lld c=%lld cell=%lld t1=%lld d=%lld\n", (long long)a, (long long)b, (long long)c,
           (long long)cell, (long long)t[1], (long long)d);
    return a + b + c + cell + t[1] + d;
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
