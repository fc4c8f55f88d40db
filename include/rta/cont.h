/* rtasync: the cont engine's public API (included by rta.h; do not include directly). */
#ifndef RTA_CONT_H
#define RTA_CONT_H

#endif
