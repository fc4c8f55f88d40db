/* expect: 11:12: error: 'f' is an async2 function: only RTA_ASYNC functions call it */
#include <rta.h>

RTA_ASYNC int64_t f(void)
{
    return 1;
}

int main(void)
{
    return f() == 1;
}
