/*
 * The watcher: one helper thread, running while the runtime runs, for what
 * must not happen in a signal handler or on a worker (Go's sysmon, smaller):
 *  - RTA_DUMP_SIGNAL (e.g. SIGUSR1): the handler only posts a semaphore; the
 *    watcher then writes rta_dump_tasks to stderr.
 *  - The stall detector: a worker whose loop has not moved on (its tick) for
 *    RTA_STALL_MS (default 100; 0 = off) while it is not idle is running one
 *    piece of work that does not await. The watcher interrupts that worker
 *    with SIGURG (ignored by default, so a late one is harmless); the
 *    handler copies the interrupted frame-pointer chain, bounded by the
 *    running task's stack, into a static buffer; the watcher symbolizes it
 *    and writes one report to stderr. Once per stall (per worker tick), and
 *    at most one report per second in all.
 * The tick is read without the owner's cooperation: the hot path pays
 * nothing. Started by rta_init, stopped (joined, the signals' previous
 * dispositions restored) by rta_shutdown; no thread when both are off.
 */
#define _GNU_SOURCE
#include "watch.h"

#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "../core/registry.h"
#include "../core/symbols.h"
#include "sched.h"

#define STALL_SIGNAL SIGURG
#define STALL_FRAMES 32
#define STALL_REPORT_GAP_NS 1000000000u /* rate limit: one report per second */

static struct {
    bool started;
    int dump_signo; /* the dump signal, 0 = none */
    struct sigaction dump_old, stall_old;
    uint64_t stall_ns; /* 0 = detector off */
    pthread_t thread;
    sem_t wake;
    _Atomic int stop;
    _Atomic int dump_requests;
    /* Per worker, watcher only. */
    struct wstate {
        uint64_t tick, since, reported_tick;
        bool reported;
        unsigned unread; /* attempts of this stall whose stack could not be read */
    } * ws;
    unsigned nws;
    uint64_t last_report;
} W;

/* The handler's result; one request at a time (the watcher waits for it). */
static struct {
    _Atomic uint32_t want; /* request number the handler should answer */
    _Atomic uint32_t done; /* request number answered */
    uint64_t task_id;      /* running tasklet, 0 if not a tasklet */
    unsigned n;
    uintptr_t pcs[STALL_FRAMES];
} S;
static sem_t stall_done;

static void on_dump_signal(int sig)
{
    (void)sig;
    int saved = errno;
    atomic_fetch_add_explicit(&W.dump_requests, 1, memory_order_relaxed);
    sem_post(&W.wake); /* async-signal-safe */
    errno = saved;
}

/* On the stalled worker: only loads, stores and sem_post. The walk stays in
 * [interrupted sp, the running exec's stack top], moving up, 8-aligned: a
 * tasklet's region or the thread's stack below the worker loop, both mapped. */
__attribute__((no_sanitize_address)) static void on_stall_signal(int sig, siginfo_t *si, void *ucv)
{
    (void)sig, (void)si;
    int saved = errno;
    uint32_t want = atomic_load_explicit(&S.want, memory_order_acquire);
    if (want == atomic_load_explicit(&S.done, memory_order_relaxed) || !rta__tls_state.worker) {
        errno = saved;
        return; /* late or stray */
    }
    const ucontext_t *uc = ucv;
#if defined(__x86_64__)
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.pc;
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.regs[29];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.sp;
#else
    uintptr_t pc = 0, fp = 0, sp = 0;
#endif
    const rta__exec *x = rta__tls_state.exec;
    uintptr_t hi = x ? x->stack_hi : 0;
    const rta_task *t = rta__stackful_task();
    S.task_id = t ? t->id : 0;
    unsigned n = 0;
    if (pc)
        S.pcs[n++] = pc;
    /* The interrupted code may not keep a frame pointer (glibc's malloc uses
     * rbp as a plain register): its "fp" can be any number. Only an address
     * in [sp, hi) is a frame record of this stack, and the walk only moves
     * up from there, so every read is of the live, mapped stack. */
    if (fp < sp)
        fp = 0;
    while (n < STALL_FRAMES && fp && fp + 16 <= hi && (fp & 7) == 0) {
        uintptr_t next = ((const uintptr_t *)fp)[0], ret = ((const uintptr_t *)fp)[1];
        if (ret == 0)
            break;
        S.pcs[n++] = ret;
        if (next <= fp)
            break;
        fp = next;
    }
    S.n = n;
    atomic_store_explicit(&S.done, want, memory_order_release);
    sem_post(&stall_done);
    errno = saved;
}

/* A stall whose stack could not be read (the handler did not run within
 * 200 ms: a loaded machine, or the worker blocks the signal for a while) is
 * asked again at the next looks, and reported without its stack only after
 * this many attempts: a report without the stack is the last resort (a
 * loaded CI run printed one and debug_stall, waiting for the stack, spun
 * until its 300 s timeout). */
