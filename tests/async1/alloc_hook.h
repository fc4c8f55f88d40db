/*
 * Counts allocation calls of the whole test program by interposing malloc &
 * co. (the runtime, linked statically, resolves to these), forwarding to
 * glibc's __libc_* entry points. Include in exactly one file per program.
 */
#ifndef RTA_TEST_ALLOC_HOOK_H
#define RTA_TEST_ALLOC_HOOK_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static _Atomic uint64_t test_allocs;

/* ASan owns malloc: interposing it there mixes two heaps. Count nothing then
 * (alloc_counting() says so and the count checks stand down). */
#if defined(__SANITIZE_ADDRESS__)
#define RTA_TEST_NO_HOOK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RTA_TEST_NO_HOOK 1
#endif
#endif

static inline uint64_t allocs(void)
{
    return atomic_load(&test_allocs);
}

#include <stdlib.h>

/* False under a tool that replaces malloc itself (valgrind): the counts are
 * then meaningless and the allocation checks are left out; the rest runs. */
static inline int alloc_counting(void)
{
    static int counting = -1; /* probed once, so that probing never shows in a count */
    if (counting < 0) {
        uint64_t before = allocs();
        void *volatile p = malloc(16);
        free(p);
        counting = allocs() != before;
    }
    return counting;
}

/* CHECK_EQ on an allocation count, when counting works. */
#define CHECK_ALLOCS(a, b)                                                             \
    do {                                                                               \
        uint64_t check_n_ = (a);                                                       \
        if (alloc_counting())                                                          \
            CHECK_EQ(check_n_, b);                                                     \
    } while (0)

#ifndef RTA_TEST_NO_HOOK
void *malloc(size_t n)
{
    atomic_fetch_add_explicit(&test_allocs, 1, memory_order_relaxed);
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    atomic_fetch_add_explicit(&test_allocs, 1, memory_order_relaxed);
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    if (!p)
        atomic_fetch_add_explicit(&test_allocs, 1, memory_order_relaxed);
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}

void *aligned_alloc(size_t align, size_t n)
{
    atomic_fetch_add_explicit(&test_allocs, 1, memory_order_relaxed);
    return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n)
{
    atomic_fetch_add_explicit(&test_allocs, 1, memory_order_relaxed);
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    atomic_fetch_add_explicit(&test_allocs, 1, memory_order_relaxed);
    void *p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

#endif

#endif
