/*
 * Pinning a task in its execution region (rta__resident_pin): the glue the
 * I/O layer (src/io/pool.c) needs from the engine that owns regions (the
 * tasklet engine implements it), declared beside the cancellation glue of
 * sched.h.
 */
#ifndef RTA_SCHED_PIN_H
#define RTA_SCHED_PIN_H

#include "../core/internal.h"

/* Keeps the running task's frames resident (never copied out of their
 * region) until the matching unpin: for a wait during which another thread
 * or the kernel reads or writes the task's frames (rta_run_blocking's arg,
 * a buffer on the stack). Running task only; nests; no-ops outside a
 * tasklet. A worker whose regions are all held by pinned tasks maps another
 * for a task that needs one to start; a task whose own region is held by a
 * pinned one resumes once the pin ends (retried every ms). */
RTA__HIDDEN void rta__resident_pin(void);
RTA__HIDDEN void rta__resident_unpin(void);

#endif
