/* Debug mode (here env RTA_DEBUG=1) catches stale task handles at the call
 * that uses them: a second rta_task_release, and rta_task_wait, rta_await,
 * rta_promise_resolve or rta_task_status on a task whose last reference is
 * gone, each abort with a message naming that call and the task's id
 * (instead of a silent use after free / a stale value, or an abort later
 * naming another task). Each misuse runs in a forked child. Normal use in
 * debug mode stays correct, also when the quarantine overflows. */
#include <rta.h>

#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"

enum { DOUBLE_RELEASE, WAIT_AFTER, RESOLVE_AFTER, STATUS_AFTER, AWAIT_AFTER, NCASES };
static const char *const calls[] = {"rta_task_release", "rta_task_wait", "rta_promise_resolve",
                                    "rta_task_status", "rta_await"};

static int64_t value_fn(void *arg)
{
    return (intptr_t)arg;
}

static int64_t awaits_arg(void *arg)
{
    return rta_await(arg);
}

static void child(int which)
{
    rta_task *t;
    if (which == AWAIT_AFTER) {
        CHECK_OK(rta_init(&(rta_config){.workers = 1}));
        t = rta_spawn(value_fn, (void *)7);
        CHECK(t);
        CHECK_EQ(rta_task_wait(t, NULL), 7);
    } else {
        t = rta_promise_new();
        CHECK(t);
    }
    fprintf(stderr, "[id %llu]\n", (unsigned long long)rta_task_id(t));
    rta_task_release(t);
    switch (which) {
    case DOUBLE_RELEASE:
        rta_task_release(t);
        break;
    case WAIT_AFTER:
        rta_task_wait(t, NULL);
        break;
    case RESOLVE_AFTER:
        rta_promise_resolve(t, 1);
        break;
    case STATUS_AFTER:
        (void)rta_task_status(t);
        break;
    case AWAIT_AFTER: {
        rta_task *w = rta_spawn(awaits_arg, t);
        rta_task_wait(w, NULL);
        break;
    }
    }
    fprintf(stderr, "misuse %d went unnoticed\n", which);
    _exit(3);
}

static void expect_caught(int which)
{
    int fds[2];
    CHECK_OK(pipe(fds));
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        child(which);
    }
    close(fds[1]);
    char out[8192];
    size_t len = 0;
    ssize_t n;
    while ((n = read(fds[0], out + len, sizeof out - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(fds[0]);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    unsigned long long id = 0;
    const char *idp = strstr(out, "[id ");
    CHECK(idp && sscanf(idp, "[id %llu]", &id) == 1);
    char want[128];
    snprintf(want, sizeof want, "%s: task %llu used after its last reference was released", calls[which], id);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT || !strstr(out, want)) {
        fprintf(stderr, "case %d: status %#x, wanted \"%s\" in:\n%s\n", which, st, want, out);
        abort();
    }
}

int main(void)
{
    setenv("RTA_DEBUG", "1", 1);
    for (int c = 0; c < NCASES; c++)
        expect_caught(c);

    /* Correct use in debug mode: more releases than the quarantine holds. */
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    long n = test_scaled(20000, 5000);
    for (long i = 0; i < n; i++) {
        rta_task *t = rta_spawn(value_fn, (void *)(intptr_t)i);
        CHECK(t);
        CHECK_EQ(rta_task_wait(t, NULL), i);
        rta_task_release(t);
    }
    rta_shutdown();
    return 0;
}
