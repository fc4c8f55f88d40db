/*
 * RTA_ASYNC marks the functions of the request pipeline as async2 code: the
 * tasklet engine compiles them as they are, rtac lowers them for cont and
 * async1. Until the project's rtac header is present, the mark is empty.
 */
#ifndef RTA_HTTP_ASYNC_H
#define RTA_HTTP_ASYNC_H

#include <rta.h> /* brings rta/async2.h once rtac is in the tree */
#ifndef RTA_ASYNC
#define RTA_ASYNC
#endif

#endif
