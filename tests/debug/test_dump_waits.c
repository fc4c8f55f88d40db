/* What rta_dump_tasks says a suspended task waits for, beyond tasks and
 * promises (docs/debugging.md): the I/O layer describes its waits in the
 * task's registry entry at the suspension (src/core/registry.h), and the
 * dump prints those words, never reading the wait's own record. Each task
 * below is parked in one wait; the dump's line for it is parsed:
 *   tasklet  rta_read on a socket pair, deadline 10 min: "awaiting read on
 *            fd R (deadline in N ms)" with 0 < N <= 600000;
 *            rta_tcp_accept, no deadline: "awaiting accept on fd L";
 *            rta_sleep_ms(10 min): "sleeping (timer due in N ms)";
 *            rta_group_wait on a group of two children parked on promises:
 *            "awaiting group <its address> (2 children running when the
 *            wait began)";
 *            rta_run_blocking(w_job, ...): "awaiting blocking job w_job";
 *   cont     rta_cont_read: "awaiting read on fd C" (no deadline);
 *            rta_cont_tcp_accept: "awaiting accept on fd L2"; a cont
 *            sleep of 10 ms at a time: "sleeping (timer due in N ms)",
 *            N <= 10, or "(timer overdue by N ms)" when its timer is late;
 *   async1   rta_async1_read on a worker: its value task's source is the
 *            wait itself (src/io/op.c), so the method awaiting it says
 *            "awaiting read on fd A" (no line of its own);
 *            rta_async1_tcp_accept: a value-task of io_move_next,
 *            "awaiting accept on fd L3".
 * Then every wait is ended (data, a connection, a cancel, the promises, the
 * job's pipe) and each task's result checked: the waits were real ones.
 * Nothing is timed: the dump is taken again (bounded) until every task is
 * parked; a format the test does not expect never appears and fails it. */
#include "check.h"
#include "testutil.h"

#include <errno.h>
#include <inttypes.h>
#include <rta.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char dump[65536];

static void take_dump(void)
{
    FILE *m = fmemopen(dump, sizeof dump - 1, "w");
    CHECK(m);
    rta_dump_tasks(m);
    fclose(m);
}

/* The dump's line for task id, or NULL. */
static bool line_of(uint64_t id, char *out, size_t cap)
{
    char head[64];
    snprintf(head, sizeof head, "\ntask %" PRIu64 " ", id);
    const char *b = strstr(dump, head);
    if (!b)
        return false;
    b++;
    const char *e = strchr(b, '\n');
    size_t n = e ? (size_t)(e - b) : strlen(b);
    CHECK(n < cap);
    memcpy(out, b, n);
    out[n] = '\0';
    return true;
}

/* The first "value-task ..." line containing `what`, or NULL. */
static bool value_line(const char *what, char *out, size_t cap)
{
    for (const char *b = strstr(dump, "\nvalue-task "); b; b = strstr(b + 1, "\nvalue-task ")) {
        const char *e = strchr(b + 1, '\n');
        size_t n = e ? (size_t)(e - b - 1) : strlen(b + 1);
        CHECK(n < cap);
        memcpy(out, b + 1, n);
        out[n] = '\0';
        if (strstr(out, what))
            return true;
    }
    return false;
}

/* ---- the waiting tasks ---- */

static int rd_pair[2], cont_pair[2], a1_pair[2], job_pipe[2];
static int lfd, cont_lfd, a1_lfd;
static rta_task *child_p[2];
static rta_group *group;
static _Atomic int cont_stop;
static char cont_buf_c, a1_buf_c; /* never in a cont frame or a state machine: they move */

static TEST_NOINLINE int64_t w_read(void *arg)
{
    (void)arg;
    char c = 0;
    ssize_t n = rta_read(rd_pair[0], &c, 1, rta_after_ms(600000));
    return n == 1 ? c : -1000 + n;
}

static TEST_NOINLINE int64_t w_accept(void *arg)
{
    (void)arg;
    int fd = rta_tcp_accept(lfd, RTA_FOREVER);
    if (fd < 0)
        return fd;
    rta_close(fd);
    return 1;
}

static TEST_NOINLINE int64_t w_sleep(void *arg)
{
    (void)arg;
    rta_sleep_ms(600000); /* canceled: throws -ECANCELED */
    return 0;
}

/* Not tail calls (KEEP_FRAME): each keeps a frame of its own to show. */
static TEST_NOINLINE int64_t w_child(void *arg)
{
    int64_t v = rta_await(child_p[(intptr_t)arg]);
    KEEP_FRAME();
    return v;
}

