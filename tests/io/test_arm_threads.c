/*
 * Descriptors registered with the poller from threads of every kind (issue
 * 11; docs/io.md "Pollers"). io_uring runs a poll's wake-ups as task work
 * on the thread that armed the poll, so who armed it matters there:
 *  - a plain thread that has exited since: the kernel can no longer run the
 *    poll's task work and ends the poll with -ECANCELED at the next wake-up
 *    (the backend took that for its own removal and the edge was lost: the
 *    reader below hung);
 *  - a plain thread that is asleep where task work cannot run (a vfork
 *    parent waits uninterruptibly for its child): a wake-up holds the poll
 *    until that thread runs again, and a POLL_REMOVE meanwhile answers
 *    -EALREADY and removes nothing: the poll kept the socket's file after
 *    rta_close, so the peer never saw the close (rtahttpd's "connection
 *    unanswered" in http_e2e was this: a Connection: close answer whose FIN
 *    never came);
 *  - main, and a worker.
 * Each round takes one socketpair per kind: a task reads a byte, answers
 * and closes; the peer must get the answer and then the end of the stream.
 * Nothing is timed: the waits carry 60 s guards so that a lost edge fails
 * with a message instead of ctest's timeout.
 */
#define _GNU_SOURCE /* vfork */
#include "iotest.h"

#include <poll.h>
#include <stdatomic.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUARD_MS 60000

enum { BY_EXITED, BY_MAIN, BY_ASLEEP, BY_WORKER, KINDS };

/* Registers fd with the poller from the calling thread: a plain thread's
 * rta_read registers the descriptor, then finds nothing and (deadline now)
 * gives up without blocking. */
static void register_here(int fd)
{
    char c;
    CHECK_EQ(rta_read(fd, &c, 1, rta_now_ns()), -ETIMEDOUT);
}

static void *arm_and_exit(void *arg)
{
    register_here((int)(intptr_t)arg);
    return NULL;
}

/* Arms fd, then sleeps in vfork until the child reads a byte from
 * release[0]: the parent of a vfork waits uninterruptibly, where no task
 * work runs. (Under TSan and qemu vfork is a fork: the parent does not
 * wait and the round checks less, on the same assertions; those runs use
 * epoll anyway where liburing is missing.) */
typedef struct asleep {
    int fd;
    int release[2];
    pthread_t th;
    _Atomic pid_t tid; /* set once armed, just before vfork */
} asleep;

static void *arm_and_sleep(void *arg)
{
    asleep *a = arg;
    register_here(a->fd);
    atomic_store(&a->tid, (pid_t)syscall(SYS_gettid));
    pid_t pid = vfork();
    if (pid == 0) {
        /* Raw syscalls: nothing of the parent's libc state is touched. The
         * child's descriptor table is its own copy: dropping the write end
         * there lets it end should the parent die first. (Its copies of the
         * other descriptors go when it exits, before anything is checked.) */
        char c;
        (void)!syscall(SYS_close, a->release[1]);
        (void)!syscall(SYS_read, a->release[0], &c, 1);
        _exit(0);
    }
    CHECK(pid > 0);
    CHECK_EQ(waitpid(pid, NULL, 0), pid);
    return NULL;
}

/* Whether thread tid of this process is asleep (state S or D). */
static bool thread_sleeps(pid_t tid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *s = strrchr(buf, ')'); /* the name may hold anything but this is last */
    CHECK(s != NULL && s[1] == ' ');
    return s[2] == 'S' || s[2] == 'D';
}

/* The server side: one byte in, one byte out, close. */
static int64_t serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c;
    ssize_t n = rta_read(fd, &c, 1, rta_after_ms(GUARD_MS));
    if (n != 1) {
        fprintf(stderr, "read on a descriptor: %zd (a lost readiness edge?)\n", n);
        abort();
    }
    c = (char)(c + 1);
    CHECK_EQ(rta_write(fd, &c, 1, rta_after_ms(GUARD_MS)), 1);
    CHECK_EQ(rta_close(fd), 0);
    return 1;
}

/* The peer: the answer to `sent`, then the end of the stream. */
static void check_peer(int fd, char sent, const char *kind)
{
    char got[2];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    CHECK_EQ(poll(&p, 1, GUARD_MS), 1);
    CHECK_EQ(recv(fd, got, 1, 0), 1);
    CHECK_EQ(got[0], sent + 1);
    if (poll(&p, 1, GUARD_MS) != 1) {
        fprintf(stderr, "%s: the peer never saw rta_close (the poll kept the file)\n", kind);
        abort();
    }
    CHECK_EQ(recv(fd, got, 1, 0), 0);
    close(fd);
}

int main(void)
{
    iotest_init(2);
    static const char *const names[KINDS] = {"armed by an exited thread", "armed by main",
                                             "armed by a thread asleep in vfork", "armed by a worker"};
    long rounds = iotest_scaled(40, 2);
    for (long r = 0; r < rounds; r++) {
        /* The kinds that run: one socketpair each, all at once. */
        int sv[KINDS][2];
        for (int k = 0; k < KINDS; k++)
            if (k != BY_ASLEEP)
                CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv[k]), 0);
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, arm_and_exit, (void *)(intptr_t)sv[BY_EXITED][0]), 0);
        CHECK_EQ(pthread_join(th, NULL), 0);
        register_here(sv[BY_MAIN][0]);
        rta_task *t[KINDS];
        for (int k = 0; k < KINDS; k++)
            if (k != BY_ASLEEP)
                CHECK((t[k] = rta_spawn(serve, (void *)(intptr_t)sv[k][0])) != NULL);
        for (int k = 0; k < KINDS; k++)
            if (k != BY_ASLEEP)
                CHECK_EQ(send(sv[k][1], "a", 1, 0), 1);
        for (int k = 0; k < KINDS; k++)
            if (k != BY_ASLEEP) {
                CHECK_EQ(iotest_join(t[k]), 1);
                check_peer(sv[k][1], 'a', names[k]);
            }

        /* The sleeper, alone (its vfork child holds copies of whatever is
         * open meanwhile): a wake-up while it sleeps, rta_close from here,
         * then it runs again and ends. Not under valgrind: the backend is
         * epoll there, and vfork a fork whose child valgrind leak-checks
         * at its exit (a report per round). */
        if (RUNNING_ON_VALGRIND)
            continue;
        int sp[2];
        CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
        asleep a = {.fd = sp[0]};
        CHECK_EQ(pipe(a.release), 0);
        CHECK_EQ(pthread_create(&a.th, NULL, arm_and_sleep, &a), 0);
        /* Armed and asleep (in vfork: 'D'; where vfork is a fork, in
         * waitpid: 'S') before the wake-up comes. */
        while (!atomic_load(&a.tid) || !thread_sleeps(atomic_load(&a.tid)))
            test_sleep_ms(1);
        CHECK_EQ(send(sp[1], "b", 1, 0), 1);
        CHECK_EQ(rta_close(a.fd), 0);
        CHECK_EQ(write(a.release[1], "x", 1), 1);
        CHECK_EQ(pthread_join(a.th, NULL), 0);
        close(a.release[0]);
        close(a.release[1]);
        struct pollfd p = {.fd = sp[1], .events = POLLIN};
        if (poll(&p, 1, GUARD_MS) != 1) {
            fprintf(stderr, "%s: the peer never saw rta_close (the poll kept the file)\n", names[BY_ASLEEP]);
            abort();
        }
        close(sp[1]);
    }
    rta_shutdown();
    printf("%ld rounds of %d descriptors, each armed by another kind of thread\n", rounds, KINDS);
    return 0;
}
