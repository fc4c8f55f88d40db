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
#include <unistd.h>

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

/* Extra divisor for stress tests under an emulator (qemu-user runs them
 * 10-30x slower; tests/CMakeLists.txt sets RTA_TEST_EMULATED). */
static inline long test_emulated_divisor(void)
{
    const char *e = getenv("RTA_TEST_EMULATED");
    return e && strcmp(e, "1") == 0 ? 10 : 1;
}

/* splitmix64: the stress tests' own random numbers. */
static inline uint64_t test_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The randomised scheduling mode for stress tests (docs/testing.md): picks a
 * seed (RTA_TEST_SEED if set, else from the clock and pid), prints it so a
 * failure can be replayed, and turns on the scheduler's shuffled order
 * (RTA_SCHED_RANDOM, unless already set) before rta_init. The seed also
 * drives the test's own random yields and orders (test_rand). */
static inline uint64_t test_random_mode(const char *test)
{
    uint64_t seed = 0;
    const char *s = getenv("RTA_TEST_SEED");
    if (s && *s)
        seed = strtoull(s, NULL, 10);
    else
        seed = (test_now_ns() ^ ((uint64_t)getpid() << 20)) % 1000000000000ull;
    if (seed == 0)
        seed = 1;
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)seed);
    setenv("RTA_SCHED_RANDOM", buf, 0);
    fprintf(stderr, "%s: seed %llu, scheduler order RTA_SCHED_RANDOM=%s (replay: RTA_TEST_SEED=%llu)\n", test,
            (unsigned long long)seed, getenv("RTA_SCHED_RANDOM"), (unsigned long long)seed);
    return seed;
}

#endif
