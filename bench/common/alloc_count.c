/*
 * Counts allocation calls by interposing malloc & co. in the benchmark
 * executable: the runtime library (static or shared) resolves malloc to these
 * definitions, which forward to glibc's __libc_* entry points. One relaxed
 * atomic increment per call: cheap enough not to distort allocation-heavy
 * figures by more than a few ns, and reported next to them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bench.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static _Atomic uint64_t allocs;

static inline void count(void)
{
    atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
}

uint64_t bench_allocs(void)
{
    return atomic_load_explicit(&allocs, memory_order_relaxed);
}

void *malloc(size_t n)
{
    count();
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    count();
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    if (!p)
        count();
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}

void *aligned_alloc(size_t align, size_t n)
{
    count();
    return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n)
{
    count();
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    count();
    void *p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
