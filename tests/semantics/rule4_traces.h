/* What test_rule4_traces.c and its chain (rule4_traces.async2.c, built by
 * rtac for every engine) share. */
#ifndef RTA_TEST_RULE4_TRACES_H
#define RTA_TEST_RULE4_TRACES_H

#include <rta.h>

/* The thrown error's code. */
#define RULE4_CODE (RTA_EUSER - 4)

/* Starts the chain level1(x) on the engine of each build: a task that
 * faults with RULE4_CODE when x > 0 and returns x + 2 otherwise. */
rta_task *tasklet_rule4_chain(int64_t x);
rta_task *cont_rule4_chain(int64_t x);
rta_task *async1_rule4_chain(int64_t x);

#endif
