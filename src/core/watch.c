/*
 * The watcher: one helper thread, running while the runtime runs, that does
 * what must not happen inside a signal handler or on a worker:
 *  - RTA_DUMP_SIGNAL (e.g. SIGUSR1): the handler only posts a semaphore; the
 *    watcher then writes rta_dump_tasks to stderr.
 * Started by rta_init, stopped (joined, the previous signal disposition
 * restored) by rta_shutdown. No thread is made when nothing is enabled.
 */
#define _GNU_SOURCE
#include "watch.h"

#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../../include/rta.h"

static struct {
    bool started;
    int signo;               /* the dump signal, 0 = none */
    struct sigaction old;    /* its disposition before rta_init */
    pthread_t thread;
    sem_t wake;
    _Atomic int stop;
    _Atomic int dump_requests;
} W;

static void on_dump_signal(int sig)
{
    (void)sig;
    int saved = errno;
    atomic_fetch_add_explicit(&W.dump_requests, 1, memory_order_relaxed);
    sem_post(&W.wake); /* async-signal-safe */
    errno = saved;
}

static void *watch_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&W.stop)) {
        if (sem_wait(&W.wake) != 0)
            continue; /* EINTR */
        if (atomic_exchange(&W.dump_requests, 0) > 0 && !atomic_load(&W.stop))
            rta_dump_tasks(stderr);
    }
    return NULL;
}

static const struct {
    const char *name;
    int signo;
} names[] = {{"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"HUP", SIGHUP},  {"QUIT", SIGQUIT},
             {"URG", SIGURG},   {"PWR", SIGPWR},   {"WINCH", SIGWINCH}};

/* "SIGUSR1", "USR1" or a number; 0 for unset/empty, -1 when unknown. */
static int parse_signal(const char *s)
{
    if (!s || !*s)
        return 0;
    char *end;
    long n = strtol(s, &end, 10);
    if (*end == '\0')
        return n > 0 && n < NSIG && n != SIGKILL && n != SIGSTOP ? (int)n : -1;
    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].signo;
    return -1;
}

int rta__watch_start(void)
{
    const char *env = getenv("RTA_DUMP_SIGNAL");
    int sig = parse_signal(env);
    if (sig < 0) {
        fprintf(stderr, "rtasync: rta_init: RTA_DUMP_SIGNAL=%s is not a signal this runtime can "
                        "use (a number, or SIGUSR1, SIGUSR2, SIGHUP, SIGQUIT, SIGURG, SIGPWR, "
                        "SIGWINCH)\n", env);
        return -EINVAL;
    }
    if (sig == 0)
        return 0;
    W.signo = sig;
    atomic_store(&W.stop, 0);
    atomic_store(&W.dump_requests, 0);
    if (sem_init(&W.wake, 0, 0) != 0)
        return -errno;
    /* The watcher takes no signals itself: a dump request interrupts some
     * other thread for the few instructions of the handler. */
    sigset_t all, prev;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &prev);
    int rc = pthread_create(&W.thread, NULL, watch_main, NULL);
    pthread_sigmask(SIG_SETMASK, &prev, NULL);
    if (rc != 0) {
        sem_destroy(&W.wake);
        return -rc;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_dump_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, &W.old);
    W.started = true;
    return 0;
}

void rta__watch_stop(void)
{
    if (!W.started)
        return;
    W.started = false;
    sigaction(W.signo, &W.old, NULL);
    atomic_store(&W.stop, 1);
    sem_post(&W.wake);
    pthread_join(W.thread, NULL);
    sem_destroy(&W.wake);
}
