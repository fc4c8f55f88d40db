/* expect: ^$ */
/* The control: the same declarations with matching types compile, so the
 * two tests above fail for the reason they name, not for a broken include. */
#include <rta.h>

RTA_ASYNC1_METHOD(pooled, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, 16));
RTA_ASYNC1_METHOD(plain, rta_task *);
int main(void) { return 0; }
