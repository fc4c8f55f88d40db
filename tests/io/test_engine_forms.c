/*
 * The cont forms of connect, datagrams, run_blocking and files
 * (src/io/req.c) on the paths tests/rtac/net.c and files.c do not take: a
 * root started by rta_cont_call on main runs its calls on main until it
 * first suspends, so there
 *  - a blocking job and a file's pwrite/pread run right there, on main
 *    (a plain thread may block: no pool);
 *  - a connect that must wait (EINPROGRESS) blocks main in poll(2);
 *  - a datagram goes to a name (looked up right there);
 * then the root yields onto a worker and makes the same calls there (the
 * pool, the relay waits). Argument errors end the calls at once on both:
 * a NULL job function, a port out of range, a NULL path, a bad descriptor.
 * Registered per backend (io_engine_forms, io_engine_forms_epoll).
 */
#include "iotest.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

static pthread_t main_thread;
static int lport, u1, u2port, file_fd;
static char fbuf[4];

static int64_t job_where(void *arg)
{
    (void)arg;
    return pthread_equal(pthread_self(), main_thread) ? 1 : 2;
}

/* Every call once; returns a digit per check (1 main / 2 elsewhere for
 * the job, 0 failure). */
RTA_CONT_FN(forms, void *, arg)
{
    RTA_CONT_FRAME(forms, int64_t r; int round; int64_t where;);
    (void)arg;
    F.where = 0;
    for (F.round = 0; F.round < 2; F.round++) {
        RTA_CONT_CALL(F.r, rta_cont_run_blocking, job_where, NULL);
        F.where = F.where * 10 + F.r;
        RTA_CONT_CALL(F.r, rta_cont_run_blocking, NULL, NULL);
        CHECK_EQ(F.r, -EINVAL);
        RTA_CONT_CALL(F.r, rta_cont_tcp_connect, "127.0.0.1", lport, rta_after_ms(60000));
        CHECK(F.r >= 0);
        CHECK_OK(rta_close((int)F.r));
        RTA_CONT_CALL(F.r, rta_cont_tcp_connect, "127.0.0.1", 70000, rta_after_ms(60000));
        CHECK_EQ(F.r, -EINVAL);
        RTA_CONT_CALL(F.r, rta_cont_sendto, u1, "ab", 2, "localhost", u2port, rta_after_ms(60000));
        CHECK_EQ(F.r, 2);
        RTA_CONT_CALL(F.r, rta_cont_pwrite, file_fd, "xyz", 3, 10 * F.round);
        CHECK_EQ(F.r, 3);
        RTA_CONT_CALL(F.r, rta_cont_pread, file_fd, fbuf, 3, 10 * F.round);
        CHECK_EQ(F.r, 3);
        CHECK(memcmp(fbuf, "xyz", 3) == 0);
        RTA_CONT_CALL(F.r, rta_cont_pread, -1, fbuf, 1, 0);
        CHECK_EQ(F.r, -EBADF);
        RTA_CONT_CALL(F.r, rta_cont_open, NULL, O_RDONLY, 0);
        CHECK_EQ(F.r, -EFAULT);
        RTA_CONT_YIELD(); /* the second round on a worker */
    }
    RTA_CONT_RETURN(F.where);
}

int main(void)
{
    iotest_init(2);
    main_thread = pthread_self();
    int lfd = rta_tcp_listen("127.0.0.1", 0, 16);
    CHECK(lfd >= 0);
    lport = rta_sock_port(lfd);
    u1 = rta_udp_bind("127.0.0.1", 0);
    int u2 = rta_udp_bind("127.0.0.1", 0);
    CHECK(u1 >= 0 && u2 >= 0);
    u2port = rta_sock_port(u2);
    char path[] = "/tmp/io_engine_forms_XXXXXX";
    file_fd = mkstemp(path);
    CHECK(file_fd >= 0);
    unlink(path);

    rta_task *t = rta_cont_call(forms, NULL);
    /* Round one ran on main (this call returned once the root yielded):
     * the job on main, a connection queued, a datagram sent. */
    CHECK_EQ(iotest_join(t), 12);
    for (int i = 0; i < 2; i++) {
        int fd = rta_tcp_accept(lfd, rta_after_ms(60000));
        CHECK(fd >= 0);
        CHECK_OK(rta_close(fd));
        char d[4];
        CHECK_EQ(rta_recvfrom(u2, d, sizeof d, rta_after_ms(60000)), 2);
        CHECK(memcmp(d, "ab", 2) == 0);
    }
    CHECK_OK(rta_close(lfd));
    CHECK_OK(rta_close(u1));
    CHECK_OK(rta_close(u2));
    CHECK_OK(rta_close(file_fd));
    rta_shutdown();
    return 0;
}
