/* fork() with a running runtime (issue 15; docs/errors.md, "fork()").
 *
 * The runtime's threads are not copied into a child, so a forked child has
 * no runtime: it may exec (the new program may use rtasync afresh) or call
 * no rtasync function. Checked here, with tasks running, suspended on a
 * promise and yielding in the parent while it forks:
 *  - a child that execs this program, which then starts a runtime of its
 *    own, runs tasks and shuts it down: exit 0;
 *  - a child that calls rtasync anyway: rta_spawn and rta_cont_spawn return
 *    NULL (EAGAIN), rta_task_wait on a pending task fails with RTA_ENOTINIT,
 *    rta_init returns -EBUSY, rta_shutdown returns; never a hang, and each
 *    says on stderr what was refused, naming the call and the fork;
 *  - the parent's runtime is untouched: its tasks finish, shutdown works;
 *  - a child forked after rta_shutdown may start a runtime of its own.
 * Children run under a deadline (alarm): a hang fails instead of blocking. */
#include <rta.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"

static int64_t add_one(void *arg)
{
    rta_yield();
    return (int64_t)(intptr_t)arg + 1;
}

/* A small program's worth of rtasync: what a freshly exec'd child runs. */
static int fresh_runtime(void)
{
    if (rta_init(&(rta_config){.workers = 2}) != 0)
        return 10;
    int64_t sum = 0;
    for (int i = 0; i < 16; i++) {
        rta_task *t = rta_spawn(add_one, (void *)(intptr_t)i);
        if (!t)
            return 11;
        sum += rta_task_wait(t, NULL);
        rta_task_release(t);
    }
    rta_shutdown();
    return sum == 16 * 17 / 2 ? 0 : 12;
}

static _Atomic int stop_spinning;

static int64_t spinner(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_spinning))
        rta_yield();
    return 7;
}

static int64_t awaiter(void *p)
{
    return rta_await(p) + 1;
}

RTA_CONT_FN(c_root, void *, arg)
{
    RTA_CONT_FRAME(c_root, int x;);
    (void)arg;
    RTA_CONT_RETURN(1);
}

/* The child that calls rtasync anyway; its stderr goes to err_fd. */
static int child_misuse(rta_task *pending, int err_fd)
{
    dup2(err_fd, 2);
    errno = 0;
    if (rta_spawn(add_one, NULL) != NULL || errno != EAGAIN)
        return 20;
    errno = 0;
    if (rta_cont_spawn(c_root, NULL) != NULL || errno != EAGAIN)
        return 21;
    rta_error *err = NULL;
    if (rta_task_wait(pending, &err) != 0 || !err || rta_error_code(err) != RTA_ENOTINIT ||
        !strstr(rta_error_message(err), "forked"))
        return 22;
    rta_error_free(err);
    if (rta_worker_count() != 0)
        return 23;
    if (rta_init(NULL) != -EBUSY)
        return 24;
    rta_shutdown(); /* returns at once: nothing of the parent's runtime is here */
    return 0;
}

/* Waits for pid under a deadline; returns its exit status, or fails. */
static int reap(pid_t pid)
{
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st)) {
        fprintf(stderr, "child %d died of signal %d%s\n", (int)pid, WTERMSIG(st),
                WTERMSIG(st) == SIGALRM ? " (hung: deadline passed)" : "");
        abort();
    }
    CHECK(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* Execs this program with --fresh; through RTA_TEST_EXEC_PREFIX (the
 * emulator and its arguments, space-separated) when the tests run under
 * one: a foreign binary cannot be exec'd directly. Returns only on failure. */
static void exec_fresh(const char *self)
{
    char *args[16];
    int n = 0;
    char buf[1024];
    const char *pre = getenv("RTA_TEST_EXEC_PREFIX");
    if (pre && *pre) {
        snprintf(buf, sizeof buf, "%s", pre);
        for (char *tok = strtok(buf, " "); tok && n < 12; tok = strtok(NULL, " "))
            args[n++] = tok;
    }
    args[n++] = (char *)self;
    args[n++] = (char *)"--fresh";
    args[n] = NULL;
    execvp(args[0], args);
}

static unsigned deadline_s(void)
{
    /* Generous: valgrind and qemu start programs slowly. */
    return 60;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--fresh") == 0)
        return fresh_runtime();
    setvbuf(stderr, NULL, _IONBF, 0);

    /* This program's path, for the exec: read here, not as /proc/self/exe
     * in the child (under valgrind that is valgrind's own tool). */
    char self[4096];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(sl > 0);
    self[sl] = '\0';

    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    rta_task *p = rta_promise_new();
    CHECK(p != NULL);
    rta_task *spin = rta_spawn(spinner, NULL);
    rta_task *aw = rta_spawn(awaiter, p);
    CHECK(spin != NULL && aw != NULL);

    long rounds = test_scaled(8, 2);
    for (long r = 0; r < rounds; r++) {
        /* 1. fork, then exec this program afresh. */
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            alarm(deadline_s());
            exec_fresh(self);
            _exit(30); /* exec failed */
        }
        CHECK_EQ(reap(pid), 0);

        /* 2. fork, then misuse: clear refusals, no hang. */
        int fds[2];
        CHECK_OK(pipe(fds));
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            alarm(deadline_s());
            close(fds[0]);
            _exit(child_misuse(p, fds[1]));
        }
        close(fds[1]);
        char out[4096];
        size_t len = 0;
        ssize_t n;
        while (len < sizeof out - 1 && (n = read(fds[0], out + len, sizeof out - 1 - len)) > 0)
            len += (size_t)n;
        out[len] = '\0';
        close(fds[0]);
        int rc = reap(pid);
        if (rc != 0)
            fprintf(stderr, "misusing child exited %d; its stderr:\n%s", rc, out);
        CHECK_EQ(rc, 0);
        static const char *const calls[] = {"rta_spawn:", "rta_cont_spawn:", "rta_init:", "rta_shutdown:"};
        for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
            char want[64];
            snprintf(want, sizeof want, "rtasync: %s this process was forked", calls[i]);
            if (!strstr(out, want)) {
                fprintf(stderr, "no refusal naming %s in the child's stderr:\n%s", calls[i], out);
                abort();
            }
        }
    }

    /* The parent's runtime did not notice. */
    CHECK_EQ(rta_task_status(aw), RTA_PENDING);
    CHECK(rta_promise_resolve(p, 41));
    atomic_store(&stop_spinning, 1);
    CHECK_EQ(rta_task_wait(aw, NULL), 42);
    CHECK_EQ(rta_task_wait(spin, NULL), 7);
    rta_task_release(aw);
    rta_task_release(spin);
    rta_task_release(p);
    rta_shutdown();

    /* 3. After shutdown there is no runtime to lose: a child may start one. */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        alarm(deadline_s());
        _exit(fresh_runtime());
    }
    CHECK_EQ(reap(pid), 0);
    return 0;
}