#define STALL_READ_ATTEMPTS 3

/* Asks worker wk for its stack and writes the report; false when the stack
 * could not be read and final is false (nothing written: ask again). */
static bool report_stall(unsigned idx, rta__worker *wk, uint64_t ran_ns, bool final)
{
    uint32_t req = atomic_load_explicit(&S.want, memory_order_relaxed) + 1;
    atomic_store_explicit(&S.want, req, memory_order_release);
    bool got = false;
    if (pthread_kill(wk->thread, STALL_SIGNAL) == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        while (sem_timedwait(&stall_done, &ts) != 0 && errno == EINTR)
            ;
        got = atomic_load_explicit(&S.done, memory_order_acquire) == req;
    }
    /* Whatever happened, the request is over: a late handler must not write. */
    atomic_store_explicit(&S.done, req, memory_order_release);
    if (!got && !final)
        return false;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return true;
    fprintf(m, "rtasync: stall: worker %u has run ", idx);
    if (got && S.task_id)
        fprintf(m, "task %llu", (unsigned long long)S.task_id);
    else
        fprintf(m, "one piece of work");
    fprintf(m, " for %llu ms without awaiting (RTA_STALL_MS=%llu)%s\n",
            (unsigned long long)(ran_ns / 1000000u), (unsigned long long)(W.stall_ns / 1000000u),
            got ? "; its stack:" : "; its stack could not be read");
    if (got) {
        rta__srcinfo *si = rta__srcinfo_open();
        rta__dump_pcs(m, S.pcs, S.n, 1, NULL, -1, si);
        rta__srcinfo_close(si);
    }
    fclose(m);
    fwrite(buf, 1, len, stderr);
    fflush(stderr);
    free(buf);
    return true;
}

/* Grows the per-worker state to n workers; false when memory ran out. */
static bool size_ws(unsigned n)
{
    if (n > W.nws) {
        struct wstate *v = realloc(W.ws, n * sizeof *v);
        if (!v)
            return false;
        memset(v + W.nws, 0, (n - W.nws) * sizeof *v);
        W.ws = v;
        W.nws = n;
    }
    return true;
}

void rta__watch_workers_ready(void)
{
    /* Called by rta_init before it publishes rta__running: the watcher only
     * touches W.ws after it has seen that flag, so this write is ordered
     * before its reads. Done here so that an idle runtime allocates nothing
     * after rta_init returned (core_init_allocs). */
    if (W.started)
        size_ws(rta__rt.nworkers);
}

static void check_stalls(void)
{
    if (!__atomic_load_n(&rta__running, __ATOMIC_ACQUIRE))
        return;
    unsigned n = rta__rt.nworkers;
    if (!size_ws(n))
        return;
    uint64_t now = rta__now_ns();
    for (unsigned i = 0; i < n; i++) {
        rta__worker *wk = rta__rt.workers[i];
        struct wstate *s = &W.ws[i];
        /* The owner stores tick atomically (relaxed); a stale read only
         * delays a report by one period. */
        uint64_t tick = __atomic_load_n(&wk->tick, __ATOMIC_RELAXED);
        bool idle = atomic_load_explicit(&wk->idle, memory_order_relaxed) != 0 ||
                    atomic_load_explicit(&wk->parked, memory_order_relaxed) != 0;
        /* since == 0: the first look at this worker (the state is zeroed
         * when sized). A worker still starting up (tick 0, not yet idle)
         * matched the zeroed tick and was reported as running "for" the
         * whole uptime of the machine (RTA_STALL_MS=1 under ASan:
         * test_stall_first). */
        if (tick != s->tick || idle || s->since == 0) {
            s->tick = tick;
            s->since = now;
            s->unread = 0;
            continue;
        }
        if (now - s->since < W.stall_ns || (s->reported && s->reported_tick == tick))
            continue;
        if (W.last_report && now - W.last_report < STALL_REPORT_GAP_NS)
            continue;
        if (!report_stall(i, wk, now - s->since, ++s->unread >= STALL_READ_ATTEMPTS))
            continue;
        s->reported = true;
        s->reported_tick = tick;
        W.last_report = now;
    }
}

/* Posted by the watcher once it runs its own code: rta__watch_start waits
 * for it, so that the thread's start-up (which allocates under ASan and
 * TSan: their per-thread set-up calls pthread_getattr_np) is over before
 * rta_init returns, and an idle runtime allocates nothing after that
 * (core_init_allocs failed 8 of 30 ASan runs at load 14 without it). */
static sem_t watch_running;

