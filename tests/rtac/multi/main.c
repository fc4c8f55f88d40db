/* multi: a program of two files (main.c, part.c) sharing async functions
 * through part.h; an extern async function of this file is started with
 * rta_spawn. */
#include "part.h"

#include <stdio.h>

RTA_ASYNC int64_t entry(void *arg);

RTA_ASYNC int64_t entry(void *arg)
{
    int64_t n = (int64_t)(intptr_t)arg;
    int64_t s = part_sum(n);
    part_note("sum", s);
    part_note("square", part_square(s));
    return s;
}

int main(void)
{
    if (rta_init(NULL) != 0)
        return 1;
    rta_task *t = rta_spawn(entry, (void *)(intptr_t)10);
    printf("result %lld\n", (long long)rta_task_wait(t, NULL));
    rta_task_release(t);
    rta_shutdown();
    return 0;
}
