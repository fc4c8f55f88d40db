/*
 * The blocking pool: rta_run_blocking runs a function that may block (a
 * name lookup, a file on epoll, a library call) on a pool thread while the
 * calling task is suspended, so that no worker ever blocks.
 *
 * Bounded: at most `max` threads (RTA_BLOCKING_THREADS, default 16); jobs
 * beyond that wait in a FIFO. Threads start on demand (a job queued and no
 * idle thread to take it) and end after `idle` ms without work
 * (RTA_BLOCKING_IDLE_MS, default 2000), so an idle program holds none.
 *
 * A job's record is malloc'd, never on the task's stack: the pool thread and
 * a canceller point at it while the task may be evicted. Two parties
 * "arrive" at a record before the task resumes: the task's registration
 * (on_completed, after it switched out) and the end of the job (the pool
 * thread once fn returned, or a cancel that took the job out of the queue
 * before it started); the second to arrive runs the waiter, and only the
 * task, resumed, frees the record (rta__meet, io.h; file.c's ring operations
 * meet the same way). A job already running cannot be stopped:
 * a cancel then lets it finish (its arg may point into the task's frames)
 * and the wait ends with -ECANCELED, the job's result dropped.
 *
 * The waiting task is pinned (rta__resident_pin) from queueing to resuming:
 * fn may read and write its frames through arg meanwhile.
 */
#include "io.h"

#include <signal.h>
#include <string.h>

typedef struct rta__job {
    struct rta__job *next; /* the queue, under P.lock */
    int64_t (*fn)(void *);
    void *arg;
    int64_t result;
    bool started, dequeued; /* under P.lock */
    rta__meet meet;
    rta__scope_hook hook;     /* .h armed with a tasklet */
    rta__cancel_scope *scope; /* rta__job_begin's: the waiting cont/async1 task's */
    /* fn's argument, copied (rta__job_begin_copy): aligned for any field. */
    _Alignas(max_align_t) unsigned char arg_copy[RTA__JOB_ARG];
} rta__job;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a job queued, or stop */
    pthread_cond_t gone; /* threads reached 0 (shutdown) */
    rta__job *head, **tail;
    unsigned queued, threads, idle, running, peak_running, max;
    uint64_t idle_ns;
    bool stop;
} P = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER, .gone = PTHREAD_COND_INITIALIZER};

static void *pool_thread(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&P.lock);
    for (;;) {
        while (!P.head && !P.stop) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            uint64_t ns = (uint64_t)until.tv_nsec + P.idle_ns;
            until.tv_sec += (time_t)(ns / 1000000000u);
            until.tv_nsec = (long)(ns % 1000000000u);
            P.idle++;
            int rc = pthread_cond_timedwait(&P.work, &P.lock, &until);
            P.idle--;
            if (rc == ETIMEDOUT && !P.head)
                goto out; /* idle too long: the pool shrinks */
        }
        if (!P.head)
            break; /* stopping, nothing left */
        rta__job *j = P.head;
        P.head = j->next;
        if (!P.head)
            P.tail = &P.head;
        P.queued--;
        j->started = true;
        if (++P.running > P.peak_running)
            P.peak_running = P.running;
        pthread_mutex_unlock(&P.lock);
        j->result = j->fn(j->arg);
        rta__meet_arrive(&j->meet);
        pthread_mutex_lock(&P.lock);
        P.running--;
    }
out:
    if (--P.threads == 0)
        pthread_cond_broadcast(&P.gone);
    pthread_mutex_unlock(&P.lock);
    return NULL;
}

/* P.lock held. A thread for the queue if none is idle for it; false only
 * when the pool has no thread at all and none could be started. */
