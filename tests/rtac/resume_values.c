/* resume_values: a frame field (a pointer) saved at one await's suspension
 * and passed to the next await, dead after it. clang 14 -O2 resumed such a
 * frame in a copy of the label's block it had made for the fall-through
 * path, reading the pointer from a stale register (a crash in the default
 * RelWithDebInfo clang build); rta/detail/cont.h's RTA__CONT_LANDING. */
#include <rta.h>
#include <stdio.h>

typedef struct pair {
    int64_t a, b;
} pair;

static RTA_ASYNC void put_later(int64_t *out, int64_t v)
{
    rta_yield();
    *out = v;
}

static RTA_ASYNC int64_t fill(pair *pr)
{
    int64_t *pb = &pr->b;
    put_later(&pr->a, 20);
    put_later(pb, 80);
    rta_yield();
    return pr->a + pr->b;
}

static RTA_ASYNC int64_t run(void *arg)
{
    return fill(arg);
}

int main(void)
{
    if (rta_init(NULL) != 0)
        return 1;
    pair p = {1, 2};
    rta_task *t = rta_spawn(run, &p);
    int64_t v = rta_task_wait(t, NULL);
    printf("fill: %lld (a=%lld b=%lld)\n", (long long)v, (long long)p.a, (long long)p.b);
    rta_task_release(t);
    rta_shutdown();
    return 0;
}