static void *watch_main(void *arg)
{
    (void)arg;
    sem_post(&watch_running);
    while (!atomic_load(&W.stop)) {
        int rc;
        if (W.stall_ns) {
            /* Half the threshold: a stall is seen within 1.5 thresholds. */
            uint64_t period = W.stall_ns / 2;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t ns = (uint64_t)ts.tv_nsec + period;
            ts.tv_sec += (time_t)(ns / 1000000000u);
            ts.tv_nsec = (long)(ns % 1000000000u);
            rc = sem_timedwait(&W.wake, &ts);
        } else {
            rc = sem_wait(&W.wake);
        }
        if (atomic_load(&W.stop))
            break;
        if (rc == 0 && atomic_exchange(&W.dump_requests, 0) > 0)
            rta_dump_tasks(stderr);
        if (W.stall_ns)
            check_stalls();
    }
    return NULL;
}

static const struct {
    const char *name;
    int signo;
} names[] = {{"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"HUP", SIGHUP},
             {"QUIT", SIGQUIT}, {"PWR", SIGPWR},   {"WINCH", SIGWINCH}};

/* "SIGUSR1", "USR1" or a number; 0 for unset/empty, -1 when unusable. */
static int parse_signal(const char *s)
{
    if (!s || !*s)
        return 0;
    char *end;
    long n = strtol(s, &end, 10);
    if (*end == '\0')
        return n > 0 && n < NSIG && n != SIGKILL && n != SIGSTOP && n != STALL_SIGNAL ? (int)n : -1;
    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].signo;
    return -1;
}

/* RTA_STALL_MS: milliseconds, 0 = off; default 100. -1 when malformed. */
static long parse_stall_ms(const char *s)
{
    if (!s || !*s)
        return 100;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno || v < 0 || v > 3600000)
        return -1;
    return v;
}

int rta__watch_start(void)
{
    const char *env = getenv("RTA_DUMP_SIGNAL");
    int sig = parse_signal(env);
    if (sig < 0) {
        fprintf(stderr,
                "rtasync: rta_init: RTA_DUMP_SIGNAL=%s is not a signal this runtime can "
                "use (a number other than SIGURG's, or SIGUSR1, SIGUSR2, SIGHUP, SIGQUIT, "
                "SIGPWR, SIGWINCH)\n",
                env);
        return -EINVAL;
    }
    const char *senv = getenv("RTA_STALL_MS");
    long stall_ms = parse_stall_ms(senv);
    if (stall_ms < 0) {
        fprintf(stderr,
                "rtasync: rta_init: RTA_STALL_MS=%s is not a number of milliseconds "
                "(0..3600000; 0 turns the stall detector off)\n",
                senv);
        return -EINVAL;
    }
    W.stall_ns = (uint64_t)stall_ms * 1000000u;
    W.dump_signo = sig;
    if (sig == 0 && W.stall_ns == 0)
        return 0;
    atomic_store(&W.stop, 0);
    atomic_store(&W.dump_requests, 0);
    W.last_report = 0;
    W.nws = 0;
    W.ws = NULL;
    if (sem_init(&W.wake, 0, 0) != 0)
        return -errno;
    if (sem_init(&stall_done, 0, 0) != 0) {
        sem_destroy(&W.wake);
        return -errno;
    }
    if (sem_init(&watch_running, 0, 0) != 0) {
        int e = errno;
        sem_destroy(&W.wake);
        sem_destroy(&stall_done);
        return -e;
    }
    /* The watcher takes no signals itself: a dump request interrupts some
     * other thread for the few instructions of the handler. */
    sigset_t all, prev;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &prev);
    int rc = pthread_create(&W.thread, NULL, watch_main, NULL);
    pthread_sigmask(SIG_SETMASK, &prev, NULL);
    if (rc != 0) {
        sem_destroy(&W.wake);
        sem_destroy(&stall_done);
        sem_destroy(&watch_running);
        return -rc;
    }
    while (sem_wait(&watch_running) != 0 && errno == EINTR)
        ;
    sem_destroy(&watch_running);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    if (sig) {
        sa.sa_handler = on_dump_signal;
        sa.sa_flags = SA_RESTART;
        sigaction(sig, &sa, &W.dump_old);
    }
    if (W.stall_ns) {
        sa.sa_sigaction = on_stall_signal;
        sa.sa_flags = SA_RESTART | SA_SIGINFO;
        sigaction(STALL_SIGNAL, &sa, &W.stall_old);
    }
    W.started = true;
    return 0;
}

void rta__watch_stop(void)
{
    if (!W.started)
        return;
    W.started = false;
    atomic_store(&W.stop, 1);
    sem_post(&W.wake);
    pthread_join(W.thread, NULL);
    /* After the join: no request is in flight. */
    if (W.dump_signo)
        sigaction(W.dump_signo, &W.dump_old, NULL);
    if (W.stall_ns)
        sigaction(STALL_SIGNAL, &W.stall_old, NULL);
    sem_destroy(&W.wake);
    sem_destroy(&stall_done);
    free(W.ws);
    W.ws = NULL;
    W.nws = 0;
}
