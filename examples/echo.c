/* A TCP echo server on 127.0.0.1 with rtasync tasklets: one task accepts, one
 * task per connection reads and writes back what it read. Every wait has a
 * deadline, so a silent or stuck client costs one parked task for a bounded
 * time, never a thread. Build it like hello.c:
 *   cc $(pkg-config --cflags rtasync) echo.c $(pkg-config --libs rtasync)
 * and run
 *   ./echo [--port N] [--workers N] [--idle-ms N]
 * It prints `listening on 127.0.0.1:PORT` once it accepts (port 0, the
 * default, picks a free port), and stops cleanly on SIGINT or SIGTERM.
 * (tests/examples/e2e_echo.c runs it, echoes through it and stops it.)
 *
 * The I/O calls are async2: called from a task, a call that would block
 * suspends only that task (its stack stays as it is, pointers to locals such
 * as `buf` below included) and the worker runs other tasks meanwhile. They
 * return >= 0 or -errno and never throw for an I/O error (docs/io.md). */
#include <rta.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A client that sends nothing for this long is dropped (--idle-ms). */
static int64_t idle_ms = 60000;
/* A client that does not read its echo for this long is dropped too: else a
 * peer that only sends would pin its task (and our buffer) forever. */
enum { WRITE_MS = 10000 };

/* One connection. The buffer lives on the task's stack: the layer runs the
 * read(2)/write(2) in the task while its frames are resident, so the kernel
 * never writes into a suspended task's memory. */
static int64_t serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[4096];
    int64_t echoed = 0;
    for (;;) {
        /* > 0 bytes, 0 when the client closed, -ETIMEDOUT once the idle
         * deadline passed, -ECANCELED when rta_shutdown ends the wait. */
        ssize_t n = rta_read(fd, buf, sizeof buf, rta_after_ms(idle_ms));
        if (n <= 0)
            break;
        /* rta_write writes all n bytes (partial writes and EAGAIN are the
         * layer's business) or returns -errno: the peer reset, the deadline. */
        if (rta_write(fd, buf, (size_t)n, rta_after_ms(WRITE_MS)) < 0)
            break;
        echoed += n;
    }
    rta_close(fd);
    return echoed;
}

/* Accepts until the listener is closed under it (rta_close from main: the
 * pending accept ends with -ECANCELED). No deadline: waiting for the next
 * client is this task's whole job. */
static int64_t acceptor(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = rta_tcp_accept(lfd, RTA_FOREVER);
        if (fd == -ECANCELED)
            return 0;
        if (fd < 0) {
            /* -EMFILE and friends leave the connection queued: say so, wait
             * a little for descriptors to free up, and keep serving. */
            fprintf(stderr, "echo: rta_tcp_accept: %s\n", rta_strerror(fd));
            rta_sleep_ms(10);
            continue;
        }
        rta_task *t = rta_spawn(serve, (void *)(intptr_t)fd);
        if (!t) {
            fprintf(stderr, "echo: rta_spawn: %s\n", strerror(errno));
            rta_close(fd);
            continue;
        }
        /* Not awaited: the task runs on by itself; rta_shutdown waits for it. */
        rta_task_release(t);
    }
}

static long number(const char *opt, const char *v, long lo, long hi)
{
    char *end;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || *end || end == v || n < lo || n > hi) {
        fprintf(stderr, "echo: %s wants a number in [%ld, %ld]\n", opt, lo, hi);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    long port = 0, workers = 1;
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--port") == 0)
            port = number("--port", v, 0, 65535);
        else if (strcmp(argv[i], "--workers") == 0)
            workers = number("--workers", v, 1, 1024);
        else if (strcmp(argv[i], "--idle-ms") == 0)
            idle_ms = number("--idle-ms", v, 1, 86400000);
        else {
            fprintf(stderr, "usage: echo [--port N] [--workers N] [--idle-ms N]\n");
            return 2;
        }
    }

    /* Block the stop signals before rta_init: the workers inherit the mask,
     * so only sigwait below sees them. A peer that resets while we write
     * must give -EPIPE, not kill the process. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    rta_config cfg = {.workers = (unsigned)workers};
    int rc = rta_init(&cfg);
    if (rc != 0) {
        fprintf(stderr, "echo: rta_init: %s\n", rta_strerror(rc));
        return 1;
    }
    /* Loopback only: an example should not open a port to the network. */
    int lfd = rta_tcp_listen("127.0.0.1", (int)port, 1024);
    if (lfd < 0) {
        fprintf(stderr, "echo: rta_tcp_listen 127.0.0.1:%ld: %s\n", port, rta_strerror(lfd));
        rta_shutdown();
        return 1;
    }
    rta_task *acc = rta_spawn(acceptor, (void *)(intptr_t)lfd);
    if (!acc) {
        fprintf(stderr, "echo: rta_spawn: %s\n", strerror(errno));
        rta_close(lfd);
        rta_shutdown();
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", rta_sock_port(lfd));
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    /* Stop: closing the listener ends the acceptor; rta_shutdown ends the
     * connections' pending reads and writes with -ECANCELED (each task then
     * closes its socket and returns) and waits for every task. */
    rta_close(lfd);
    rta_task_release(acc);
    rta_shutdown();
    fprintf(stderr, "echo: stopped by signal %d\n", sig);
    return 0;
}
