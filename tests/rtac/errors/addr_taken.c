/* expect: 12:19: error: the address of 'x' (declared at line 11) is taken here and the await at line 13 */
#include <rta.h>

static RTA_ASYNC int64_t id(int64_t v)
{
    return v;
}

RTA_ASYNC int64_t f(void)
{
    int64_t x = 1;
    int64_t *p = &x;
    id(2);
    return *p;
}
