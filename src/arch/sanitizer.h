/*
 * Tool annotations for stack switching: ASan's fiber API (so its notion of the
 * current stack follows our switches), ThreadSanitizer's fiber API (each
 * tasklet is a TSan fiber: its shadow call stack and its longjmp buffers
 * follow the switch; without it reports showed corrupt 48-deep traces and
 * rta_throw_error aborted with "can't find longjmp buf"), and valgrind's stack
 * registration (so memcheck treats a switch as a stack change, not a huge
 * frame). All compile to nothing when the tool is absent.
 */
#ifndef RTA_ARCH_SANITIZER_H
#define RTA_ARCH_SANITIZER_H

/* The runtime is built with GNU extensions (src/core/internal.h defines
 * _GNU_SOURCE), and the first glibc header a file includes fixes its feature
 * set. This header can come first (src/sched/engine.h includes it before
 * the scheduler's headers), and under ASan it includes the sanitizer's
 * headers, which include <stdint.h>: without this, src/io/uring.c and
 * src/io/net.c lost POLLRDHUP and accept4 in ASan builds only. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stddef.h>

#ifndef __has_feature
#define __has_feature(x) 0
#endif

#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define RTA__ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define rta__asan_start_switch(fake_save, lo, size) __sanitizer_start_switch_fiber(fake_save, lo, size)
#define rta__asan_finish_switch(fake, lo_out, size_out)                                                      \
    __sanitizer_finish_switch_fiber(fake, lo_out, size_out)
/* Stack bytes that are copied out and back keep stale redzone poisoning from
 * whichever task last ran there; clear it so the copy and the resumed frames
 * are not reported (we lose redzones of resumed frames, never gain false hits). */
#define rta__asan_unpoison(p, n) __asan_unpoison_memory_region(p, n)
#else
#define RTA__ASAN 0
#define rta__asan_start_switch(fake_save, lo, size) ((void)(fake_save), (void)(lo), (void)(size))
#define rta__asan_finish_switch(fake, lo_out, size_out) ((void)(fake), (void)(lo_out), (void)(size_out))
#define rta__asan_unpoison(p, n) ((void)(p), (void)(n))
#endif

#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer)
#define RTA__TSAN 1
/* Declared here rather than through <sanitizer/tsan_interface.h>, which
 * older toolchains ship without the fiber calls. A switch synchronises the
 * two fibers (flags 0): they run on one thread, one after the other. */
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#define rta__tsan_current_fiber() __tsan_get_current_fiber()
#define rta__tsan_create_fiber() __tsan_create_fiber(0)
#define rta__tsan_destroy_fiber(f) __tsan_destroy_fiber(f)
#define rta__tsan_switch_to(f) __tsan_switch_to_fiber(f, 0)
#else
#define RTA__TSAN 0
#define rta__tsan_current_fiber() ((void *)0)
#define rta__tsan_create_fiber() ((void *)0)
#define rta__tsan_destroy_fiber(f) ((void)(f))
#define rta__tsan_switch_to(f) ((void)(f))
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>) && __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#define RTA__VALGRIND 1
/* Memcheck marks stack bytes below a stack's lowest recent sp as
 * inaccessible when frames are popped (another task unwound on the region).
 * Restoring a task writes its frames back there, and the task then reads
 * them: declare the range addressable first (its contents then take the
 * definedness of the copied bytes). */
#define rta__vg_make_addressable(p, n) VALGRIND_MAKE_MEM_UNDEFINED(p, n)
#endif
#endif
#ifndef RTA__VALGRIND
#define RTA__VALGRIND 0
#define VALGRIND_STACK_REGISTER(lo, hi) 0u
#define VALGRIND_STACK_DEREGISTER(id) ((void)(id))
#define RUNNING_ON_VALGRIND 0
#define rta__vg_make_addressable(p, n) ((void)(p), (void)(n))
#endif

#endif
