/* What test_rule6_methods.c and its task-returning implementations
 * (rule6_methods.async2.c, built by rtac for every engine) share. */
#ifndef RTA_TEST_RULE6_METHODS_H
#define RTA_TEST_RULE6_METHODS_H

#include <rta.h>

typedef struct obj {
    const rta_type *type;
    int64_t field;
    int engine;
} obj;

/* Derived.Method (async2, tasklet code), defined by the test. */
extern const rta_method Derived_m;

/* Base.Method and MoreDerived.Method, task-returning, per engine. */
rta_task *tasklet_Base(void *arg);
rta_task *tasklet_More(void *arg);
rta_task *cont_Base(void *arg);
rta_task *cont_More(void *arg);
rta_task *async1_Base(void *arg);
rta_task *async1_More(void *arg);

#endif
