/* net: rta_tcp_connect, rta_sendto / rta_recvfrom and rta_run_blocking in
 * async2 code (cont: rtac lowers them to rta_cont_tcp_connect...,
 * src/io/cont.c; async1 to awaits of rta_async1_tcp_connect...,
 * src/io/async1.c; both got -ENOTSUP on a worker before). Each engine must
 * print the same:
 *  - connects to a numeric address and to a name (localhost: looked up on
 *    the blocking pool, each address in turn), a byte each way through the
 *    connection (main accepts and answers);
 *  - a connect to a port nobody listens on: ECONNREFUSED;
 *  - a datagram received by a task that waits for it in rta_recvfrom, and
 *    answered with rta_sendto to a name (looked up) and to a number;
 *  - rta_recvfrom with a 20 ms deadline: ETIMEDOUT; one ended by rta_close;
 *  - rta_run_blocking: a job that returns at once and one that waits for
 *    main to open a gate (the task suspends meanwhile).
 * Registered once per backend (rtac_net_<engine>, _epoll). */
#include <rta.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int lport;
static int u1, u2, u2port;
/* static: a cont frame moves, its locals' addresses do not last */
static char cbuf[1], ubuf[16];
static _Atomic int gate, waiting;

static void sleep_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t job_add(void *arg)
{
    return (int64_t)(intptr_t)arg + 1;
}

static int64_t job_gate(void *arg)
{
    (void)arg;
    atomic_store(&waiting, 1);
    while (!atomic_load(&gate))
        sleep_ms(1);
    return 42;
}

static RTA_ASYNC int64_t connector(void *arg)
{
    const char *host = arg;
    int fd = rta_tcp_connect(host, lport, rta_after_ms(60000));
    if (fd < 0)
        return fd;
    cbuf[0] = 'c';
    ssize_t r = rta_write(fd, cbuf, 1, rta_after_ms(60000));
    if (r == 1)
        r = rta_read(fd, cbuf, 1, rta_after_ms(60000));
    rta_close(fd);
    if (r != 1)
        return r < 0 ? r : -EIO;
    return cbuf[0];
}

static RTA_ASYNC int64_t receiver(void *arg)
{
    (void)arg;
    atomic_store(&waiting, 1);
    ssize_t n = rta_recvfrom(u1, ubuf, sizeof ubuf, rta_after_ms(60000));
    if (n <= 0)
        return n < 0 ? n : -EIO;
    ubuf[0] = (char)(ubuf[0] - 'a' + 'A');
    ssize_t s = rta_sendto(u1, ubuf, (size_t)n, "localhost", u2port, rta_after_ms(60000));
    if (s != n)
        return s < 0 ? s : -EIO;
    s = rta_sendto(u1, ubuf, 1, "127.0.0.1", u2port, rta_after_ms(60000));
    return s != 1 ? (s < 0 ? s : -EIO) : n;
}

static RTA_ASYNC int64_t recv_timeout(void *arg)
{
    (void)arg;
    return rta_recvfrom(u1, ubuf, sizeof ubuf, rta_after_ms(20));
}

static RTA_ASYNC int64_t recv_closed(void *arg)
{
    (void)arg;
    atomic_store(&waiting, 1);
    return rta_recvfrom(u1, ubuf, sizeof ubuf, rta_after_ms(60000));
}

static RTA_ASYNC int64_t blocker(void *arg)
{
    (void)arg;
    int64_t a = rta_run_blocking(job_add, (void *)(intptr_t)41);
    int64_t b = rta_run_blocking(job_gate, NULL);
    return a * 1000 + b;
}

static const char *err_name(int64_t r)
{
    return r == -ECONNREFUSED ? "ECONNREFUSED"
           : r == -ETIMEDOUT  ? "ETIMEDOUT"
           : r == -ECANCELED  ? "ECANCELED"
           : r == -EBADF      ? "EBADF"
                              : "other";
}

static void wait_waiting(void)
{
    while (!atomic_load(&waiting))
        sleep_ms(1);
    atomic_store(&waiting, 0);
    sleep_ms(20); /* the task goes on into its wait (the output is the same if not) */
}

static int64_t join(rta_task *t)
{
    int64_t r = rta_task_wait(t, NULL);
    rta_task_release(t);
    return r;
}

/* main's side of a connection: the byte + 1 back. */
static void serve_one(int lfd)
{
    int fd = rta_tcp_accept(lfd, rta_after_ms(60000));
    char c = 0;
    if (fd >= 0 && rta_read(fd, &c, 1, rta_after_ms(60000)) == 1) {
        c = (char)(c + 1);
        rta_write(fd, &c, 1, rta_after_ms(60000));
    }
    rta_close(fd);
}

int main(void)
{
    rta_config cfg = {.workers = 2};
    if (rta_init(&cfg) != 0)
        return 1;
    int lfd = rta_tcp_listen("127.0.0.1", 0, 16);
    lport = rta_sock_port(lfd);
    if (lfd < 0 || lport <= 0)
        return 1;
    const char *hosts[] = {"127.0.0.1", "localhost"};
    for (int i = 0; i < 2; i++) {
        rta_task *t = rta_spawn(connector, (void *)hosts[i]);
        serve_one(lfd);
        int64_t r = rta_task_wait(t, NULL);
        rta_task_release(t);
        printf("connect to %s: answer %c\n", hosts[i], r > 0 ? (char)r : '?');
    }
    rta_close(lfd);
    printf("connect to a closed port: %s\n", err_name(join(rta_spawn(connector, (void *)"127.0.0.1"))));

    u1 = rta_udp_bind("127.0.0.1", 0);
    u2 = rta_udp_bind("127.0.0.1", 0);
    u2port = rta_sock_port(u2);
    if (u1 < 0 || u2 < 0 || u2port <= 0)
        return 1;
    rta_task *t = rta_spawn(receiver, NULL);
    wait_waiting();
    ssize_t s = rta_sendto(u2, "ping", 4, "127.0.0.1", rta_sock_port(u1), rta_after_ms(60000));
    char got[16] = {0};
    ssize_t n = rta_recvfrom(u2, got, sizeof got - 1, rta_after_ms(60000));
    ssize_t n2 = rta_recvfrom(u2, got + 8, 1, rta_after_ms(60000));
    printf("datagram sent %zd, received %lld, answers %zd \"%.*s\" and %zd \"%c\"\n", s,
           (long long)rta_task_wait(t, NULL), n, (int)(n > 0 ? n : 0), got, n2, got[8]);
    rta_task_release(t);
    printf("recvfrom with a 20 ms deadline: %s\n", err_name(join(rta_spawn(recv_timeout, NULL))));
    t = rta_spawn(recv_closed, NULL);
    wait_waiting();
    rta_close(u1);
    int64_t r = rta_task_wait(t, NULL); /* ECANCELED; EBADF had the close come first */
    printf("recvfrom ended by rta_close: %s\n", r == -ECANCELED || r == -EBADF ? "yes" : err_name(r));
    rta_task_release(t);
    rta_close(u2);

    t = rta_spawn(blocker, NULL);
    wait_waiting();
    atomic_store(&gate, 1);
    printf("run_blocking: %lld\n", (long long)rta_task_wait(t, NULL));
    rta_task_release(t);
    rta_shutdown();
    return 0;
}
