/*
 * rta_run_blocking, the blocking pool (issue 11):
 *  - 64 jobs that block (on a gate) from 64 tasks, pool bounded to 8: exactly
 *    8 run at once, never more, and the workers stay free meanwhile (another
 *    task sleeps, yields and finishes);
 *  - a job still queued is dequeued by rta_task_cancel (it never runs, the
 *    call returns -ECANCELED); a running one finishes, then -ECANCELED;
 *  - the pool shrinks to no thread when idle, and grows again;
 *  - arg on the task's stack: with one region per worker, a task started
 *    while the job runs must not take the region (the job writes the
 *    caller's local through arg; without the pin it would land in the other
 *    task's stack and the caller's copy would come back stale);
 *  - a host name (localhost) for rta_tcp_connect, looked up on the pool;
 *  - from a plain thread the job runs inline; NULL fn is -EINVAL.
 * Nothing waits for time: gates are opened by the main thread once the
 * state it checks is reached (a lost wake-up hangs, and ctest fails it).
 */
#include "iotest.h"
#include "io/io.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

enum { POOL = 8, JOBS = 64 };

static pthread_mutex_t gm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gc = PTHREAD_COND_INITIALIZER;
static int gate; /* jobs wait until gate >= their level */
static _Atomic int running, ran_count, never_ran;

static void gate_wait(int level)
{
    pthread_mutex_lock(&gm);
    while (gate < level)
        pthread_cond_wait(&gc, &gm);
    pthread_mutex_unlock(&gm);
}

static void gate_open(int level)
{
    pthread_mutex_lock(&gm);
    gate = level;
    pthread_cond_broadcast(&gc);
    pthread_mutex_unlock(&gm);
}

static void stats(unsigned *threads, unsigned *peak, unsigned *queued)
{
    unsigned max;
    rta__pool_stats(threads, peak, &max, queued);
    CHECK_EQ(max, POOL);
}

static int64_t gated_job(void *arg)
{
    atomic_fetch_add(&running, 1);
    gate_wait((int)((intptr_t)arg >> 16));
    atomic_fetch_sub(&running, 1);
    atomic_fetch_add(&ran_count, 1);
    return ((intptr_t)arg & 0xffff) * 3;
}

static int64_t gated_task(void *arg)
{
    return rta_run_blocking(gated_job, arg);
}

static int64_t free_worker(void *arg)
{
    (void)arg;
    rta_sleep_ms(1);
    rta_yield();
    return 11;
}

static int64_t flag_job(void *arg)
{
    (void)arg;
    atomic_store(&never_ran, 1);
    return 0;
}

static int64_t queued_task(void *arg)
{
    (void)arg;
    return rta_run_blocking(flag_job, NULL);
}

static int64_t plain_job(void *arg)
{
    return (int64_t)(intptr_t)arg + 1;
}

static int64_t plain_task(void *arg)
{
    return rta_run_blocking(plain_job, arg);
}

static void wait_until(_Atomic int *v, int want)
{
    while (atomic_load(v) != want)
        test_sleep_ms(1);
}

/* ---- arg on the stack, one region ---- */

static int64_t fill_job(void *arg)
{
    atomic_fetch_add(&running, 1);
    gate_wait(10);
    memset(arg, 0x5a, 512);
    atomic_fetch_sub(&running, 1);
    return 512;
}

static TEST_NOINLINE int64_t stack_owner(void *arg)
{
    (void)arg;
    volatile unsigned char buf[512];
    memset((void *)buf, 0x11, sizeof buf);
    CHECK_EQ(rta_run_blocking(fill_job, (void *)buf), 512);
    for (size_t i = 0; i < sizeof buf; i++)
        CHECK_EQ(buf[i], 0x5a);
    return 1;
}

static TEST_NOINLINE int64_t stack_user(void *arg)
{
    (void)arg;
    volatile unsigned char big[2048];
    memset((void *)big, 0x22, sizeof big);
    rta_yield();
    for (size_t i = 0; i < sizeof big; i++)
        CHECK_EQ(big[i], 0x22);
    return 2;
}

/* ---- a host name on the pool ---- */

