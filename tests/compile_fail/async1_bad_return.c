/* expect: _Generic|generic association */
/* Without an override the builder follows the return type; a return type
 * that no builder builds must not compile. */
#include <rta.h>

RTA_ASYNC1_METHOD(not_task_like, int);
