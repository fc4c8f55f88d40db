/* multi: async functions shared between two files through a header. The
 * RTA_ASYNC prototypes make calls to them awaits in every file that
 * includes this; rtac lowers them under a name other files can call
 * (rtac__NAME, docs/rtac.md "Names"). */
#ifndef RTAC_TEST_MULTI_PART_H
#define RTAC_TEST_MULTI_PART_H
#include <rta.h>

RTA_ASYNC int64_t part_sum(int64_t n);
RTA_BUILDER(vtask) RTA_ASYNC int64_t part_square(int64_t v);
RTA_ASYNC void part_note(const char *what, int64_t v);

#endif
