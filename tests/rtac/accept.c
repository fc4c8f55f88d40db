/* accept: rta_tcp_accept in async2 code (cont: rtac lowers it to
 * rta_cont_tcp_accept, async1 to an await of rta_async1_tcp_accept; both
 * got -ENOTSUP before). A server task accepts three connections one after
 * the other, suspending in accept before each (main connects only after
 * the previous answer), reads a byte and answers it + 1. Then an accept
 * that times out, and one ended by rta_close of the listener from main. */
#include <rta.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int lfd;
static char byte; /* static: a cont frame moves, its locals' addresses do not last */

static RTA_ASYNC int64_t server(void *arg)
{
    (void)arg;
    int64_t served = 0;
    for (int i = 0; i < 3; i++) {
        int fd = rta_tcp_accept(lfd, rta_after_ms(60000));
        if (fd < 0)
            return fd;
        ssize_t r = rta_read(fd, &byte, 1, rta_after_ms(60000));
        if (r != 1)
            return r < 0 ? r : -EIO;
        byte = (char)(byte + 1);
        r = rta_write(fd, &byte, 1, rta_after_ms(60000));
        rta_close(fd);
        if (r != 1)
            return r < 0 ? r : -EIO;
        served++;
    }
    return served;
}

static RTA_ASYNC int64_t accept_timeout(void *arg)
{
    (void)arg;
    int fd = rta_tcp_accept(lfd, rta_after_ms(20));
    printf("accept with nobody calling, 20 ms deadline: %s\n", fd == -ETIMEDOUT ? "ETIMEDOUT" : "other");
    return fd;
}

static RTA_ASYNC int64_t accept_closed(void *arg)
{
    (void)arg;
    int fd = rta_tcp_accept(lfd, rta_after_ms(60000));
    /* ECANCELED when the close ended the wait; EBADF had it come first */
    printf("accept ended by rta_close: %s\n", fd == -ECANCELED || fd == -EBADF ? "yes" : "no");
    return fd;
}

/* A plain client on main: one byte out, the answer back, then the end. */
static int client(int port, char c)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || send(fd, &c, 1, 0) != 1)
        return -1;
    char got[2] = {0, 0};
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ok = poll(&p, 1, 60000) == 1 && recv(fd, got, 1, 0) == 1 && poll(&p, 1, 60000) == 1 &&
             recv(fd, got + 1, 1, 0) == 0;
    close(fd);
    return ok ? got[0] : -1;
}

int main(void)
{
    rta_config cfg = {.workers = 2};
    if (rta_init(&cfg) != 0)
        return 1;
    lfd = rta_tcp_listen("127.0.0.1", 0, 16);
    int port = rta_sock_port(lfd);
    if (lfd < 0 || port <= 0)
        return 1;
    rta_task *s = rta_spawn(server, NULL);
    for (char c = 'a'; c < 'd'; c++)
        printf("client sent %c, got %c\n", c, (char)client(port, c));
    printf("server served %lld connections\n", (long long)rta_task_wait(s, NULL));
    rta_task_release(s);

    rta_task *t = rta_spawn(accept_timeout, NULL);
    rta_task_wait(t, NULL);
    rta_task_release(t);
    t = rta_spawn(accept_closed, NULL);
    struct timespec ms50 = {0, 50 * 1000000};
    nanosleep(&ms50, NULL);
    rta_close(lfd);
    rta_task_wait(t, NULL);
    rta_task_release(t);
    rta_shutdown();
    return 0;
}
