/*
 * io_uring made unavailable, as Docker's default seccomp profile does
 * (issue 11): a seccomp filter in a child process makes io_uring_setup fail
 * with ENOSYS (an old profile: unknown syscall) or EPERM (a profile that
 * blocks it). Then rta_init must pick epoll, the runtime must work on it
 * (a read woken by data, a read ended by its deadline, twice: two
 * rta_init/rta_shutdown rounds), and the fallback is said exactly once per
 * process, with the kernel's reason; a forced RTA_IO=epoll says nothing.
 *
 * Each case runs in a forked child (a filter cannot be removed) whose stderr
 * goes to a file; the parent reads it back, shows it, and counts the lines.
 * Under qemu-user, which refuses seccomp filters (EINVAL) and does not
 * implement io_uring at all, the child states the errno io_uring_setup
 * really gives and the same checks apply; anywhere else a filter that
 * cannot be installed fails the test. A build without liburing (the aarch64
 * cross build) must give "built without liburing" as the reason.
 */
#include "iotest.h"

#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425 /* the same number on every architecture */
#endif

/* Installs a filter that fails io_uring_setup with err; returns the errno
 * io_uring_setup now gives (the filter's, or the emulator's). */
static int block_io_uring(int err)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
    CHECK_OK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        const char *emu = getenv("RTA_TEST_EMULATED");
        fprintf(stderr, "seccomp filter refused: %s\n", strerror(errno));
        CHECK(errno == EINVAL && emu && strcmp(emu, "1") == 0);
    }
    /* The premise: io_uring_setup really fails now. */
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    long fd = syscall(__NR_io_uring_setup, 4, &p);
    CHECK(fd < 0);
    return errno;
}

static _Atomic int timed_out;

static int64_t read_one(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c = 0;
    /* Nothing comes: the deadline (a timer folded into epoll's timeout). */
    CHECK_EQ(rta_read(fd, &c, 1, rta_after_ms(20)), -ETIMEDOUT);
    atomic_store(&timed_out, 1);
    /* Then the byte the main thread writes once it saw the stage. */
    ssize_t n = rta_read(fd, &c, 1, rta_after_ms(60 * 1000));
    CHECK_EQ(n, 1);
    return c;
}

/* A program's notice hook: the notice comes to it (marked), not to stderr. */
static void hook_notice(const char *msg, void *data)
{
    CHECK_EQ((intptr_t)data, 42);
    CHECK(!strchr(msg, '\n'));
    fprintf(stderr, "hook: %s\n", msg);
}

/* The child: filter, then two runtime rounds on whatever was chosen. */
static void child(int err, const char *rta_io, bool hook)
{
    if (rta_io)
        CHECK_OK(setenv("RTA_IO", rta_io, 1));
    int got = block_io_uring(err);
    fprintf(stderr, "blocked: io_uring_setup -> %s\n", strerror(got));
    for (int round = 0; round < 2; round++) {
        rta_config cfg = {.workers = 2};
        if (hook) {
            cfg.notice = hook_notice;
            cfg.notice_data = (void *)(intptr_t)42;
        }
        CHECK_OK(rta_init(&cfg));
        CHECK_STREQ(rta_io_backend(), "epoll");
        int sv[2];
        CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
        rta_task *t = rta_spawn(read_one, (void *)(intptr_t)sv[0]);
        CHECK(t);
        while (!atomic_load(&timed_out))
            test_sleep_ms(1);
        atomic_store(&timed_out, 0);
        CHECK_EQ(write(sv[1], "k", 1), 1);
        CHECK_EQ(iotest_join(t), 'k');
        CHECK_OK(rta_close(sv[0]));
        CHECK_OK(rta_close(sv[1]));
        rta_shutdown();
    }
    fflush(stderr);
    _exit(0);
}

/* Runs child(err, rta_io) with its stderr in a file; returns that text. */
static char *run_case(int err, const char *rta_io, bool hook)
{
    char path[] = "/tmp/rta_uring_blocked_XXXXXX";
    int out = mkstemp(path);
    CHECK(out >= 0);
    unlink(path);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(out, 2);
        child(err, rta_io, hook);
    }
    int st = 0;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    static char text[8192];
    ssize_t n = pread(out, text, sizeof text - 1, 0);
    CHECK(n >= 0);
    text[n] = 0;
    close(out);
    fprintf(stderr, "--- child (filter %s, RTA_IO=%s) said:\n%s---\n", strerror(err),
            rta_io ? rta_io : "(inherited)", text);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return text;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The library's one line, with the reason the child stated. */
static void check_said_once(const char *text, bool expect)
{
    const char *b = strstr(text, "blocked: io_uring_setup -> ");
    CHECK(b);
    b += strlen("blocked: io_uring_setup -> ");
    char reason[128];
    size_t len = strcspn(b, "\n");
    CHECK(len < sizeof reason - 4);
#ifdef RTA_TEST_HAVE_URING
    snprintf(reason, sizeof reason, "(%.*s)", (int)len, b);
#else
    snprintf(reason, sizeof reason, "(built without liburing)");
#endif
    if (!expect) {
        CHECK_EQ(count(text, "io_uring unavailable"), 0);
        return;
    }
    CHECK_EQ(count(text, "io_uring unavailable"), 1);
    CHECK_EQ(count(text, "rtasync: io_uring unavailable ("), 1);
    const char *line = strstr(text, "rtasync: io_uring unavailable (");
    CHECK(strstr(line, reason) == line + strlen("rtasync: io_uring unavailable "));
}

int main(void)
{
    const char *env = getenv("RTA_IO");
    bool forced_epoll = env && strcmp(env, "epoll") == 0;
    /* As inherited from ctest (default, or RTA_IO=epoll for io_*_epoll). */
    check_said_once(run_case(ENOSYS, NULL, false), !forced_epoll);
    check_said_once(run_case(EPERM, NULL, false), !forced_epoll);
    /* Asked for by name: still falls back, and says so. */
    check_said_once(run_case(EPERM, "io_uring", false), true);
    /* With rta_config.notice: the same line, once, to the hook only. */
    const char *text = run_case(EPERM, "io_uring", true);
    check_said_once(text, true);
    CHECK_EQ(count(text, "hook: rtasync: io_uring unavailable ("), 1);
    printf("ok\n");
    return 0;
}
