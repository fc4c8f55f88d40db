/* statics: static locals and globals in async functions (never in the
 * frame: their state is shared between calls and survives awaits), a
 * counter incremented across suspensions, and an extern-linkage global
 * array written through an index computed by an await. */
#include <rta.h>
#include <stdio.h>

int64_t hist[8];

static RTA_ASYNC int64_t bump(int64_t by)
{
    static int64_t calls;
    int64_t mine = ++calls;
    rta_yield();
    calls += by;
    return mine;
}

static RTA_ASYNC int64_t slot(int64_t v)
{
    rta_yield();
    return v % 8;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t firsts = 0;
    for (int64_t i = 0; i < 5; i++)
        firsts += bump(10);
    for (int64_t i = 0; i < 20; i++)
        hist[slot(i * 3)]++;
    printf("firsts=%lld hist=", (long long)firsts);
    for (int i = 0; i < 8; i++)
        printf("%lld%c", (long long)hist[i], i == 7 ? '\n' : ',');
    return firsts + bump(0);
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
