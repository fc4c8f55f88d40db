/* expect: 16:9: error: an await inside RTA_CATCH: awaiting in a handler is an invalid program */
#include <rta.h>

static RTA_ASYNC int64_t id(int64_t v)
{
    return v;
}

RTA_ASYNC int64_t f(void)
{
    int64_t r = 0;
    RTA_TRY {
        r = id(1);
    } RTA_CATCH(e) {
        (void)e;
        id(2);
    } RTA_END_TRY;
    return r;
}
