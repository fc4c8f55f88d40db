/* loops: awaits in while/do/for conditions and increments, break and
 * continue (a do-while and a for whose condition awaits are rewritten with a
 * continue label), nested loops. */
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
    int64_t n = 0, total = 0;
    while (id(n) < 5) {
        n++;
        if (n == 2)
            continue;
        total += id(n);
    }
    printf("while: n=%lld total=%lld\n", (long long)n, (long long)total);
    int64_t k = 0;
    do {
        k++;
        if (k % 2)
            continue;
        total += k;
    } while (id(k) < 7);
    printf("do: k=%lld total=%lld\n", (long long)k, (long long)total);
    int64_t s = 0;
    for (int64_t i = id(0); i < id(6); i += id(2)) {
        if (i == 2)
            continue;
        for (int64_t j = 0; j < 3; j++) {
            if (j == 2)
                break;
            s += id(i * 10 + j);
        }
    }
    printf("for: s=%lld\n", (long long)s);
    int64_t m = 0;
    for (;;) {
        if (id(m) == 4)
            break;
        m++;
    }
    printf("forever: m=%lld\n", (long long)m);
    return total + s + m;
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
