/* expect: 6:2: error: */
#include <rta.h>

RTA_ASYNC int64_t f(void)
{
}}