static TEST_NOINLINE int64_t w_group(void *arg)
{
    (void)arg;
    int64_t v = rta_group_wait(group);
    KEEP_FRAME();
    return v;
}

/* On the blocking pool: parked in read(2) until main writes. */
static TEST_NOINLINE int64_t w_job(void *arg)
{
    (void)arg;
    char c = 0;
    return read(job_pipe[0], &c, 1) == 1 ? c : -1;
}

static TEST_NOINLINE int64_t w_blocking(void *arg)
{
    int64_t v = rta_run_blocking(w_job, arg);
    KEEP_FRAME();
    return v;
}

RTA_CONT_FN(c_read, void *, arg)
{
    RTA_CONT_FRAME(c_read, int64_t r;);
    (void)arg;
    RTA_CONT_YIELD(); /* started by main: read on a worker (main would block in poll) */
    RTA_CONT_CALL(F.r, rta_cont_read, cont_pair[0], &cont_buf_c, 1, RTA_FOREVER);
    RTA_CONT_RETURN(F.r == 1 ? cont_buf_c : -1000 + F.r);
}

RTA_CONT_FN(c_accept, void *, arg)
{
    RTA_CONT_FRAME(c_accept, int64_t r;);
    (void)arg;
    RTA_CONT_YIELD(); /* started by main: accept on a worker */
    RTA_CONT_CALL(F.r, rta_cont_tcp_accept, cont_lfd, RTA_FOREVER);
    if (F.r >= 0)
        rta_close((int)F.r);
    RTA_CONT_RETURN(F.r >= 0 ? 1 : F.r);
}

RTA_CONT_FN(c_sleep, void *, arg)
{
    RTA_CONT_FRAME(c_sleep, int64_t n;);
    (void)arg;
    F.n = 0;
    while (!atomic_load(&cont_stop)) {
        RTA_CONT_SLEEP_MS(10);
        F.n++;
    }
    RTA_CONT_RETURN(F.n);
}

typedef struct a_sm {
    rta_async1_sm hdr;
    rta_vtask v;
    int64_t r;
} a_sm;

RTA_ASYNC1_METHOD(a_read, rta_task *);
static void a_read_mn(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(a_read, a_sm, sm, m);
    RTA_AWAIT1_YIELD_CFG(false); /* started by main: go on on a worker */
    RTA_AWAIT1_VTASK(sm->v, rta_async1_read(a1_pair[0], &a1_buf_c, 1, RTA_FOREVER), sm->r);
    RTA_ASYNC1_RETURN(sm->r == 1 ? a1_buf_c : -1000 + sm->r);
    RTA_ASYNC1_END();
}
RTA_ASYNC1_METHOD(a_accept, rta_task *);
static void a_accept_mn(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(a_accept, a_sm, sm, m);
    RTA_AWAIT1_YIELD_CFG(false);
    RTA_AWAIT1_VTASK(sm->v, rta_async1_tcp_accept(a1_lfd, RTA_FOREVER), sm->r);
    if (sm->r >= 0)
        rta_close((int)sm->r);
    RTA_ASYNC1_RETURN(sm->r >= 0 ? 1 : sm->r);
    RTA_ASYNC1_END();
}
static rta_task *a_accept(void)
{
    a_sm sm = {.r = 0};
    RTA_ASYNC1_START(a_accept, &sm, a_accept_mn);
    return RTA_ASYNC1_TASK(a_accept, &sm);
}

static rta_task *a_read(void)
{
    a_sm sm = {.r = 0};
    RTA_ASYNC1_START(a_read, &sm, a_read_mn);
    return RTA_ASYNC1_TASK(a_read, &sm);
}

/* ---- parsing ---- */

/* line == "<prefix><N> ms)..." with lo <= N <= hi: N, else -1. */
static long ms_after(const char *line, const char *prefix, long lo, long hi)
{
    const char *p = strstr(line, prefix);
    if (!p)
        return -1;
    char *end;
    long n = strtol(p + strlen(prefix), &end, 10);
    if (end == p + strlen(prefix) || strncmp(end, " ms)", 4) != 0 || n < lo || n > hi)
        return -1;
    return n;
}

typedef struct waits {
    rta_task *read, *accept, *sleep, *group, *blocking, *cont_read, *cont_sleep, *a1;
    rta_task *cont_accept, *a1_accept;
    rta_task *children[2];
} waits;