static int64_t connect_localhost(void *arg)
{
    int port = (int)(intptr_t)arg;
    int fd = rta_tcp_connect("localhost", port, rta_after_ms(30000));
    CHECK(fd >= 0);
    CHECK_EQ(rta_write(fd, "h", 1, rta_after_ms(30000)), 1);
    CHECK_OK(rta_close(fd));
    return 1;
}

int main(void)
{
    CHECK_OK(setenv("RTA_BLOCKING_THREADS", "8", 1));
    CHECK_OK(setenv("RTA_BLOCKING_IDLE_MS", "20", 1));
    iotest_init(2);

    /* Bounded: 64 blocking jobs, 8 at a time. */
    rta_task *ts[JOBS];
    for (long i = 0; i < JOBS; i++)
        CHECK((ts[i] = rta_spawn(gated_task, (void *)(intptr_t)(1 << 16 | i))) != NULL);
    wait_until(&running, POOL);
    unsigned threads, peak, queued;
    do {
        test_sleep_ms(1);
        stats(&threads, &peak, &queued);
    } while (queued != JOBS - POOL); /* every task has queued its job */
    CHECK_EQ(threads, POOL);
    CHECK_EQ(peak, POOL);
    /* The workers are free. */
    CHECK_EQ(iotest_join(rta_spawn(free_worker, NULL)), 11);

    /* A queued job is dequeued by a cancel and never runs. */
    rta_task *q = rta_spawn(queued_task, NULL);
    do {
        test_sleep_ms(1);
        stats(&threads, &peak, &queued);
    } while (queued != JOBS - POOL + 1);
    CHECK(rta_task_cancel(q));
    CHECK_EQ(iotest_join(q), -ECANCELED);

    gate_open(1);
    for (long i = 0; i < JOBS; i++)
        CHECK_EQ(iotest_join(ts[i]), i * 3);
    CHECK_EQ(atomic_load(&ran_count), JOBS);
    CHECK_EQ(atomic_load(&never_ran), 0);
    stats(&threads, &peak, &queued);
    CHECK_EQ(peak, POOL);
    CHECK_EQ(queued, 0);

    /* A running job finishes; the cancelled call returns -ECANCELED. */
    rta_task *r = rta_spawn(gated_task, (void *)(intptr_t)(2 << 16 | 7));
    wait_until(&running, 1);
    CHECK(rta_task_cancel(r));
    gate_open(2);
    CHECK_EQ(iotest_join(r), -ECANCELED);
    CHECK_EQ(atomic_load(&ran_count), JOBS + 1);

    /* Idle: every thread ends (20 ms each; bounded by ctest's timeout). */
    do {
        test_sleep_ms(5);
        stats(&threads, &peak, &queued);
    } while (threads != 0);
    CHECK_EQ(iotest_join(rta_spawn(plain_task, (void *)(intptr_t)41)), 42);

    /* A host name. */
    int lfd = rta_tcp_listen("127.0.0.1", 0, 16);
    CHECK(lfd >= 0);
    rta_task *c = rta_spawn(connect_localhost, (void *)(intptr_t)rta_sock_port(lfd));
    int afd = rta_tcp_accept(lfd, rta_after_ms(30000));
    CHECK(afd >= 0);
    char ch = 0;
    CHECK_EQ(rta_read(afd, &ch, 1, rta_after_ms(30000)), 1);
    CHECK_EQ(ch, 'h');
    CHECK_EQ(iotest_join(c), 1);
    CHECK_OK(rta_close(afd));
    CHECK_OK(rta_close(lfd));

    /* Plain thread: inline. Misuse. */
    CHECK_EQ(rta_run_blocking(plain_job, (void *)(intptr_t)1), 2);
    CHECK_EQ(rta_run_blocking(NULL, NULL), -EINVAL);
    rta_shutdown();

    /* arg on the stack with one region on one worker. */
    CHECK_OK(rta_init(&(rta_config){.workers = 1, .regions_per_worker = 1}));
    rta_task *a = rta_spawn(stack_owner, NULL);
    wait_until(&running, 1);
    rta_task *b = rta_spawn(stack_user, NULL); /* may not evict a: gets a region of its own */
    test_sleep_ms(20);                         /* time for b to run meanwhile */
    gate_open(10);
    CHECK_EQ(iotest_join(a), 1);
    CHECK_EQ(iotest_join(b), 2);
    rta_shutdown();
    printf("ok\n");
    return 0;
}
