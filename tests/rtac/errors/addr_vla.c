/* expect: 13:18: error: the address of variable-length array 'buf' (declared at line 12) is taken here and the await at line 14 can suspend while it is in use */
#include <rta.h>

static RTA_ASYNC void fill(int64_t *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        p[i] = i;
}

RTA_ASYNC int64_t f(int64_t n)
{
    int64_t buf[n];
    int64_t *p = buf;
    fill(p, n);
    return buf[n - 1];
}
