/* multi: the other file (part.h). */
#include "part.h"

#include <stdio.h>

RTA_BUILDER(vtask) RTA_ASYNC int64_t part_square(int64_t v)
{
    if (v % 2)
        rta_yield();
    return v * v;
}

static RTA_ASYNC int64_t one(int64_t i)
{
    return part_square(i) + 1;
}

RTA_ASYNC int64_t part_sum(int64_t n)
{
    int64_t s = 0;
    for (int64_t i = 1; i <= n; i++)
        s += one(i);
    return s;
}

RTA_ASYNC void part_note(const char *what, int64_t v)
{
    rta_sleep_ms(1);
    printf("%s: %lld\n", what, (long long)v);
}
