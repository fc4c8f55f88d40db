/* expect: 6:1: error: RTA_BUILDER(pool, 0) of 'pooled': the pool size must be an integer constant from 1 to 4096 */
#include <rta.h>

/* A pool of no boxes: refused by the engine that reads it. */
/* rtac-engines: async1 */
RTA_BUILDER(pool, 0) static RTA_ASYNC int64_t pooled(int64_t v)
{
    rta_yield();
    return v;
}
