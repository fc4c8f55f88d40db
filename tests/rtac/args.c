/* args: awaits as arguments f(g(x), h(y)), eight parameters used after an
 * await, structs and arrays by value in the frame, a pointer parameter. */
#include <rta.h>
#include <stdio.h>
#include <string.h>

struct point {
    int64_t x, y;
};

static RTA_ASYNC int64_t twice(int64_t v)
{
    rta_yield();
    return 2 * v;
}

static RTA_ASYNC int64_t add8(int64_t a, int64_t b, int c, short d, int64_t e, int64_t f, char g, int64_t h)
{
    rta_yield();
    return a + b + c + d + e + f + g + h;
}

static RTA_ASYNC int64_t norm1(struct point p, const char *label, char *out)
{
    int64_t ax = p.x < 0 ? -p.x : p.x;
    rta_yield();
    int64_t ay = p.y < 0 ? -p.y : p.y;
    strcpy(out, label);
    return ax + ay;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t r = add8(twice(1), twice(2), 3, 4, twice(5), 6, 7, twice(twice(2)));
    printf("add8 = %lld\n", (long long)r);
    struct point p = {3, -4};
    int64_t arr[4] = {1, 2, 3, 4};
    int64_t sum = 0;
    for (int i = 0; i < 4; i++)
        sum += twice(arr[i]);
    p.x += twice(p.y);
    static char buf[32];
    int64_t n = norm1(p, "norm", buf);
    printf("sum=%lld p=(%lld,%lld) norm=%lld %s arr[3]=%lld\n", (long long)sum, (long long)p.x,
           (long long)p.y, (long long)n, buf, (long long)arr[3]);
    return r + sum + n;
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
