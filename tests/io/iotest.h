/*
 * Shared by the I/O tests: descriptor limits, the backend under test.
 * Each tests/io program is registered once per backend (io_<name> with the
 * default, io_<name>_epoll with RTA_IO=epoll); the program checks that the
 * backend it got is the one asked for, or that the fallback was announced.
 */
#ifndef RTA_TEST_IOTEST_H
#define RTA_TEST_IOTEST_H

#include "check.h"
#include "testutil.h"

#include <errno.h>
#include <rta.h>
#include <sys/resource.h>

/* Raises the soft descriptor limit to the hard one; returns the limit. */
static inline long iotest_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur > (rlim_t)1 << 30 ? 1L << 30 : (long)rl.rlim_cur;
}

/* test_scaled, and a tenth of that under an emulator (qemu-user: the
 * aarch64 CI configuration; RTA_TEST_EMULATED is set by tests/CMakeLists). */
static inline long iotest_scaled(long n, long min)
{
    const char *e = getenv("RTA_TEST_EMULATED");
    long v = test_scaled(n, min);
    if (e && strcmp(e, "1") == 0)
        v /= 10;
    return v < min ? min : v;
}

/* rta_init with w workers, and the backend check. */
static inline void iotest_init(unsigned w)
{
    CHECK_OK(rta_init(&(rta_config){.workers = w}));
    const char *want = getenv("RTA_IO");
    const char *got = rta_io_backend();
    /* io_uring may fall back to epoll (announced on stderr); epoll never
     * turns into anything else. */
    if (want && strcmp(want, "epoll") == 0)
        CHECK(strcmp(got, "epoll") == 0);
    fprintf(stderr, "io backend: %s\n", got);
}

/* Waits for t from a non-async thread; returns its value, checks success. */
static inline int64_t iotest_join(rta_task *t)
{
    CHECK(t != NULL);
    rta_error *err = NULL;
    int64_t v = rta_task_wait(t, &err);
    if (err) {
        fprintf(stderr, "task failed: %s\n", rta_error_message(err));
        abort();
    }
    rta_task_release(t);
    return v;
}

#endif
