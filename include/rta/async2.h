/* rtasync: the async2 markers (included by rta.h; do not include directly).
 *
 * An async2 source is ordinary C: a function marked RTA_ASYNC is an async2
 * method, and tools/rtac (docs/rtac.md) compiles the source for one engine:
 *
 *     RTA_ASYNC int64_t fib(int64_t n) { ... fib(n - 1) ... }   // an await
 *     RTA_BUILDER(pool, 16) RTA_ASYNC int64_t g(void *arg);      // async1 only
 *
 * For the compiler the markers are plain C and expand to nothing, so a
 * source built for the tasklet engine compiles as it stands. When rtac
 * parses the source it defines RTA__RTAC, and the markers become annotate
 * attributes that its front end reads (on definitions and on declarations:
 * a prototype marked RTA_ASYNC in a header makes calls to it awaits in every
 * translation unit that includes the header).
 *
 * RTA_BUILDER(task) / RTA_BUILDER(vtask) / RTA_BUILDER(pool, N) picks the
 * async1 builder of one method (the builder-override spec); the other
 * engines ignore it. */
#ifndef RTA_ASYNC2_H
#define RTA_ASYNC2_H

#ifdef RTA__RTAC
#define RTA_ASYNC __attribute__((annotate("rta.async")))
#define RTA_BUILDER(...) __attribute__((annotate("rta.builder:" #__VA_ARGS__)))
#else
#define RTA_ASYNC
#define RTA_BUILDER(...)
#endif

/* Not API: what rtac's cont and async1 output calls. A local whose address
 * is taken while an await can suspend lives in a heap block owned by its
 * function's frame (as a C++ coroutine frame holds its locals): the frame
 * itself moves between the stack and the heap, the block never does, so the
 * pointers stay valid. Allocated zeroed at the call's start, freed on every
 * way out (return or throw). */
#include <errno.h>
#include <stdlib.h>
static inline void *rta__async2_locals_new(size_t size, const char *fn)
{
    void *p = calloc(1, size);
    if (!p)
        rta_throw(-ENOMEM, "%s: out of memory for the locals whose address it takes", fn);
    return p;
}
static inline void rta__async2_locals_free(void *p)
{
    free(p);
}

#endif
