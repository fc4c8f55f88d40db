/* expect: 9:5: error: RTA_CONFIGURE_AWAIT_FN must be the first statement of an async2 function (its flag is set before any code of the function runs) */
#include <rta.h>

static int calls;

static RTA_ASYNC int64_t late(void)
{
    calls++;
    RTA_CONFIGURE_AWAIT_FN(false);
    rta_yield();
    return calls;
}
