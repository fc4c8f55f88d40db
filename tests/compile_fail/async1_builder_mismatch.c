/* expect: does not build the return type */
/* A per-method builder override whose task type is not the method's return
 * type must stop the build (the spec's "task-like type does not match the
 * return type" error), not fail at run time. */
#include <rta.h>

RTA_ASYNC1_METHOD(mismatched, rta_task *, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, 16));
