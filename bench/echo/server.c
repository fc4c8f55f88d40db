/*
 * echo_server_rta: the rtasync echo server of bench/echo. A tasklet accepts
 * (accepting is not the measured path: every connection is opened before the
 * clock starts); each connection runs conn.c's loop as a task of the chosen
 * engine. Listens on 127.0.0.1 only; prints `listening on 127.0.0.1:PORT`
 * when it accepts; SIGTERM or SIGINT stops it (rta_shutdown ends the pending
 * reads). SIGUSR1 prints the runtime's counters (rta_stats) as one JSON line
 * on stdout, so that a measurement can take the difference over its run
 * (bench/report/iocost.py: how many tasklet resumes copied a stack back).
 *   echo_server_rta [--engine tasklet|cont|async1] [--port N] [--workers N] [--buf BYTES]
 * The I/O backend is RTA_IO's (epoll or io_uring). --buf: each connection's
 * buffer (default ECHO_BUF; bench/echo/idle.py gives 64, the message size,
 * so that the memory per connection it measures is the runtime's).
 */
#include "echo.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rta/io.h>

static rta_task *(*spawn)(echo_job *j);
static size_t buf_size = ECHO_BUF;

static int64_t acceptor(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = rta_tcp_accept(lfd, RTA_FOREVER);
        if (fd == -ECANCELED)
            return 0;
        if (fd < 0) {
            fprintf(stderr, "echo_server_rta: rta_tcp_accept: %s\n", rta_strerror(fd));
            rta_sleep_ms(10);
            continue;
        }
        echo_job *j = malloc(sizeof *j + buf_size);
        rta_task *t = j ? (j->fd = fd, j->cap = buf_size, spawn(j)) : NULL;
        if (!t) {
            fprintf(stderr, "echo_server_rta: cannot start a connection task: %s\n", strerror(errno));
            free(j);
            rta_close(fd);
            continue;
        }
        rta_task_release(t);
    }
}

static void print_stats(void)
{
    rta_stats s;
    rta_stats_get(&s);
    printf("{\"stats\": {\"suspensions\": %llu, \"resumes_resident\": %llu, \"resumes_restored\": %llu, "
           "\"evictions\": %llu, \"compactions\": %llu, \"bytes_copied\": %llu}}\n",
           (unsigned long long)s.suspensions, (unsigned long long)s.resumes_resident,
           (unsigned long long)s.resumes_restored, (unsigned long long)s.evictions,
           (unsigned long long)s.compactions, (unsigned long long)s.bytes_copied);
    fflush(stdout);
}

static long number(const char *opt, const char *v, long lo, long hi)
{
    char *end;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || *end || end == v || n < lo || n > hi) {
        fprintf(stderr, "echo_server_rta: %s wants a number in [%ld, %ld]\n", opt, lo, hi);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    const char *engine = "tasklet";
    long port = 0, workers = 1;
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--engine") == 0 && v)
            engine = v;
        else if (strcmp(argv[i], "--port") == 0)
            port = number("--port", v, 0, 65535);
        else if (strcmp(argv[i], "--workers") == 0)
            workers = number("--workers", v, 1, 1024);
        else if (strcmp(argv[i], "--buf") == 0)
            buf_size = (size_t)number("--buf", v, 1, 1 << 24);
        else {
            fprintf(stderr, "usage: echo_server_rta [--engine tasklet|cont|async1] [--port N] [--workers N] "
                            "[--buf BYTES]\n");
            return 2;
        }
    }
    if (strcmp(engine, "tasklet") == 0)
        spawn = echo_tasklet_spawn;
#if ECHO_HAVE_CONT
    else if (strcmp(engine, "cont") == 0)
        spawn = echo_cont_spawn;
#endif
#if ECHO_HAVE_ASYNC1
    else if (strcmp(engine, "async1") == 0)
        spawn = echo_async1_spawn;
#endif
    else {
        fprintf(stderr, "echo_server_rta: engine '%s' is unknown or not built (cont and async1 need rtac)\n",
                engine);
        return 2;
    }

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    rta_config cfg = {.workers = (unsigned)workers};
    int rc = rta_init(&cfg);
    if (rc != 0) {
        fprintf(stderr, "echo_server_rta: rta_init: %s\n", rta_strerror(rc));
        return 1;
    }
    int lfd = rta_tcp_listen("127.0.0.1", (int)port, 4096);
    if (lfd < 0) {
        fprintf(stderr, "echo_server_rta: rta_tcp_listen: %s\n", rta_strerror(lfd));
        rta_shutdown();
        return 1;
    }
    rta_task *acc = rta_spawn(acceptor, (void *)(intptr_t)lfd);
    if (!acc) {
        fprintf(stderr, "echo_server_rta: rta_spawn: %s\n", strerror(errno));
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", rta_sock_port(lfd));
    fflush(stdout);
    int sig;
    while (sigwait(&stop, &sig) == 0 && sig == SIGUSR1)
        print_stats();
    rta_close(lfd);
    rta_task_release(acc);
    rta_shutdown();
    return 0;
}
