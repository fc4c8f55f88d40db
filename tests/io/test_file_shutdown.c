/*
 * A pread begun after rta_shutdown started ends with -ECANCELED at once, on
 * every engine, as a socket wait does, and shutdown returns (and so does
 * an rta_open: opening a FIFO would wait for its writer).
 *
 * Each engine's task first waits to read a socket that nobody writes: that
 * wait ends with -ECANCELED when rta_shutdown begins. The task then preads a
 * pipe that nobody writes either. With io_uring a pread is a ring read, and
 * on a pipe it stays in flight until data comes: before the fix it was
 * submitted all the same, and shutdown, which waits for every task, never
 * returned (this test's alarm ends it). With epoll a pread is a pool job,
 * which pread(2) refuses on a pipe (-ESPIPE): before the fix the task got
 * that instead of -ECANCELED. After the calls the pipe still holds nothing
 * that was read, and the byte written to it afterwards is still there.
 * Registered per backend (io_file_shutdown, io_file_shutdown_epoll).
 */
#include "iotest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

enum { N = 16, ENGINES = 3 };

static int sv[ENGINES][2], pp[2];
static _Atomic int began;
static _Atomic int64_t read_res[ENGINES], pread_res[ENGINES], open_res = 1;

static int64_t t_reader(void *arg)
{
    (void)arg;
    char buf[N];
    atomic_fetch_add(&began, 1);
    atomic_store(&read_res[0], rta_read(sv[0][0], buf, 1, RTA_FOREVER));
    atomic_store(&pread_res[0], rta_pread(pp[0], buf, N, 0));
    atomic_store(&open_res, rta_open("/dev/null", O_RDONLY, 0));
    return 0;
}

RTA_CONT_FN(c_reader, void *, arg)
{
    RTA_CONT_FRAME(c_reader, int64_t r; char *buf;);
    F.buf = arg; /* on the heap: a cont frame's buffer must not be in the frame */
    atomic_fetch_add(&began, 1);
    RTA_CONT_CALL(F.r, rta_cont_read, sv[1][0], F.buf, 1, RTA_FOREVER);
    atomic_store(&read_res[1], F.r);
    RTA_CONT_CALL(F.r, rta_cont_pread, pp[0], F.buf, N, 0);
    atomic_store(&pread_res[1], F.r);
    RTA_CONT_RETURN(0);
}

typedef struct a_sm {
    rta_async1_sm hdr;
    char *buf;
    rta_vtask v;
    int64_t r;
} a_sm;

RTA_ASYNC1_METHOD(a_reader, rta_task *);

static void a_reader_mn(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(a_reader, a_sm, sm, m);
    RTA_AWAIT1_YIELD_CFG(false); /* started by main: go on on a worker */
    atomic_fetch_add(&began, 1);
    sm->v = rta_async1_read(sv[2][0], sm->buf, 1, RTA_FOREVER);
    RTA_AWAIT1_VTASK(sm->v, sm->v, sm->r);
    atomic_store(&read_res[2], sm->r);
    sm->v = rta_async1_pread(pp[0], sm->buf, N, 0);
    RTA_AWAIT1_VTASK(sm->v, sm->v, sm->r);
    atomic_store(&pread_res[2], sm->r);
    RTA_ASYNC1_RETURN(0);
    RTA_ASYNC1_END();
}

static rta_task *a_reader(char *buf)
{
    a_sm sm = {.buf = buf};
    RTA_ASYNC1_START(a_reader, &sm, a_reader_mn);
    return RTA_ASYNC1_TASK(a_reader, &sm);
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "rta_shutdown did not return within 20 s: a pread after it began held it\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(1);
}

int main(void)
{
    signal(SIGALRM, on_alarm);
    for (int e = 0; e < ENGINES; e++) {
        CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv[e]));
        atomic_store(&read_res[e], 1);
        atomic_store(&pread_res[e], 1);
    }
    CHECK_OK(pipe(pp));
    char *cbuf = malloc(N), *abuf = malloc(N);
    CHECK(cbuf && abuf);

    iotest_init(2);
    rta_task *t[ENGINES] = {rta_spawn(t_reader, NULL), rta_cont_spawn(c_reader, cbuf), a_reader(abuf)};
    for (int e = 0; e < ENGINES; e++) {
        CHECK(t[e] != NULL);
        rta_task_release(t[e]);
    }
    while (atomic_load(&began) < ENGINES)
        test_sleep_ms(1);
    alarm(20);
    rta_shutdown();
    alarm(0);

    static const char *const names[] = {"tasklet", "cont", "async1"};
    for (int e = 0; e < ENGINES; e++) {
        fprintf(stderr, "%s: read %lld, then pread %lld\n", names[e], (long long)atomic_load(&read_res[e]),
                (long long)atomic_load(&pread_res[e]));
        CHECK_EQ(atomic_load(&read_res[e]), -ECANCELED);
        CHECK_EQ(atomic_load(&pread_res[e]), -ECANCELED);
    }
    CHECK_EQ(atomic_load(&open_res), -ECANCELED); /* the tasklet's rta_open after its pread */
    /* Nothing was read from the pipe: what is written now is all there. */
    CHECK_EQ(write(pp[1], "x", 1), 1);
    char c = 0;
    CHECK_EQ(read(pp[0], &c, 1), 1);
    CHECK_EQ(c, 'x');
    for (int e = 0; e < ENGINES; e++) {
        close(sv[e][0]);
        close(sv[e][1]);
    }
    close(pp[0]);
    close(pp[1]);
    free(cbuf);
    free(abuf);
    return 0;
}
