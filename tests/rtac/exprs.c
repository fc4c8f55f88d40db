/* exprs: awaits inside compound assignments, array subscripts, casts,
 * unary operators, nested calls of ordinary functions, comparisons in a
 * while condition, and a statement that is only an await (value dropped). */
#include <rta.h>
#include <stdio.h>

static RTA_ASYNC int64_t id(int64_t v)
{
    rta_yield();
    return v;
}

static int64_t plain(int64_t a, int64_t b)
{
    return a * 3 - b;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t a[5] = {0, 0, 0, 0, 0};
    a[id(1)] += id(5);
    a[id(2)] = -id(3) + (int)id(4) * 2;
    int64_t p = plain(id(2), plain(id(1), 1)) + !id(0) + ~id(0);
    int64_t w = 0;
    while (id(w) * id(w) < 30)
        w++;
    id(99);
    uint8_t narrow = (uint8_t)id(300);
    printf("a=%lld,%lld,%lld p=%lld w=%lld narrow=%u\n", (long long)a[0], (long long)a[1], (long long)a[2],
           (long long)p, (long long)w, (unsigned)narrow);
    return a[1] + a[2] + p + w + narrow;
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
