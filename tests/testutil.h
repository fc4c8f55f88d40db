/*
 * Helpers shared by the test programs: scaling of counts (never skipping)
 * under slow tools, peak memory, time, noinline attributes for trace tests.
 */
#ifndef RTA_TEST_UTIL_H
#define RTA_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define TEST_ASAN 1
#else
#define TEST_ASAN 0
#endif
#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#else
#define TEST_TSAN 0
#endif

/* A function that keeps its own name and frame in traces: not inlined, not
 * cloned (gcc renames clones to f.constprop.0 and the like). Callers that
 * need their frame in a trace must also not tail-call (see KEEP_FRAME). */
#if defined(__clang__)
#define TEST_NOINLINE __attribute__((noinline))
#else
#define TEST_NOINLINE __attribute__((noinline, noclone))
#endif
/* Put after a call whose caller must stay on the stack (no sibling call). */
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

/* Divisor for workload sizes: RTA_TEST_SCALE (a divisor, default 1), times
 * 20 under valgrind, times 4 under TSan, times 2 under ASan. Counts only
 * shrink, nothing is skipped. */
static inline long test_divisor(void)
{
    long d = 1;
    const char *s = getenv("RTA_TEST_SCALE");
    if (s && atol(s) > 0)
        d = atol(s);
    if (RUNNING_ON_VALGRIND)
        d *= 20;
    else if (TEST_TSAN)
        d *= 4;
    else if (TEST_ASAN)
        d *= 2;
    return d;
}

/* n scaled down by test_divisor(), at least min. */
static inline long test_scaled(long n, long min)
{
    long v = n / test_divisor();
    return v < min ? min : v;
}

static inline uint64_t test_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void test_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A field of /proc/self/status in KiB (VmHWM, VmRSS), -1 if unknown. */
static inline long test_status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            v = atol(line + n + 1);
            break;
        }
    }
    fclose(f);
    return v;
}

/* True if the trace names[0..n) contains name. */
static inline int test_trace_index(const char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

#endif
