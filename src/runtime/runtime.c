/*
 * Runtime lifetime: configuration, rta_init, rta_shutdown, statistics.
 * All global state lives in rta__rt (src/sched/sched.h) and is reset by
 * shutdown, so init/shutdown can repeat in one process.
 *
 * src/runtime is the top of the library (docs/design.md): the only code that
 * names every engine. It hands the scheduler the engine list (engines[]
 * below) and runs the engines' process-level hooks.
 */
#include "../core/internal.h"
#include "../arch/sanitizer.h"

#include <limits.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/registry.h"
#include "../core/symbols.h"
#include "../engine/async1/async1.h"
#include "../engine/cont/cont_internal.h"
#include "../engine/tasklet/tasklet.h"
#include "../io/io.h"
#include "../sched/watch.h"
#include "../sched/engine.h"

/* Every engine of the library, in order: thread_exit, worker_fini and
 * shutdown run in reverse (a later engine may use an earlier one). */
static rta__engine *const engines[] = {&rta__tasklet_engine, &rta__cont_engine, &rta__async1_engine};
#define NENGINES (unsigned)(sizeof engines / sizeof engines[0])

static pthread_mutex_t lifecycle = PTHREAD_MUTEX_INITIALIZER;
static unsigned shutdown_grace_ms; /* guarded by lifecycle */
/* rta_init or rta_shutdown is changing the runtime's state (set and cleared
 * under lifecycle): a fork then leaves the child a half-made runtime. */
static bool lifecycle_busy;

/* fork(): the child has one thread, a copy of the caller. The workers, the
 * watcher and the poller's threads are not there, and any lock they (or
 * rta_init/rta_shutdown on another thread) held stays held in the copy. So
 * a child forked while the runtime ran (or was starting or stopping) gets
 * no runtime: rta__running is cleared, rta__forked_child set, and every
 * call that needs the runtime refuses with a message naming itself
 * (rta__forked_refuse) instead of waiting on threads that do not exist.
 * exec needs nothing from us. lifecycle is reset so that those refusals
 * never block on a copy of a lock held at the fork. A child forked while
 * no runtime existed (before rta_init, after rta_shutdown) may start one. */
static void atfork_child(void)
{
    if (rta__running || lifecycle_busy) {
        rta__forked_child = true;
        rta__running = false;
    }
    lifecycle_busy = false;
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&lifecycle, &fresh, sizeof fresh);
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static int atfork_rc;

static void atfork_register(void)
{
    atfork_rc = -pthread_atfork(NULL, NULL, atfork_child);
}

/* src/runtime/gdb.c holds the gdb extension's types and script and nothing
 * that is called: a program linked statically takes an object from the
 * archive only for a symbol it needs, and rta_init's reference to this one
 * is what brings it in. */
RTA__HIDDEN extern const char rta__gdb_link;

int rta_init(const rta_config *cfg)
{
    __asm__ volatile("" ::"r"(&rta__gdb_link));
    rta_config c = cfg ? *cfg : (rta_config){0};
    size_t v;
    int rc;
    if (!c.workers) {
        if ((rc = rta__env_size("RTA_WORKERS", &v)) < 0)
            return rc;
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        c.workers = rc ? (unsigned)v : (unsigned)(cpus > 0 ? cpus : 1);
    }
    size_t seed = 0;
    if ((rc = rta__env_size("RTA_SCHED_RANDOM", &seed)) < 0)
        return rc;
    if (!c.shutdown_grace_ms) {
        if ((rc = rta__env_size("RTA_SHUTDOWN_GRACE_MS", &v)) < 0)
            return rc;
        c.shutdown_grace_ms = rc ? (unsigned)(v > UINT_MAX ? UINT_MAX : v) : 5000;
    }
    if (c.workers == 0 || c.workers > 1024) {
        fprintf(stderr, "rtasync: worker count %u out of range 1..1024\n", c.workers);
        return -EINVAL;
    }
    /* The engines' own settings (the tasklet engine's stack size and
     * regions): each fills in and checks what it owns. */
    for (unsigned i = 0; i < NENGINES; i++)
        if (engines[i]->configure && (rc = engines[i]->configure(&c)) < 0)
            return rc;

    if (rta__forked_refuse("rta_init"))
        return -EBUSY;
    pthread_once(&atfork_once, atfork_register);
    if (atfork_rc < 0)
        return atfork_rc;
    pthread_mutex_lock(&lifecycle);
    if (rta__running) {
        pthread_mutex_unlock(&lifecycle);
        return -EBUSY;
    }
    lifecycle_busy = true;
    /* Adaptive: the global queue's critical sections are a few stores, so
     * spinning briefly beats a futex sleep when a submitter and a worker meet. */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&rta__rt.lock, &ma);
    pthread_mutexattr_destroy(&ma);
    rta__rt.global = (rta__fifo){0};
    atomic_store(&rta__rt.global_len, 0);
    atomic_store(&rta__rt.idle_count, 0);
    atomic_store(&rta__rt.stopping, 0);
    atomic_store(&rta__rt.live_started, 0);
    atomic_store(&rta__rt.live_finished, 0);
    shutdown_grace_ms = c.shutdown_grace_ms;
    rta__set_unobserved_hook(c.unobserved_fault, c.unobserved_fault_data);
    rta__set_notice_hook(c.notice, c.notice_data);
    rta__rt.random_seed = seed; /* 0: the normal order (docs/testing.md) */
    rc = 0;
    for (unsigned i = 0; rc == 0 && i < NENGINES; i++)
        if (engines[i]->init)
            rc = engines[i]->init(&c);
    if (rc < 0) {
        pthread_mutex_destroy(&rta__rt.lock);
        lifecycle_busy = false;
        pthread_mutex_unlock(&lifecycle);
        return rc;
    }
    /* Parse the caller's symbol table now: the overflow handler may name a
     * task's function only from tables parsed before (symbols.h). */
    rta__symbolize((uintptr_t)__builtin_return_address(0) - 1, NULL, 0, NULL);
    /* The poller first: the workers park in it from their first idle wait. */
    rc = rta__io_init();
    if (rc == 0 && (rc = rta__watch_start()) != 0)
        rta__io_shutdown();
    if (rc == 0 && (rc = rta__sched_start(c.workers, engines, NENGINES)) != 0) {
        rta__watch_stop();
        rta__io_shutdown();
    }
    if (rc == 0) {
        /* Release: the stall watcher, already running, acquires this flag
         * before it reads the workers rta__sched_start just published. */
        rta__watch_workers_ready();
        __atomic_store_n(&rta__running, true, __ATOMIC_RELEASE);
    } else {
        /* Nothing of a failed start stays behind (tested by core_alloc_fail). */
        pthread_mutex_destroy(&rta__rt.lock);
        rta__symbols_reset();
    }
    lifecycle_busy = false;
    pthread_mutex_unlock(&lifecycle);
    return rc;
}

