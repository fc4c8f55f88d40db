/* expect: 4:1: error: async2 function 'f' is variadic: not supported */
#include <rta.h>

RTA_ASYNC int64_t f(int n, ...)
{
    return n;
}
