/* cfg_fn: RTA_CONFIGURE_AWAIT_FN(false) as the first statement of an async2
 * function makes that function's plain awaits (rta_yield, rta_sleep_ms)
 * resume without the captured scheduler, as their _cfg(false) forms do; a
 * function without it keeps the file's setting (true). A scheduler that
 * counts what it is handed and passes it to the main thread, which runs it,
 * shows the difference. rtac used to keep the function's flag in the frame
 * while the lowered awaits read the file's (true), so under cont and async1
 * the function-level setting was silently lost.
 * async1 differs by the spec (cfg_fn.async1.out): each call is a method
 * boundary, and run's await of a callee that suspended resumes through the
 * scheduler too (run's own setting: the file's). */
#include <rta.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct item {
    struct item *next;
    void (*fn)(void *);
    void *arg;
} item;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static item *head;
static _Atomic int queued;

static void q_push(rta_scheduler *s, void (*fn)(void *), void *arg)
{
    (void)s;
    item *it = malloc(sizeof *it);
    if (!it)
        abort();
    it->fn = fn;
    it->arg = arg;
    pthread_mutex_lock(&lock);
    it->next = head;
    head = it;
    pthread_mutex_unlock(&lock);
    atomic_fetch_add(&queued, 1);
}

/* Runs what was handed over so far (one task: at most one item at a time). */
static int q_drain(void)
{
    pthread_mutex_lock(&lock);
    item *it = head;
    head = NULL;
    pthread_mutex_unlock(&lock);
    int n = 0;
    while (it) {
        item *next = it->next;
        it->fn(it->arg);
        free(it);
        it = next;
        n++;
    }
    return n;
}

static rta_scheduler sched = {.queue = q_push};

static RTA_ASYNC int64_t keeps(void)
{
    rta_yield();
    rta_sleep_ms(30); /* long enough that the delay has not ended by the await (valgrind: 1 ms had) */
    rta_yield();
    return 1;
}

static RTA_ASYNC int64_t leaves(void)
{
    RTA_CONFIGURE_AWAIT_FN(false);
    rta_yield();
    rta_sleep_ms(30); /* long enough that the delay has not ended by the await (valgrind: 1 ms had) */
    rta_yield();
    return 2;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    rta_scheduler_set(&sched);
    int before = atomic_load(&queued);
    int64_t a = keeps();
    int mid = atomic_load(&queued);
    int64_t b = leaves();
    int end = atomic_load(&queued);
    rta_scheduler_set(NULL);
    printf("keeps: %lld, %d resumptions through the scheduler\n", (long long)a, mid - before);
    printf("leaves: %lld, %d resumptions through the scheduler\n", (long long)b, end - mid);
    return a + b;
}

int main(void)
{
    if (rta_init(NULL) != 0)
        return 1;
    rta_task *t = rta_spawn(run, NULL);
    while (rta_task_status(t) == RTA_PENDING)
        if (!q_drain())
            nanosleep(&(struct timespec){0, 1000000}, NULL);
    q_drain();
    printf("result %lld\n", (long long)rta_task_wait(t, NULL));
    rta_task_release(t);
    rta_shutdown();
    return 0;
}
