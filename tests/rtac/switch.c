/* switch: an await as the controlling expression, awaits inside cases,
 * fall-through, default, break out of a switch inside a loop, and a
 * continue inside a switch that belongs to the loop around it. */
#include <rta.h>
#include <stdio.h>

static RTA_ASYNC int64_t id(int64_t v)
{
    rta_yield();
    return v;
}

static RTA_ASYNC int64_t classify(int64_t v)
{
    int64_t r = 0;
    switch (id(v % 5)) {
    case 0:
        r = id(100);
        break;
    case 1:
        r += id(10);
        /* fall through */
    case 2:
        r += id(20);
        break;
    case 3: {
        int64_t t = id(v);
        r = t * 2;
        break;
    }
    default:
        r = -1;
    }
    return r;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t total = 0;
    for (int64_t i = 0; i < 10; i++) {
        int64_t c = classify(i);
        printf("classify(%lld) = %lld\n", (long long)i, (long long)c);
        switch (c) {
        case -1:
            continue;
        case 100:
            total += id(1000);
            break;
        default:
            total += c;
        }
        total += id(1);
    }
    printf("total %lld\n", (long long)total);
    return total;
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
