/* gotos: a backward goto loop around an await (its locals live across the
 * await through the goto), a forward goto out of nested loops, and a
 * do-while whose body breaks. */
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
    int64_t n = 0, acc = 0;
again:
    acc += id(n);
    n++;
    if (n < 5)
        goto again;
    printf("goto loop: acc=%lld\n", (long long)acc);
    int64_t found = -1;
    for (int64_t i = 0; i < 5; i++)
        for (int64_t j = 0; j < 5; j++)
            if (id(i * j) == 6) {
                found = i * 10 + j;
                goto out;
            }
out:
    printf("found %lld\n", (long long)found);
    int64_t k = 0;
    do {
        if (id(k) == 3)
            break;
        k++;
    } while (1);
    printf("k=%lld\n", (long long)k);
    return acc + found + k;
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
