/* Stack overflow in a task ends the process with a clear message (naming the
 * problem and the knob to turn), never silent corruption. The overflow runs
 * in a child process whose stderr comes back through a pipe. */
#include <rta.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"

static volatile int64_t sink;
static volatile int64_t limit = INT64_MAX; /* never reached: the stack ends first */

static TEST_NOINLINE int64_t bottomless(int64_t depth)
{
    volatile char big[2048];
    big[0] = (char)depth;
    big[sizeof big - 1] = (char)depth;
    int64_t r = (depth < limit ? bottomless(depth + 1) : 0) + big[0] + big[sizeof big - 1];
    KEEP_FRAME();
    return r;
}

static int64_t overflow_task(void *arg)
{
    (void)arg;
    rta_yield(); /* overflow after a suspension, on a restored stack */
    sink = bottomless(0);
    return sink;
}

static void child(void)
{
    rta_config cfg = {.workers = 1, .stack_size = 64 * 1024};
    CHECK_OK(rta_init(&cfg));
    rta_task *t = rta_spawn(overflow_task, NULL);
    rta_task_wait(t, NULL);
    fprintf(stderr, "child: the overflowing task returned\n");
    _exit(0);
}

int main(void)
{
    int fds[2];
    CHECK_OK(pipe(fds));
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        close(fds[1]);
        child();
    }
    close(fds[1]);
    char buf[8192];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fds[0], buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == sizeof buf - 1)
            break;
    }
    buf[len] = '\0';
    close(fds[0]);
    int status = 0;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    printf("child stderr:\n%s", buf);
    printf("child status: %s %d\n", WIFSIGNALED(status) ? "signal" : "exit",
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    CHECK(WIFSIGNALED(status));
    CHECK(strstr(buf, "stack overflow in task") != NULL);
    CHECK(strstr(buf, "RTA_STACK_SIZE") != NULL);
    CHECK(strstr(buf, "overflow_task") != NULL); /* names the task's function */
    CHECK(strstr(buf, "64 KiB") != NULL);        /* and the region size */
    return 0;
}
