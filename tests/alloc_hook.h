/*
 * Counts allocation calls of the whole test program, for tests that assert
 * "this allocates nothing". Include in exactly one file per program.
 *  - Normally malloc & co. are interposed (the runtime, linked statically,
 *    resolves to these) and forward to glibc's __libc_* entry points.
 *  - Under ASan or TSan, which own malloc, they are counted through the
 *    sanitizers' allocation hooks instead (interposing would mix two heaps,
 *    and under TSan it crashed at start-up: TSan's own initialisation calls
 *    malloc before it can run an interposed one).
 *  - Under valgrind, which replaces malloc itself, nothing is counted:
 *    alloc_counting() says so and CHECK_ALLOCS stands down; the rest of the
 *    test still runs (for memcheck).
 */
#ifndef RTA_TEST_ALLOC_HOOK_H
#define RTA_TEST_ALLOC_HOOK_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static _Atomic uint64_t test_allocs;

static inline void test_count_alloc(void)
{
    atomic_fetch_add_explicit(&test_allocs, 1, memory_order_relaxed);
}

static inline uint64_t allocs(void)
{
    return atomic_load(&test_allocs);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RTA_TEST_ASAN_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RTA_TEST_ASAN_HOOKS 1
#endif
#endif

#ifdef RTA_TEST_ASAN_HOOKS
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
                                              void (*f)(const volatile void *));
static void test_on_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    test_count_alloc();
}
static void test_on_free(const volatile void *p)
{
    (void)p;
}
#else
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

void *malloc(size_t n)
{
    test_count_alloc();
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    test_count_alloc();
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    if (!p)
        test_count_alloc();
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}

void *aligned_alloc(size_t align, size_t n)
{
    test_count_alloc();
    return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n)
{
    test_count_alloc();
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    test_count_alloc();
    void *p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
#endif

/* Whether allocations are being counted. Call it before the first count you
 * rely on: it installs the ASan hooks, and it probes once (so that probing
 * never shows in a count). */
static inline int alloc_counting(void)
{
    static int counting = -1;
    if (counting < 0) {
#ifdef RTA_TEST_ASAN_HOOKS
        CHECK(__sanitizer_install_malloc_and_free_hooks(test_on_malloc, test_on_free) != 0);
#endif
        uint64_t before = allocs();
        void *volatile p = malloc(16);
        free(p);
        counting = allocs() != before;
    }
    return counting;
}

/* CHECK_EQ on an allocation count, when counting works. */
#define CHECK_ALLOCS(a, b)                                                                                   \
    do {                                                                                                     \
        uint64_t check_n_ = (a);                                                                             \
        if (alloc_counting())                                                                                \
            CHECK_EQ(check_n_, b);                                                                           \
    } while (0)

#endif
