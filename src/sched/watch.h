/* The watcher thread (watch.c): signal-triggered task dumps and the stall
 * detector. */
#ifndef RTA_SCHED_WATCH_H
#define RTA_SCHED_WATCH_H

#include "../core/internal.h"

/* Reads RTA_DUMP_SIGNAL and RTA_STALL_MS and starts the watcher when either
 * needs it. 0, or -EINVAL (a message on stderr names the variable) /
 * -errno. Called by rta_init before the workers start. */
RTA__HIDDEN int rta__watch_start(void);
/* Stops it and restores the signals' dispositions; rta_shutdown, while the
 * workers still exist. */
RTA__HIDDEN void rta__watch_stop(void);
/* Sizes the watcher's per-worker state once the workers exist (rta_init,
 * before rta__running is published), so the watcher never allocates later. */
RTA__HIDDEN void rta__watch_workers_ready(void);

#endif
