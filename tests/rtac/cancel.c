/* cancel: rta_task_cancel on every engine (issue 11; docs/io.md,
 * "Cancellation"). The same program runs as tasklet, cont and async1 code
 * and must print the same lines:
 *  - mid-read: a task suspended in rta_read is cancelled: the read returns
 *    -ECANCELED, and so does its next read at once; the task goes on;
 *  - mid-sleep: rta_sleep_ms(60 s) ends at the cancel and throws; the task
 *    ends as RTA_CANCELED without running the code after the sleep;
 *  - before the first await: a task cancelled right after rta_spawn, and a
 *    child spawned into a cancelled group: the first read says -ECANCELED
 *    (tasklet and cont tasks have not started yet; an async1 method runs
 *    until its first suspension inside rta_spawn), then rta_yield throws;
 *  - a group child cancelled by its handle: its read ends, its sleep
 *    throws, the group's fail-fast cancels the sleeping sibling, and the
 *    owner's rta_group_wait throws -ECANCELED; cancelling the owner of a
 *    group cancels the children and ends the owner as RTA_CANCELED;
 *  - run_blocking: with a pool of one thread held by a job, a task whose
 *    job is still queued is cancelled: the job is dequeued (never runs) and
 *    rta_run_blocking returns -ECANCELED.
 * Main prints only after the tasks it reports on have ended (their own
 * lines come first), so the order is fixed. The short pauses only let a
 * task reach its wait; the output does not depend on them (a cancel that
 * comes before the wait ends it the same way). */
#include <rta.h>
#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

static int quiet[2]; /* a socket pair nobody writes to */
static char buf[64]; /* not in a frame: cont frames move */
static int after_sleep, blocker_started, queued_ran;
static sem_t release_blocker;

static void pause_ms(long ms)
{
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
}

static const char *err_name(int64_t r)
{
    return r == -ECANCELED   ? "ECANCELED"
           : r == -ETIMEDOUT ? "ETIMEDOUT"
           : r >= 0          ? "a result"
                             : "another error";
}

static const char *status_name(rta_status s)
{
    return s == RTA_SUCCEEDED  ? "succeeded"
           : s == RTA_CANCELED ? "canceled"
           : s == RTA_FAULTED  ? "faulted"
                               : "?";
}

static RTA_ASYNC int64_t reader(void *arg)
{
    (void)arg;
    ssize_t r1 = rta_read(quiet[1], buf, sizeof buf, RTA_FOREVER);
    ssize_t r2 = rta_read(quiet[1], buf, sizeof buf, RTA_FOREVER);
    printf("mid-read: read %s, next read %s\n", err_name(r1), err_name(r2));
    return 7;
}

static RTA_ASYNC int64_t sleeper(void *arg)
{
    (void)arg;
    rta_sleep_ms(60000);
    __atomic_store_n(&after_sleep, 1, __ATOMIC_RELAXED);
    return 1;
}

static RTA_ASYNC int64_t first_await(void *arg)
{
    const char *label = arg;
    ssize_t r = rta_read(quiet[1], buf, sizeof buf, RTA_FOREVER);
    printf("%s: first read %s\n", label, err_name(r));
    rta_yield();
    printf("%s: not reached\n", label);
    return 1;
}

static RTA_ASYNC int64_t child_read(void *arg)
{
    (void)arg;
    ssize_t r = rta_read(quiet[1], buf, sizeof buf, RTA_FOREVER);
    printf("group: the cancelled child's read %s\n", err_name(r));
    rta_sleep_ms(60000);
    return 1;
}

static RTA_ASYNC int64_t child_sleep(void *arg)
{
    (void)arg;
    rta_sleep_ms(60000);
    return 2;
}

static RTA_ASYNC int64_t owner(void *arg)
{
    rta_group *g = arg;
    volatile int64_t r = 0;
    rta_task *victim = rta_group_spawn(g, child_read, NULL);
    rta_group_spawn(g, child_sleep, NULL);
    rta_sleep_ms(30);
    bool taken = rta_task_cancel(victim);
    RTA_TRY {
        r = rta_group_wait(g);
    }
    RTA_CATCH(e) {
        printf("group: the wait threw %s\n", err_name(rta_error_code(e)));
        r = -2;
    }
    RTA_END_TRY;
    printf("group: cancel of the child taken: %s\n", taken ? "yes" : "no");
    return r;
}

