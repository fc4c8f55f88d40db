/* expect: 4:1: error: async2 function 'f' returns 'int': it must return int64_t or void */
#include <rta.h>

RTA_ASYNC int f(void)
{
    return 1;
}
