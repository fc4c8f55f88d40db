/*
 * The built-in builders' tables, once, for translation units compiled
 * without optimisation: there include/rta/async1.h declares them extern
 * instead of giving each unit a static copy, which such a compiler keeps
 * even unused, and with it calls into this engine from every file that
 * includes rta.h (see the header). Optimised units keep their own static
 * copies (direct, inlined builder calls); these are the same tables.
 */
#define RTA__A1_OPS_EXTERN 1
#include "async1.h"

const rta_async1_builder_ops rta_task_builder_ops = RTA__A1_TASK_BUILDER_OPS;
const rta_async1_builder_ops rta_vtask_builder_ops = RTA__A1_VTASK_BUILDER_OPS;
const rta_async1_builder_ops rta_pooling_vtask_builder_ops = RTA__A1_POOLING_VTASK_BUILDER_OPS;
