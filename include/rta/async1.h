/* rtasync: the async1 engine's public API (included by rta.h; do not include directly). */
#ifndef RTA_ASYNC1_H
#define RTA_ASYNC1_H

#endif
