/* expect: 13:12: error: rtac cannot lower an await inside a macro */
#include <rta.h>

#define TWICE(x) ((x) + (x))

static RTA_ASYNC int64_t id(int64_t v)
{
    return v;
}

RTA_ASYNC int64_t f(void)
{
    return TWICE(id(1));
}
