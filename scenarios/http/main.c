/*
 * rtahttpd: the HTTP/1.1 server of scenario 2 (issue 13).
 *
 *   rtahttpd [--engine tasklet|cont|async1] [--port N] [--workers N]
 *
 * Listens on 127.0.0.1 only (port 0 = ephemeral) and prints exactly one line,
 * `listening on 127.0.0.1:PORT`, once it accepts. SIGTERM or SIGINT drains:
 * the listener closes, idle keep-alive connections are canceled, requests in
 * flight are answered (with Connection: close) and the process exits 0 within
 * 5 s. Environment (for tests and operators; the command line is the
 * contract): RTAHTTPD_HEADER_TIMEOUT_MS (default 10000),
 * RTAHTTPD_ACCESS_LOG=1 (a line per request on stderr).
 *
 * Threads: the main thread only waits for the signal and drains; an acceptor
 * task (tasklet: accepting is not on the request path) accepts and starts
 * one task per connection on the chosen engine, which runs that engine's
 * build of http_serve (http.h).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rta.h>
#include <rta/io.h>

#include "http.h"

/* A live connection. Registered before its task starts and unlinked by the
 * task when it ends, so the drain can end exactly the live, idle ones. */
typedef struct conn_rec {
    http_job job; /* first: the job's done callback finds the record */
    http_stream s;
    rta_task *task; /* the acceptor's reference; NULL until it stored it */
    bool done;      /* the task ended before the acceptor stored `task` */
    struct conn_rec *prev, *next;
} conn_rec;

static http_server srv;
static const http_engine *engine;
static int listen_fd = -1;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static conn_rec reg = {.prev = &reg, .next = &reg};
static atomic_int live;

/* The end of a connection's task (http_job.done, run by the task itself). */
static void conn_done(http_job *j)
{
    conn_rec *r = (conn_rec *)j;
    pthread_mutex_lock(&reg_lock);
    r->prev->next = r->next;
    r->next->prev = r->prev;
    rta_task *t = r->task;
    if (t) {
        rta_task_release(t); /* the runtime still holds the running task's own */
        free(r);
    } else {
        r->done = true; /* the acceptor frees it */
    }
    pthread_mutex_unlock(&reg_lock);
    atomic_fetch_sub(&live, 1);
}

static int64_t acceptor(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = rta_tcp_accept(listen_fd, RTA_FOREVER);
        if (fd < 0) {
            if (fd == -ECANCELED || fd == -EBADF || atomic_load(&srv.draining))
                break; /* main closed the listener (or canceled us): draining */
            if (fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM || fd == -ENOBUFS)
                rta_sleep_ms(10); /* out of descriptors: let connections end */
            continue;
        }
        conn_rec *r = calloc(1, sizeof *r);
        if (!r) {
            rta_close(fd);
            continue;
        }
        http_stream_init_fd(&r->s, fd);
        r->job = (http_job){.s = &r->s, .srv = &srv, .done = conn_done};
        pthread_mutex_lock(&reg_lock);
        r->next = &reg;
        r->prev = reg.prev;
        reg.prev->next = r;
        reg.prev = r;
        pthread_mutex_unlock(&reg_lock);
        atomic_fetch_add(&live, 1);
        rta_task *t = engine->spawn(&r->job);
        pthread_mutex_lock(&reg_lock);
        if (!t) {
            r->prev->next = r->next;
            r->next->prev = r->prev;
            atomic_fetch_sub(&live, 1);
            rta_close(fd);
            free(r);
        } else if (r->done) {
            rta_task_release(t);
            free(r);
        } else {
            r->task = t;
        }
        pthread_mutex_unlock(&reg_lock);
    }
    return 0;
}

/* Ends the connections that wait for a new request: a cancel request (every
 * engine takes them: the waiting read ends with -ECANCELED); where one is
 * not taken (a task that already ended), a shutdown of the read side, which
 * a waiting read sees as the end of the stream, and the connection closes
 * as if the client had gone. */