static RTA_ASYNC int64_t owner_cancelled(void *arg)
{
    rta_group *g = arg;
    rta_group_spawn(g, child_sleep, NULL);
    rta_group_spawn(g, child_sleep, NULL);
    rta_group_wait(g);
    printf("owner: not reached\n");
    return 1;
}

static int64_t block_fn(void *arg)
{
    (void)arg;
    __atomic_store_n(&blocker_started, 1, __ATOMIC_RELEASE);
    sem_wait(&release_blocker);
    return 5;
}

static int64_t queued_fn(void *arg)
{
    (void)arg;
    __atomic_store_n(&queued_ran, 1, __ATOMIC_RELAXED);
    return 6;
}

static RTA_ASYNC int64_t blocker(void *arg)
{
    (void)arg;
    return rta_run_blocking(block_fn, NULL);
}

static RTA_ASYNC int64_t queued(void *arg)
{
    (void)arg;
    return rta_run_blocking(queued_fn, NULL);
}

/* Cancels t after a pause; waits for it; prints what happened. */
static void cancel_and_report(const char *what, rta_task *t, long pause)
{
    pause_ms(pause);
    bool taken = rta_task_cancel(t);
    int64_t v = rta_task_wait(t, NULL);
    rta_status st = rta_task_status(t);
    printf("%s: cancel taken %s, task %s", what, taken ? "yes" : "no", status_name(st));
    if (st == RTA_SUCCEEDED)
        printf(" with %lld", (long long)v);
    printf("\n");
    rta_task_release(t);
}

int main(void)
{
    setenv("RTA_BLOCKING_THREADS", "1", 1);
    rta_config cfg = {.workers = 2};
    if (rta_init(&cfg) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, quiet) != 0 ||
        sem_init(&release_blocker, 0, 0))
        return 1;

    cancel_and_report("mid-read", rta_spawn(reader, NULL), 30);

    cancel_and_report("mid-sleep", rta_spawn(sleeper, NULL), 30);
    printf("mid-sleep: the code after the sleep ran: %s\n",
           __atomic_load_n(&after_sleep, __ATOMIC_RELAXED) ? "yes" : "no");

    cancel_and_report("before the first await", rta_spawn(first_await, "before the first await"), 0);

    rta_group *g = rta_group_new();
    rta_group_cancel(g);
    rta_task *c = rta_group_spawn(g, first_await, "cancelled group");
    int64_t gr = rta_group_wait(g); /* a plain thread: the first failure as -errno */
    printf("cancelled group: wait %s, child %s\n", err_name(gr), status_name(rta_task_status(c)));
    rta_group_free(g);

    g = rta_group_new();
    rta_task *o = rta_spawn(owner, g);
    int64_t ov = rta_task_wait(o, NULL);
    printf("group: owner %s with %lld\n", status_name(rta_task_status(o)), (long long)ov);
    rta_task_release(o);
    rta_group_free(g);

    g = rta_group_new();
    cancel_and_report("owner of a group", rta_spawn(owner_cancelled, g), 30);
    printf("owner of a group: its wait ended every child: %s\n",
           rta_group_wait(g) == -ECANCELED ? "yes" : "no");
    rta_group_free(g);

    rta_task *b = rta_spawn(blocker, NULL);
    while (!__atomic_load_n(&blocker_started, __ATOMIC_ACQUIRE))
        pause_ms(1);
    cancel_and_report("run_blocking queued", rta_spawn(queued, NULL), 30);
    printf("run_blocking queued: its job ran: %s\n",
           __atomic_load_n(&queued_ran, __ATOMIC_RELAXED) ? "yes" : "no");
    sem_post(&release_blocker);
    printf("run_blocking running: returned %lld\n", (long long)rta_task_wait(b, NULL));
    rta_task_release(b);

    rta_close(quiet[0]);
    rta_close(quiet[1]);
    rta_shutdown();
    return 0;
}
