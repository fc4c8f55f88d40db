/* RTA__ASSERT (src/core/internal.h): in a debug build a broken invariant
 * ends the process through rta__fatal with file, line and the expression;
 * a holding one costs nothing visible. This program is compiled as a debug
 * build of that header (NDEBUG undefined), whatever the build type. */
#undef NDEBUG
#include "core/internal.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int evaluated;

static int touch(void)
{
    return ++evaluated;
}

int main(void)
{
    RTA__ASSERT(touch() == 1); /* holds: evaluated once, no effect */
    if (evaluated != 1) {
        fprintf(stderr, "FAIL: a holding RTA__ASSERT evaluated its expression %d times\n", evaluated);
        return 1;
    }
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        int x = 3;
        RTA__ASSERT(x + 1 == 5);
        _exit(0); /* not reached when the assertion works */
    }
    close(fds[1]);
    char buf[512] = {0};
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    int st;
    waitpid(pid, &st, 0);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT) {
        fprintf(stderr, "FAIL: a broken RTA__ASSERT did not abort (status %d)\n", st);
        return 1;
    }
    if (!strstr(buf, "test_assert.c:") || !strstr(buf, "invariant broken: x + 1 == 5")) {
        fprintf(stderr, "FAIL: message lacks file or expression: %s\n", buf);
        return 1;
    }
    printf("ok: %s", buf);
    return 0;
}