/* Whether every task's line says the expected wait (why not into why). */
static bool all_parked(const waits *w, char *why, size_t cap)
{
    char l[512], want[256];
#define NEED(cond, ...)                                                                                      \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            snprintf(why, cap, __VA_ARGS__);                                                                 \
            return false;                                                                                    \
        }                                                                                                    \
    } while (0)
    NEED(line_of(rta_task_id(w->read), l, sizeof l), "no line for the read");
    snprintf(want, sizeof want, "tasklet suspended in w_read: awaiting read on fd %d (deadline in ",
             rd_pair[0]);
    NEED(strstr(l, want) && ms_after(l, "(deadline in ", 1, 600000) > 0, "read: %s", l);

    NEED(line_of(rta_task_id(w->accept), l, sizeof l), "no line for the accept");
    snprintf(want, sizeof want, "tasklet suspended in w_accept: awaiting accept on fd %d, waiting ", lfd);
    NEED(strstr(l, want), "accept: %s", l);

    NEED(line_of(rta_task_id(w->sleep), l, sizeof l), "no line for the sleep");
    NEED(strstr(l, "tasklet suspended in w_sleep: sleeping (timer due in ") &&
             ms_after(l, "(timer due in ", 1, 600000) > 0,
         "sleep: %s", l);

    NEED(line_of(rta_task_id(w->group), l, sizeof l), "no line for the group wait");
    snprintf(want, sizeof want,
             "tasklet suspended in w_group: awaiting group %p (2 children running when the wait "
             "began), waiting ",
             (void *)group);
    NEED(strstr(l, want), "group: %s (wanted %s)", l, want);
    for (int i = 0; i < 2; i++) {
        NEED(line_of(rta_task_id(w->children[i]), l, sizeof l), "no line for child %d", i);
        snprintf(want, sizeof want, "tasklet suspended in w_child: awaiting promise %" PRIu64 ", ",
                 rta_task_id(child_p[i]));
        NEED(strstr(l, want), "child %d: %s", i, l);
    }

    NEED(line_of(rta_task_id(w->blocking), l, sizeof l), "no line for the blocking job");
    NEED(strstr(l, "tasklet suspended in w_blocking: awaiting blocking job w_job, waiting "), "blocking: %s",
         l);

    NEED(line_of(rta_task_id(w->cont_read), l, sizeof l), "no line for the cont read");
    snprintf(want, sizeof want, "cont suspended in c_read: awaiting read on fd %d, waiting ", cont_pair[0]);
    NEED(strstr(l, want), "cont read: %s", l);

    NEED(line_of(rta_task_id(w->cont_accept), l, sizeof l), "no line for the cont accept");
    snprintf(want, sizeof want, "cont suspended in c_accept: awaiting accept on fd %d, waiting ", cont_lfd);
    NEED(strstr(l, want), "cont accept: %s", l);
    snprintf(want, sizeof want, "async1 suspended in io_move_next: awaiting accept on fd %d, ", a1_lfd);
    NEED(value_line(want, l, sizeof l), "no value-task line with '%s'", want);

    NEED(line_of(rta_task_id(w->cont_sleep), l, sizeof l), "no line for the cont sleep");
    NEED(strstr(l, "cont suspended in c_sleep: sleeping (timer ") &&
             (ms_after(l, "(timer due in ", 0, 10) >= 0 || ms_after(l, "(timer overdue by ", 0, 600000) >= 0),
         "cont sleep: %s", l);

    NEED(line_of(rta_task_id(w->a1), l, sizeof l), "no line for the async1 method");
    snprintf(want, sizeof want, "async1 suspended in a_read_mn: awaiting read on fd %d, waiting ",
             a1_pair[0]);
    NEED(strstr(l, want), "async1: %s", l);
#undef NEED
    return true;
}

static int64_t join(rta_task *t, rta_status want)
{
    rta_error *err = NULL;
    int64_t v = rta_task_wait(t, &err);
    CHECK_EQ(rta_task_status(t), want);
    rta_error_free(err);
    rta_task_release(t);
    return v;
}

