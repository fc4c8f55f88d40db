/* A cont call that does not suspend allocates nothing: counted by
 * interposing malloc & co. in this program (forwarding to glibc's __libc_*;
 * under ASan, through its allocation hooks),
 * around 100,000 non-suspending calls made inside a running cont root, then
 * a suspension for contrast (it does allocate: a continuation slab at most
 * once per worker, the root's task). */
#define _GNU_SOURCE
#include <rta.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "check.h"

static _Atomic long allocs;

#if defined(__SANITIZE_ADDRESS__)
#define COUNT_WITH_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_WITH_HOOKS 1
#endif
#endif

#ifdef COUNT_WITH_HOOKS
/* ASan owns malloc: count through its allocation hooks instead. */
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
                                              void (*f)(const volatile void *));
static void on_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    atomic_fetch_add(&allocs, 1);
}
static void on_free(const volatile void *p)
{
    (void)p;
}
static void count_start(void)
{
    CHECK(__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) != 0);
}
#else
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

void *malloc(size_t n)
{
    atomic_fetch_add(&allocs, 1);
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    atomic_fetch_add(&allocs, 1);
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    atomic_fetch_add(&allocs, 1);
    return __libc_realloc(p, n);
}
void *aligned_alloc(size_t al, size_t n)
{
    atomic_fetch_add(&allocs, 1);
    return __libc_memalign(al, n);
}
int posix_memalign(void **out, size_t al, size_t n)
{
    atomic_fetch_add(&allocs, 1);
    *out = __libc_memalign(al, n);
    return *out ? 0 : 12;
}
void free(void *p)
{
    __libc_free(p);
}
static void count_start(void)
{
}
#endif

RTA_CONT_FN(add3, int64_t, a, int64_t, b, int64_t, c)
{
    RTA_CONT_FRAME(add3, int64_t s;);
    F.s = a + b + c;
    RTA_CONT_RETURN(F.s);
}

RTA_CONT_FN(fib, int64_t, n)
{
    RTA_CONT_FRAME(fib, int64_t n; int64_t a; int64_t b;);
    F.n = n;
    if (F.n < 2)
        RTA_CONT_RETURN(F.n);
    RTA_CONT_CALL(F.a, fib, F.n - 1);
    RTA_CONT_CALL(F.b, fib, F.n - 2);
    RTA_CONT_RETURN(F.a + F.b);
}

RTA_CONT_FN(fib_root, void *, arg)
{
    RTA_CONT_FRAME(fib_root, int64_t r;);
    (void)arg;
    RTA_CONT_CALL(F.r, fib, 20);
    RTA_CONT_RETURN(F.r);
}

static long counted;

RTA_CONT_FN(measure, void *, arg)
{
    RTA_CONT_FRAME(measure, int64_t i; int64_t acc; int64_t r; long before;);
    (void)arg;
    RTA_CONT_YIELD(); /* now running on a worker, resumed by the dispatcher */
    F.before = atomic_load(&allocs);
    F.acc = 0;
    for (F.i = 0; F.i < 100000; F.i++) {
        RTA_CONT_CALL(F.r, add3, F.i, 1, 2);
        F.acc += F.r;
    }
    RTA_CONT_CALL(F.r, fib, 20);
    F.acc += F.r;
    counted = atomic_load(&allocs) - F.before;
    RTA_CONT_RETURN(F.acc);
}

int main(void)
{
    count_start();
    /* Is the counter live? Under valgrind its allocator replaces ours; the
     * workload still runs there (for memcheck) but counts cannot be checked. */
    long cal = atomic_load(&allocs);
    free(malloc(16));
    bool counting = atomic_load(&allocs) == cal + 1;
    if (!counting)
        printf("allocation counter inactive (valgrind?): running without count checks\n");
    CHECK_OK(rta_init(&(rta_config){.workers = 1}));
    /* Warm the worker (its first continuation slab). */
    rta_task *t = rta_cont_spawn(measure, NULL);
    int64_t v = rta_task_wait(t, NULL);
    rta_task_release(t);
    CHECK_EQ(v, 100000LL * 99999 / 2 + 3 * 100000 + 6765);
    if (counting)
        CHECK_EQ(counted, 0);

    /* From non-async code: the only allocation is the task (the root) itself. */
    long before = atomic_load(&allocs);
    t = rta_cont_call(fib_root, NULL);
    if (counting)
        CHECK_EQ(atomic_load(&allocs) - before, 1);
    CHECK_EQ(rta_task_status(t), RTA_SUCCEEDED);
    CHECK_EQ(rta_task_value(t), 6765);
    rta_task_release(t);
    rta_shutdown();
    return 0;
}
