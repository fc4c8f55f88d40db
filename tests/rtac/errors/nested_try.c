/* expect: 14:9: error: an RTA_TRY holding an await inside another one in the same async2 function */
#include <rta.h>

static RTA_ASYNC int64_t id(int64_t v)
{
    return v;
}

RTA_ASYNC int64_t f(void)
{
    volatile int64_t r = 0;
    RTA_TRY {
        r = id(1);
        RTA_TRY {
            r += id(2);
        } RTA_FINALLY {
            r++;
        } RTA_END_TRY;
    } RTA_CATCH(e) {
        (void)e;
    } RTA_END_TRY;
    return r;
}
/* rtac-engines: cont (async1 lowers nested try blocks: tests/rtac/nested_try.c) */
