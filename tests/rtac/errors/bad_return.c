/* expect: 4:1: error: async2 function 'f' returns 'double': it must return void or an integer type (int64_t, int, ssize_t, bool, an enum...) */
#include <rta.h>

RTA_ASYNC double f(void)
{
    return 1;
}