/* rta_shutdown's grace report: the registry knows every task that has
 * suspended and not finished. Written to a memory stream first so that the
 * report reaches stderr in one piece. */
static void report_stuck(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    FILE *out = m ? m : stderr;
    fprintf(out,
            "rtasync: rta_shutdown: still waiting after %u ms for tasks that have not "
            "finished:\n",
            shutdown_grace_ms);
    size_t n = rta__reg_report(out, "rtasync:   ");
    if (n == 0)
        fprintf(out, "rtasync:   (none suspended: tasks are running or queued; one may loop "
                     "without awaiting)\n");
    fprintf(out, "rtasync: rta_shutdown keeps waiting: complete, reject or cancel what they "
                 "await\n");
    if (m) {
        fclose(m);
        fwrite(buf, 1, len, stderr);
        free(buf);
    }
}

void rta_shutdown(void)
{
    if (rta__forked_refuse("rta_shutdown"))
        return; /* nothing of the parent's runtime can be stopped or freed here */
    if (rta__tls_state.worker)
        rta__fatal("rta_shutdown called from a worker thread (inside the runtime)");
    pthread_mutex_lock(&lifecycle);
    if (!rta__running) {
        pthread_mutex_unlock(&lifecycle);
        return;
    }
    lifecycle_busy = true;
    /* Pending I/O waits end with -ECANCELED (and later ones at once): a task
     * that waits for a connection that never comes must not hold shutdown
     * forever. Tasks that must finish their I/O are waited for first. */
    rta__io_shutdown_begin();
    /* Polling keeps the hot paths free of shared counters (see
     * rta__live_add); shutdown is rare and 100 us of latency is nothing. */
    uint64_t start = rta__now_ns(), grace = (uint64_t)shutdown_grace_ms * 1000000u;
    bool reported = false;
    while (!rta__live_quiescent()) {
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
        if (!reported && rta__now_ns() - start >= grace) {
            reported = true;
            report_stuck();
        }
    }
    /* Quarantined tasks (debug mode) may belong to engines that free their
     * pools below: destroy them while everything still exists. */
    rta__watch_stop();
    rta__quarantine_drain();
    rta__sched_stop();
    rta__io_shutdown();
    for (unsigned i = NENGINES; i-- > 0;)
        if (engines[i]->shutdown)
            engines[i]->shutdown();
    rta__running = false;
    pthread_mutex_destroy(&rta__rt.lock);
    rta__symbols_reset();
    lifecycle_busy = false;
    pthread_mutex_unlock(&lifecycle);
}

unsigned rta_worker_count(void)
{
    return rta__running ? rta__rt.nworkers : 0;
}

void rta_stats_get(rta_stats *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&lifecycle);
    for (unsigned i = 0; rta__running && i < rta__rt.nworkers; i++) {
        rta__worker_stats *s = &rta__rt.workers[i]->stats;
#define ADD(f) out->f += atomic_load_explicit(&s->f, memory_order_relaxed)
        ADD(tasks_spawned);
        ADD(suspensions);
        ADD(resumes_resident);
        ADD(resumes_restored);
        ADD(evictions);
        ADD(bytes_copied);
        ADD(steals);
        ADD(frames_captured);
        ADD(compactions);
        ADD(idle_spins);
        ADD(parks);
#undef ADD
    }
    pthread_mutex_unlock(&lifecycle);
}
