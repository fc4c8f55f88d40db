/* Unobserved faults: a task that faulted and whose last reference is
 * released without its error having been read is reported once, with the
 * error's message: on stderr by default, through rta_config's hook when one
 * is set. Faults that were read (rta_task_wait with err, an await,
 * rta_task_error, when_all: every faulted input) and cancellations are not
 * reported. */
#include <rta.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "check.h"

#define ECODE (RTA_EUSER - 9)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int reports;
static uint64_t last_id;
static char last_msg[256];
static int last_code;
static int hook_data;

static void hook(uint64_t id, const rta_error *e, void *data)
{
    CHECK(data == &hook_data);
    pthread_mutex_lock(&lock);
    reports++;
    last_id = id;
    last_code = rta_error_code(e);
    snprintf(last_msg, sizeof last_msg, "%s", rta_error_message(e));
    pthread_mutex_unlock(&lock);
}

static int count(void)
{
    pthread_mutex_lock(&lock);
    int n = reports;
    pthread_mutex_unlock(&lock);
    return n;
}

static int64_t thrower(void *arg)
{
    rta_throw(ECODE, "lost error %d", (int)(intptr_t)arg);
}

static int64_t gated_thrower(void *arg)
{
    rta_await(arg);
    rta_throw(ECODE, "lost after release");
}

static int64_t awaiter(void *arg)
{
    volatile int code = 0;
    RTA_TRY {
        rta_await(arg);
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
    }
    RTA_END_TRY;
    return code;
}

int main(void)
{
    /* Default writer (no runtime, no hook): a line on stderr. */
    char path[] = "/tmp/rta_unobserved_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);
    fflush(stderr);
    int saved = dup(2);
    CHECK(dup2(fd, 2) == 2);
    rta_task *p = rta_promise_new();
    CHECK(rta_promise_reject(p, rta_error_new(-EIO, "disk on fire")));
    uint64_t pid = rta_task_id(p);
    rta_task_release(p);
    fflush(stderr);
    CHECK(dup2(saved, 2) == 2);
    close(saved);
    char buf[1024] = {0};
    CHECK(pread(fd, buf, sizeof buf - 1, 0) > 0);
    close(fd);
    char want[128];
    snprintf(want, sizeof want, "unobserved fault: task %llu", (unsigned long long)pid);
    CHECK(strstr(buf, want) != NULL);
    CHECK(strstr(buf, "disk on fire") != NULL);

    CHECK_OK(
        rta_init(&(rta_config){.workers = 2, .unobserved_fault = hook, .unobserved_fault_data = &hook_data}));

    /* Faulted, waited for without err, released: reported once, by
     * whichever of this thread and the finishing worker drops the last
     * reference (at the latest when rta_shutdown has returned). */
    rta_task *t = rta_spawn(thrower, (void *)1);
    CHECK(t);
    CHECK_EQ(rta_task_wait(t, NULL), 0);
    uint64_t tid = rta_task_id(t);
    rta_task_release(t);
    rta_shutdown();
    CHECK_EQ(count(), 1);
    CHECK_EQ(last_id, tid);
    CHECK_EQ(last_code, ECODE);
    CHECK_STREQ(last_msg, "lost error 1");

    /* Released before it faulted: reported by the worker that finished it. */
    CHECK_OK(
        rta_init(&(rta_config){.workers = 2, .unobserved_fault = hook, .unobserved_fault_data = &hook_data}));
    rta_task *gate = rta_promise_new();
    t = rta_spawn(gated_thrower, gate);
    CHECK(t);
    tid = rta_task_id(t);
    rta_task_release(t);
    rta_promise_resolve(gate, 0);
    rta_shutdown();         /* the task has finished by now */
    rta_task_release(gate); /* not before: the task reads it after resuming */
    CHECK_EQ(count(), 2);
    CHECK_EQ(last_id, tid);
    CHECK_STREQ(last_msg, "lost after release");
    CHECK_OK(
        rta_init(&(rta_config){.workers = 2, .unobserved_fault = hook, .unobserved_fault_data = &hook_data}));

    /* Observed ways: not reported. */
    rta_error *err = NULL;
    t = rta_spawn(thrower, (void *)2);
    CHECK_EQ(rta_task_wait(t, &err), 0);
    rta_error_free(err);
    rta_task_release(t);
    t = rta_spawn(thrower, (void *)3);
    rta_task_wait(t, NULL);
    CHECK(rta_task_error(t) != NULL);
    rta_task_release(t);
    t = rta_spawn(thrower, (void *)4);
    rta_task *w = rta_spawn(awaiter, t);
    CHECK_EQ(rta_task_wait(w, NULL), ECODE);
    rta_task_release(w);
    rta_task_release(t);
    t = rta_spawn(thrower, (void *)5);
    rta_task *all = rta_when_all(&t, 1);
    CHECK_EQ(rta_task_wait(all, &err), 0);
    rta_error_free(err);
    rta_task_release(all);
    rta_task_release(t);
    p = rta_promise_new();
    rta_promise_cancel(p);
    rta_task_release(p);
    rta_shutdown();
    CHECK_EQ(count(), 2);

    /* when_all observes every faulted input, not only the first whose error
     * it carries: inputs faulted before the call (0, 2) and after it (4, 5,
     * rejected in reverse order), beside a success and a cancellation. */
    enum { NIN = 6 };
    rta_task *in[NIN];
    for (int i = 0; i < NIN; i++)
        in[i] = rta_promise_new();
    CHECK(rta_promise_reject(in[0], rta_error_new(ECODE, "input 0")));
    CHECK(rta_promise_reject(in[2], rta_error_new(ECODE, "input 2")));
    all = rta_when_all(in, NIN);
    CHECK(all);
    CHECK(rta_promise_resolve(in[1], 1));
    CHECK(rta_promise_cancel(in[3]));
    CHECK(rta_promise_reject(in[5], rta_error_new(ECODE, "input 5")));
    CHECK(rta_promise_reject(in[4], rta_error_new(ECODE, "input 4")));
    err = NULL;
    CHECK_EQ(rta_task_wait(all, &err), 0);
    CHECK(err);
    CHECK_STREQ(rta_error_message(err), "input 0");
    rta_error_free(err);
    rta_task_release(all);
    for (int i = 0; i < NIN; i++)
        rta_task_release(in[i]);
    CHECK_EQ(count(), 2);

    /* ... and a when_all whose own error nobody reads is one report (its
     * own), not one per faulted input. */
    in[0] = rta_promise_new();
    in[1] = rta_promise_new();
    all = rta_when_all(in, 2);
    CHECK(rta_promise_reject(in[1], rta_error_new(ECODE, "second")));
    CHECK(rta_promise_reject(in[0], rta_error_new(ECODE, "first")));
    uint64_t all_id = rta_task_id(all);
    rta_task_release(in[0]);
    rta_task_release(in[1]);
    CHECK_EQ(count(), 2);
    rta_task_release(all);
    CHECK_EQ(count(), 3);
    CHECK_EQ(last_id, all_id);
    CHECK_STREQ(last_msg, "first");

    /* A rejected promise nobody looked at, through the hook (still
     * installed after rta_shutdown). */
    p = rta_promise_new();
    rta_promise_reject(p, rta_error_new(-EPIPE, "nobody listened"));
    rta_task_release(p);
    CHECK_EQ(count(), 4);
    CHECK_EQ(last_code, -EPIPE);
    return 0;
}
