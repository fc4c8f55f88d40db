/* params: parameters read and written after awaits (the reads must see the
 * caller's values, never 0), pointer parameters into static storage, a
 * const parameter, and awaits as arguments (C leaves their order unspecified:
 * only what they sum to is printed). */
#include <rta.h>
#include <stdio.h>

static int64_t order[16];
static int norder;

static RTA_ASYNC int64_t tag(int64_t v)
{
    rta_yield();
    order[norder++] = v;
    return v;
}

static RTA_ASYNC int64_t mix(int64_t a, const int64_t b, int64_t *out, unsigned char c)
{
    rta_yield();
    a += b;
    rta_yield();
    *out = a * c;
    c++;
    rta_yield();
    return a + b + c;
}

static RTA_ASYNC int64_t three(int64_t a, int64_t b, int64_t c)
{
    return a * 100 + b * 10 + c;
}

static RTA_ASYNC int64_t run(void *arg)
{
    static int64_t slot;
    int64_t base = (int64_t)(intptr_t)arg;
    int64_t r = mix(base, 7, &slot, 3);
    printf("mix = %lld slot = %lld\n", (long long)r, (long long)slot);
    int64_t t = three(tag(1), tag(2), tag(3));
    printf("three = %lld tags = %d (%lld)\n", (long long)t, norder,
           (long long)(order[0] + order[1] + order[2]));
    return r + t + base;
}

int main(void)
{
    if (rta_init(NULL) != 0)
        return 1;
    rta_task *t = rta_spawn(run, (void *)(intptr_t)5);
    printf("result %lld\n", (long long)rta_task_wait(t, NULL));
    rta_task_release(t);
    rta_shutdown();
    return 0;
}