static void cancel_idle(void)
{
    pthread_mutex_lock(&reg_lock);
    for (conn_rec *r = reg.next; r != &reg; r = r->next)
        if (r->task && atomic_load(&r->s.idle) && !rta_task_cancel(r->task))
            shutdown(r->s.fd, SHUT_RD); /* the listener is closed: no new descriptor
                                         * can take the number if the task just closed it */
    pthread_mutex_unlock(&reg_lock);
}

static void usage(void)
{
    fprintf(stderr, "usage: rtahttpd [--engine tasklet|cont|async1] [--port N] [--workers N]\n");
    exit(2);
}

static long number(const char *opt, const char *v, long lo, long hi)
{
    char *end;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || *end || end == v || n < lo || n > hi) {
        fprintf(stderr, "rtahttpd: %s wants a number in [%ld, %ld], got '%s'\n", opt, lo, hi, v ? v : "");
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    const char *engine_name = "tasklet";
    long port = 8080, workers = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--engine") == 0 && i + 1 < argc)
            engine_name = argv[++i];
        else if (strcmp(argv[i], "--port") == 0)
            port = number("--port", i + 1 < argc ? argv[++i] : NULL, 0, 65535);
        else if (strcmp(argv[i], "--workers") == 0)
            workers = number("--workers", i + 1 < argc ? argv[++i] : NULL, 1, 1024);
        else
            usage();
    }
    bool built;
    engine = http_engine_find(engine_name, &built);
    if (!engine) {
        fprintf(stderr, "rtahttpd: unknown engine '%s' (tasklet, cont, async1)\n", engine_name);
        return 2;
    }
    if (!built) {
        fprintf(stderr,
                "rtahttpd: engine '%s' is not built: it needs rtac (python3-clang); "
                "engines here:",
                engine_name);
        for (const char *const *n = http_engine_names; *n; n++)
            fprintf(stderr, " %s", *n);
        fprintf(stderr, "\n");
        return 2;
    }

    http_config_default(&srv.cfg);
    const char *e = getenv("RTAHTTPD_HEADER_TIMEOUT_MS");
    if (e)
        srv.cfg.header_timeout_ms = number("RTAHTTPD_HEADER_TIMEOUT_MS", e, 1, 3600000);
    e = getenv("RTAHTTPD_ACCESS_LOG");
    srv.cfg.access_log = e && strcmp(e, "1") == 0;

    /* Workers inherit this mask: the signals reach only sigwait below. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    rta_config cfg = {.workers = (unsigned)workers};
    int rc = rta_init(&cfg);
    if (rc < 0) {
        fprintf(stderr, "rtahttpd: rta_init: %s\n", rta_strerror(rc));
        return 1;
    }
    listen_fd = rta_tcp_listen("127.0.0.1", (int)port, 4096);
    if (listen_fd < 0) {
        fprintf(stderr, "rtahttpd: rta_tcp_listen 127.0.0.1:%ld: %s\n", port, rta_strerror(listen_fd));
        rta_shutdown();
        return 1;
    }
    rta_task *acc = rta_spawn(acceptor, NULL);
    if (!acc) {
        fprintf(stderr, "rtahttpd: rta_spawn: %s\n", strerror(errno));
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", rta_sock_port(listen_fd));
    fflush(stdout);

    int sig = 0;
    sigwait(&sigs, &sig);

    /* Drain: at most ~4.5 s, leaving the process time to exit within 5 s. */
    atomic_store(&srv.draining, true);
    rta_close(listen_fd); /* ends the pending accept with -ECANCELED */
    rta_task_cancel(acc);
    struct timespec t0, now, tick = {0, 5 * 1000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        cancel_idle();
        if (atomic_load(&live) == 0 && rta_task_status(acc) != RTA_PENDING)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 > 4500) {
            fprintf(stderr, "rtahttpd: %d connections still busy after 4.5 s; exiting\n", atomic_load(&live));
            fflush(stderr);
            _exit(0);
        }
        nanosleep(&tick, NULL);
    }
    rta_task_release(acc);
    rta_shutdown();
    return 0;
}
