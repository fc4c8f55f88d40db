/*
 * RTA_ASYNC marks the functions of the request pipeline as async2 code: the
 * tasklet engine compiles them as they are, rtac lowers them for cont and
 * async1. Until the project's rtac header is present, the mark is empty.
 */
#ifndef RTA_HTTP_ASYNC_H
#define RTA_HTTP_ASYNC_H

#if defined(__has_include)
#if __has_include(<rta/async2.h>)
#include <rta/async2.h>
#endif
#endif
#ifndef RTA_ASYNC
#define RTA_ASYNC
#endif

#endif
