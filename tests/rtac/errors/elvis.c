/* expect: 11:12: error: rtac cannot lower an await in 'x ?: y': write 'x ? x : y' */
#include <rta.h>

static RTA_ASYNC int64_t id(int64_t v)
{
    return v;
}

RTA_ASYNC int64_t f(int64_t x)
{
    return x ?: id(1);
}
