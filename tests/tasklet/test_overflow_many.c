/* Stack overflow in 8 tasks at once, on 8 workers, and with frames larger
 * than the region's 64 KiB guard: the process ends with a clear message that
 * names one of the overflowing tasks (id and function), every message line is
 * whole (each is one write(2) from the handler), and no task ever returns. A
 * frame larger than the guard would jump over it into the neighbouring
 * region (another worker's live stack: silent corruption) unless every page
 * of it is probed: the tests are built with the flags rtasync.pc hands users
 * (-fstack-clash-protection, CMakeLists.txt RTA_ASYNC_FLAGS). */
#include <rta.h>

#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"

enum { NTASKS = 8 };

static _Atomic int64_t sink;               /* written by every task: atomic for TSan */
static volatile int64_t limit = INT64_MAX; /* never reached: the stack ends first */
static _Atomic int arrived;
static _Atomic int go; /* set once the parent has the task ids */

static TEST_NOINLINE int64_t small_frames(int64_t depth)
{
    volatile char buf[2048];
    buf[0] = (char)depth;
    buf[sizeof buf - 1] = (char)depth;
    int64_t r = (depth < limit ? small_frames(depth + 1) : 0) + buf[0] + buf[sizeof buf - 1];
    KEEP_FRAME();
    return r;
}

/* Writes the lowest byte of a buffer first, the way a frame that jumped the
 * guard would land in whatever lies below it. Called through a volatile
 * pointer so that the buffer escapes and no compiler can shrink it. */
static void touch_lowest(char *p, size_t n)
{
    p[0] = 1;
    p[n - 1] = 1;
}
static void (*volatile touch)(char *, size_t) = touch_lowest;

/* One frame of 128 KiB: twice the guard, larger than the whole region. */
static TEST_NOINLINE int64_t huge_frame(int64_t depth)
{
    char buf[128 * 1024];
    touch(buf, sizeof buf);
    int64_t r = buf[0] + buf[sizeof buf - 1] + depth;
    KEEP_FRAME();
    return r;
}

/* Arrive, yield until all have arrived and the ids are out (yielding, so
 * tasks sharing a worker all get there), then overflow. */
static int64_t overflow_small(void *arg)
{
    (void)arg;
    atomic_fetch_add(&arrived, 1);
    while (atomic_load(&arrived) < NTASKS || !atomic_load(&go))
        rta_yield();
    sink = small_frames(0);
    return sink;
}

static int64_t overflow_huge(void *arg)
{
    (void)arg;
    atomic_fetch_add(&arrived, 1);
    while (atomic_load(&arrived) < NTASKS || !atomic_load(&go))
        rta_yield();
    sink = huge_frame(0);
    return sink;
}

static void child(int64_t (*fn)(void *), uint64_t *ids, int idfd)
{
    rta_config cfg = {.workers = NTASKS, .stack_size = 64 * 1024};
    CHECK_OK(rta_init(&cfg));
    rta_task *t[NTASKS];
    for (int i = 0; i < NTASKS; i++) {
        t[i] = rta_spawn(fn, NULL);
        CHECK(t[i] != NULL);
        ids[i] = rta_task_id(t[i]);
    }
    /* The ids go to the parent before any task may overflow. */
    CHECK_EQ(write(idfd, ids, sizeof(uint64_t) * NTASKS), (ssize_t)(sizeof(uint64_t) * NTASKS));
    atomic_store(&go, 1);
    for (int i = 0; i < NTASKS; i++)
        rta_task_wait(t[i], NULL);
    fprintf(stderr, "child: the overflowing tasks returned\n");
    _exit(0);
}

static size_t read_all(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n <= 0 || (len += (size_t)n) == cap - 1)
            break;
    }
    buf[len] = '\0';
    return len;
}

static void run(const char *what, int64_t (*fn)(void *), const char *fn_name)
{
    int errp[2], idp[2];
    CHECK_OK(pipe(errp));
    CHECK_OK(pipe(idp));
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        uint64_t ids[NTASKS];
        close(errp[0]);
        close(idp[0]);
        dup2(errp[1], 2);
        close(errp[1]);
        child(fn, ids, idp[1]);
    }
    close(errp[1]);
    close(idp[1]);
    uint64_t ids[NTASKS];
    CHECK_EQ(read(idp[0], ids, sizeof ids), (ssize_t)sizeof ids);
    close(idp[0]);
    static char buf[1 << 16];
    read_all(errp[0], buf, sizeof buf);
    close(errp[0]);
    int status = 0;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    printf("%s: child stderr:\n%s", what, buf);
    printf("%s: child status: %s %d\n", what, WIFSIGNALED(status) ? "signal" : "exit",
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    CHECK(WIFSIGNALED(status));
    CHECK_EQ(WTERMSIG(status), SIGABRT); /* the handler's abort, not a stray SIGSEGV */
    CHECK(strstr(buf, "returned") == NULL);

    /* Every report line is whole and names one of our tasks and fn_name. */
    int reports = 0;
    for (char *line = buf, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        CHECK(nl != NULL);
        *nl = '\0';
        if (strncmp(line, "rtasync: stack overflow", 23) != 0)
            continue;
        unsigned long long id = 0;
        char name[64] = "";
        CHECK_EQ(sscanf(line, "rtasync: stack overflow in task %llu (function %63[^)])", &id, name), 2);
        int ours = 0;
        for (int i = 0; i < NTASKS; i++)
            ours |= ids[i] == id;
        CHECK(ours);
        CHECK_EQ(strcmp(name, fn_name), 0);
        CHECK(strstr(line, "): its execution region has 64 KiB of stack; raise rta_config.stack_size "
                           "or RTA_STACK_SIZE") != NULL);
        reports++;
    }
    CHECK(reports >= 1);
}

int main(void)
{
    run("8 tasks, 2 KiB frames", overflow_small, "overflow_small");
    run("8 tasks, one 128 KiB frame each", overflow_huge, "overflow_huge");
    return 0;
}