static bool pool_staff(void)
{
    if (P.idle >= P.queued) {
        pthread_cond_signal(&P.work);
        return true;
    }
    if (P.idle)
        pthread_cond_signal(&P.work);
    if (P.threads >= P.max)
        return true; /* queued: a thread takes it when one frees up */
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 256 * 1024);
    /* Pool threads take no signals: the program's handlers run elsewhere. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t th;
    int rc = pthread_create(&th, &at, pool_thread, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&at);
    if (rc == 0)
        P.threads++;
    return rc == 0 || P.threads > 0;
}

static void job_cancel(rta__cancel_hook *h)
{
    rta__job *j = rta__container_of(h, rta__job, hook.h);
    bool mine = false;
    pthread_mutex_lock(&P.lock);
    if (!j->started && !j->dequeued) {
        for (rta__job **pp = &P.head; *pp; pp = &(*pp)->next) {
            if (*pp == j) {
                *pp = j->next;
                if (!*pp)
                    P.tail = pp;
                P.queued--;
                break;
            }
        }
        j->dequeued = mine = true;
        j->result = -ECANCELED;
    }
    pthread_mutex_unlock(&P.lock);
    if (mine)
        rta__meet_arrive(&j->meet);
}

static bool job_is_completed(void *self)
{
    return rta__meet_completed(&((rta__job *)self)->meet);
}

/* j->scope is NULL for a tasklet (its hook is armed around the await) and
 * for a plain thread; a cont/async1 task's is armed here: a request made
 * meanwhile dequeues the job unless it started (job_cancel). */
static void job_on_completed(void *self, rta_waiter *w)
{
    rta__job *j = self;
    rta__meet_register(&j->meet, w, j->scope, &j->hook);
}

static int64_t job_get_result(void *self)
{
    return ((rta__job *)self)->result;
}

static const rta_awaiter_ops job_ops = {
    .is_completed = job_is_completed,
    .on_completed = job_on_completed,
    .unsafe_on_completed = job_on_completed,
    .get_result = job_get_result,
};

/* A new job queued for a thread, fn's argument arg, or a copy of size
 * bytes at arg (size > 0) in the record: NULL with *rc -errno. */
static rta__job *job_queue(int64_t (*fn)(void *), void *arg, size_t size, int *rc)
{
    rta__job *j = malloc(sizeof *j);
    if (!j) {
        *rc = -ENOMEM;
        return NULL;
    }
    *j = (rta__job){.fn = fn, .arg = arg, .hook.h.fn = job_cancel};
    if (size) {
        memcpy(j->arg_copy, arg, size); /* before the pool can see the job */
        j->arg = j->arg_copy;
    }
    rta__meet_init(&j->meet);
    pthread_mutex_lock(&P.lock);
    *P.tail = j;
    P.tail = &j->next;
    P.queued++;
    if (!pool_staff()) {
        /* No thread at all: take the job back. */
        P.head = NULL;
        P.tail = &P.head;
        P.queued = 0;
        pthread_mutex_unlock(&P.lock);
        free(j);
        *rc = -EAGAIN;
        return NULL;
    }
    pthread_mutex_unlock(&P.lock);
    /* The dump's words for the wait that follows. */
    rta__reg_hint_wait(j, RTA__REG_WAIT_JOB, NULL, 0, RTA__REG_NO_DUE, (uintptr_t)fn);
    return j;
}

int64_t rta__run_blocking(int64_t (*fn)(void *), void *arg, int64_t *ran)
{
    *ran = INT64_MIN;
    if (!rta__tls_state.worker || !rta__io_state.be) {
        *ran = fn(arg); /* a plain thread may block */
        return *ran;
    }
    if (!rta__tls_state.stackful)
        return -ENOTSUP; /* cont and async1 code: rta__job_begin */
    if (rta__cancel_requested(rta__cancel_current()))
        return -ECANCELED;
    int rc;
    rta__job *j = job_queue(fn, arg, 0, &rc);
    if (!j)
        return rc;
    /* The job may read and write the task's frames (arg often points at a
     * local) until it ends: they stay in place, never copied out. */
    rta__resident_pin();
    /* Armed after queueing: a cancel finds the job where it looks for it.
     * A request that came before is answered by dequeueing it here. */
    if (!rta__cancel_arm(&j->hook.h))
        job_cancel(&j->hook.h);
    int64_t r = rta_await_awaiter_cfg(&job_ops, j, true);
    rta__cancel_disarm();
    rta__resident_unpin();
    if (j->started)
        *ran = j->result;
    if (rta__cancel_requested(rta__cancel_current()))
        r = -ECANCELED; /* a job that had started is finished but dropped */
    free(j);
    return r;
}

