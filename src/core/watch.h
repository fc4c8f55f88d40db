/* The watcher thread (watch.c): signal-triggered task dumps. */
#ifndef RTA_CORE_WATCH_H
#define RTA_CORE_WATCH_H

#include "internal.h"

/* Reads RTA_DUMP_SIGNAL and starts the watcher when something needs it.
 * 0, or -EINVAL (a message on stderr names the variable) / -errno. rta_init. */
RTA__HIDDEN int rta__watch_start(void);
/* Stops it and restores the signal's disposition; rta_shutdown. */
RTA__HIDDEN void rta__watch_stop(void);

#endif
