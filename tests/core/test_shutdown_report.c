/* rta_shutdown with tasks that can never finish on their own: after
 * rta_config.shutdown_grace_ms it writes one report to stderr containing
 * "rta_shutdown" and naming each stuck task by id, engine and root function
 * (and what it awaits), then keeps waiting; once another thread completes
 * what they await, shutdown finishes normally. */
#include <rta.h>

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"

static rta_task *p_tasklet, *p_cont;

static TEST_NOINLINE int64_t stuck_tasklet_fn(void *arg)
{
    (void)arg;
    return rta_await(p_tasklet) + 1;
}

RTA_CONT_FN(stuck_cont_fn, void *, arg)
{
    RTA_CONT_FRAME(stuck_cont_fn, int64_t v;);
    (void)arg;
    RTA_CONT_AWAIT_TASK(F.v, p_cont);
    RTA_CONT_RETURN(F.v + 2);
}

static int pipe_fd[2];
static char report[16384];
static size_t report_len;

/* Reads stderr's pipe until the report's last line, then unblocks the tasks. */
static void *resolver(void *arg)
{
    (void)arg;
    ssize_t n;
    while ((n = read(pipe_fd[0], report + report_len, sizeof report - 1 - report_len)) > 0) {
        report_len += (size_t)n;
        report[report_len] = '\0';
        if (strstr(report, "rta_shutdown keeps waiting"))
            break;
    }
    CHECK(rta_promise_resolve(p_tasklet, 10));
    CHECK(rta_promise_resolve(p_cont, 20));
    return NULL;
}

int main(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 2, .shutdown_grace_ms = 50}));
    p_tasklet = rta_promise_new();
    p_cont = rta_promise_new();
    CHECK(p_tasklet && p_cont);
    rta_task *a = rta_spawn(stuck_tasklet_fn, NULL);
    CHECK(a);
    /* Runs here until its first suspension: registered on return. */
    rta_task *b = rta_cont_call(stuck_cont_fn, NULL);
    CHECK(b);
    for (;;) { /* until the tasklet has suspended (then it is in the registry) */
        rta_stats st;
        rta_stats_get(&st);
        if (st.suspensions >= 1)
            break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }

    fflush(stderr);
    int saved = dup(2);
    CHECK(saved >= 0);
    CHECK_OK(pipe(pipe_fd));
    CHECK(dup2(pipe_fd[1], 2) == 2);
    pthread_t th;
    CHECK_OK(pthread_create(&th, NULL, resolver, NULL));
    rta_shutdown(); /* reports, keeps waiting, returns once resolved */
    fflush(stderr);
    CHECK(dup2(saved, 2) == 2);
    close(saved);
    CHECK_OK(pthread_join(th, NULL));
    close(pipe_fd[0]);
    close(pipe_fd[1]);

    fprintf(stderr, "captured report:\n%s", report);
    char want[256];
    CHECK(strstr(report, "rtasync: rta_shutdown: still waiting after 50 ms") != NULL);
    snprintf(want, sizeof want, "task %llu (tasklet) in stuck_tasklet_fn: awaiting promise %llu",
             (unsigned long long)rta_task_id(a), (unsigned long long)rta_task_id(p_tasklet));
    CHECK(strstr(report, want) != NULL);
    snprintf(want, sizeof want, "task %llu (cont) in stuck_cont_fn: awaiting promise %llu",
             (unsigned long long)rta_task_id(b), (unsigned long long)rta_task_id(p_cont));
    CHECK(strstr(report, want) != NULL);
    CHECK_EQ(rta_task_wait(a, NULL), 11);
    CHECK_EQ(rta_task_wait(b, NULL), 22);
    rta_task_release(a);
    rta_task_release(b);
    rta_task_release(p_tasklet);
    rta_task_release(p_cont);

    return 0;
}
