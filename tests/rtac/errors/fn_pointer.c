/* expect: 11:29: error: 'id' is an async2 function: call it (an await) or start it with rta_spawn */
#include <rta.h>

static RTA_ASYNC int64_t id(int64_t v)
{
    return v;
}

RTA_ASYNC int64_t f(void)
{
    int64_t (*p)(int64_t) = id;
    return p(1);
}