int main(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, rd_pair));
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, cont_pair));
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, a1_pair));
    CHECK_OK(pipe(job_pipe));
    lfd = rta_tcp_listen("127.0.0.1", 0, 4);
    cont_lfd = rta_tcp_listen("127.0.0.1", 0, 4);
    a1_lfd = rta_tcp_listen("127.0.0.1", 0, 4);
    CHECK(lfd >= 0 && cont_lfd >= 0 && a1_lfd >= 0);

    waits w;
    w.read = rta_spawn(w_read, NULL);
    w.accept = rta_spawn(w_accept, NULL);
    w.sleep = rta_spawn(w_sleep, NULL);
    group = rta_group_new();
    CHECK(group);
    for (int i = 0; i < 2; i++) {
        child_p[i] = rta_promise_new();
        CHECK(child_p[i]);
        w.children[i] = rta_group_spawn(group, w_child, (void *)(intptr_t)i);
        CHECK(w.children[i]);
        rta_task_retain(w.children[i]); /* the group holds one reference, the test another */
    }
    w.group = rta_spawn(w_group, NULL);
    w.blocking = rta_spawn(w_blocking, NULL);
    w.cont_read = rta_cont_call(c_read, NULL);
    w.cont_sleep = rta_cont_call(c_sleep, NULL);
    w.a1 = a_read();
    w.cont_accept = rta_cont_call(c_accept, NULL);
    w.a1_accept = a_accept();
    CHECK(w.cont_accept && w.a1_accept);
    CHECK(w.read && w.accept && w.sleep && w.group && w.blocking && w.cont_read && w.cont_sleep && w.a1);

    /* Every task reaches its wait soon; the group waiter's count needs both
     * children parked first, so a dump that is early is taken again. */
    char why[1024] = "";
    bool ok = false;
    for (long i = 0; i < 60000 && !ok; i++) {
        take_dump();
        ok = all_parked(&w, why, sizeof why);
        if (!ok)
            test_sleep_ms(1);
    }
    if (!ok) {
        fprintf(stderr, "test_dump_waits: %s\nthe last dump:\n%s", why, dump);
        return 1;
    }
    fputs(dump, stdout); /* docs/debugging.md shows a run's */

    /* End every wait; each ends the way its wait says. */
    CHECK_EQ(write(rd_pair[1], "r", 1), 1);
    CHECK_EQ(join(w.read, RTA_SUCCEEDED), 'r');
    int port = rta_sock_port(lfd);
    CHECK(port > 0);
    int cfd = rta_tcp_connect("127.0.0.1", port, rta_after_ms(60000));
    CHECK(cfd >= 0);
    CHECK_EQ(join(w.accept, RTA_SUCCEEDED), 1);
    rta_close(cfd);
    CHECK(rta_task_cancel(w.sleep));
    join(w.sleep, RTA_CANCELED);
    CHECK(rta_promise_resolve(child_p[0], 5));
    CHECK(rta_promise_resolve(child_p[1], 6));
    CHECK_EQ(join(w.group, RTA_SUCCEEDED), 0);
    CHECK_EQ(join(w.children[0], RTA_SUCCEEDED), 5);
    CHECK_EQ(join(w.children[1], RTA_SUCCEEDED), 6);
    rta_group_free(group);
    CHECK_EQ(write(job_pipe[1], "j", 1), 1);
    CHECK_EQ(join(w.blocking, RTA_SUCCEEDED), 'j');
    CHECK_EQ(write(cont_pair[1], "c", 1), 1);
    CHECK_EQ(join(w.cont_read, RTA_SUCCEEDED), 'c');
    atomic_store(&cont_stop, 1);
    CHECK(join(w.cont_sleep, RTA_SUCCEEDED) >= 1);
    CHECK_EQ(write(a1_pair[1], "a", 1), 1);
    CHECK_EQ(join(w.a1, RTA_SUCCEEDED), 'a');
    int lfds[] = {cont_lfd, a1_lfd};
    rta_task *acc[] = {w.cont_accept, w.a1_accept};
    for (int i = 0; i < 2; i++) {
        int p = rta_sock_port(lfds[i]);
        CHECK(p > 0);
        int c = rta_tcp_connect("127.0.0.1", p, rta_after_ms(60000));
        CHECK(c >= 0);
        CHECK_EQ(join(acc[i], RTA_SUCCEEDED), 1);
        rta_close(c);
        rta_close(lfds[i]);
    }
    for (int i = 0; i < 2; i++)
        rta_task_release(child_p[i]);
    rta_close(lfd);
    int fds[] = {rd_pair[0], rd_pair[1], cont_pair[0], cont_pair[1], a1_pair[0], a1_pair[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        rta_close(fds[i]);
    close(job_pipe[0]);
    close(job_pipe[1]);
    rta_shutdown();
    return 0;
}