/* ---- the job for frames that suspend by returning (req.c) ---------------
 * Their state is heap data (a cont frame, an async1 box): nothing to pin,
 * and the record is freed by get_result, which runs once the job ended.
 * Cancellation: the job keeps the scope current when it was queued (the
 * cont root's, the async1 task's) and arms its hook on it in on_completed,
 * before its own arrival (after that the task may resume and free the
 * record); get_result disarms it. A request dequeues a job not started
 * (its arrival then ends the wait), as for tasklets. */

int rta__job_begin_copy(int64_t (*fn)(void *), const void *arg, size_t size, int64_t *res, void **out)
{
    *out = NULL;
    if (size > RTA__JOB_ARG)
        return -EINVAL;
    if (!rta__tls_state.worker || !rta__io_state.be) {
        *res = fn((void *)(uintptr_t)arg); /* a plain thread may block: arg stays put meanwhile */
        return 1;
    }
    if (rta__cancel_pending())
        return -ECANCELED;
    int rc;
    rta__job *j = job_queue(fn, (void *)(uintptr_t)arg, size, &rc);
    if (!j)
        return rc;
    j->scope = rta__scope_current();
    *out = j;
    return 0;
}

int rta__job_begin(int64_t (*fn)(void *), void *arg, int64_t *res, void **out)
{
    return rta__job_begin_copy(fn, arg, 0, res, out);
}

static int64_t job_take_result(void *self)
{
    rta__job *j = self;
    if (j->scope)
        rta__scope_disarm(j->scope, &j->hook); /* a request running job_cancel finishes first */
    int64_t r = j->result;
    free(j);
    return r;
}

const rta_awaiter_ops rta__job_ops = {
    .is_completed = job_is_completed,
    .on_completed = job_on_completed,
    .unsafe_on_completed = job_on_completed,
    .get_result = job_take_result,
};

int64_t rta_run_blocking(int64_t (*fn)(void *), void *arg)
{
    if (!fn) {
        fprintf(stderr, "rtasync: rta_run_blocking: fn is NULL\n");
        return -EINVAL;
    }
    int64_t ran;
    return rta__run_blocking(fn, arg, &ran);
}

static unsigned env_unsigned(const char *name, unsigned dflt, unsigned min, unsigned max)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return dflt;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v < min || v > max) {
        fprintf(stderr, "rtasync: rta_init: %s=\"%s\": expected %u..%u; using %u\n", name, s, min, max, dflt);
        return dflt;
    }
    return (unsigned)v;
}

void rta__pool_init(void)
{
    pthread_mutex_lock(&P.lock);
    P.stop = false;
    P.head = NULL;
    P.tail = &P.head;
    P.queued = P.peak_running = 0;
    P.max = env_unsigned("RTA_BLOCKING_THREADS", 16, 1, 4096);
    P.idle_ns = (uint64_t)env_unsigned("RTA_BLOCKING_IDLE_MS", 2000, 1, 3600000) * 1000000u;
    pthread_mutex_unlock(&P.lock);
}

/* After the workers stopped (no task waits on a job any more). */
void rta__pool_shutdown(void)
{
    pthread_mutex_lock(&P.lock);
    P.stop = true;
    pthread_cond_broadcast(&P.work);
    while (P.threads > 0)
        pthread_cond_wait(&P.gone, &P.lock);
    pthread_mutex_unlock(&P.lock);
}

void rta__pool_stats(unsigned *threads, unsigned *peak_running, unsigned *max, unsigned *queued)
{
    pthread_mutex_lock(&P.lock);
    *queued = P.queued;
    *threads = P.threads;
    *peak_running = P.peak_running;
    *max = P.max;
    pthread_mutex_unlock(&P.lock);
}
