/*
 * echo_server_epoll: the hand-written baseline of bench/echo, as a C
 * programmer would write a fast single-threaded echo server without a
 * runtime: one epoll loop, level-triggered, non-blocking sockets, one read
 * per readiness event echoed straight back; only what the socket did not take
 * is buffered (and EPOLLOUT armed until it drains). No deadlines (neither has
 * the rtasync server it is compared with). Listens on 127.0.0.1 only; prints
 * `listening on 127.0.0.1:PORT`; SIGTERM or SIGINT ends it.
 *   echo_server_epoll [--port N]
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BUF = 16384 };

/* A connection whose echo did not fit the socket: the bytes still to send. */
typedef struct conn {
    int fd;
    size_t off, len; /* pending bytes buf[off..len) */
    char buf[BUF];
} conn;

static int ep;

static void drop(conn *c)
{
    close(c->fd); /* also removes it from the epoll set */
    free(c);
}

/* Sends what is pending; 0 when all went, 1 when the socket is full, -1 on error. */
static int flush(conn *c)
{
    while (c->off < c->len) {
        ssize_t k = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (k < 0)
            return errno == EAGAIN ? 1 : -1;
        c->off += (size_t)k;
    }
    c->off = c->len = 0;
    return 0;
}

static void on_event(conn *c, uint32_t ev)
{
    if (c->len) { /* waiting for room: read nothing more until the echo went out */
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        int r = flush(c);
        if (r < 0) {
            drop(c);
            return;
        }
        if (r == 0) {
            struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
        }
        return;
    }
    ssize_t n = recv(c->fd, c->buf, BUF, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN)) {
        drop(c);
        return;
    }
    if (n < 0)
        return;
    c->off = 0;
    c->len = (size_t)n;
    int r = flush(c);
    if (r < 0)
        drop(c);
    else if (r == 1) {
        struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
    }
}

int main(int argc, char **argv)
{
    int port = 0;
    if (argc == 3 && strcmp(argv[1], "--port") == 0)
        port = atoi(argv[2]);
    else if (argc != 1) {
        fprintf(stderr, "usage: echo_server_epoll [--port N]\n");
        return 2;
    }
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 4096) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        perror("echo_server_epoll: listen on 127.0.0.1");
        return 1;
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop, NULL);
    int sfd = signalfd(-1, &stop, SFD_CLOEXEC);
    ep = epoll_create1(EPOLL_CLOEXEC);
    /* data.ptr NULL: the listener; &ep: the signal descriptor; else a conn */
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);
    e.data.ptr = &ep;
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &e);
    printf("listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
    fflush(stdout);

    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        if (n < 0 && errno == EINTR)
            continue;
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == &ep)
                return 0; /* SIGTERM / SIGINT */
            if (evs[i].data.ptr == NULL) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    conn *c = malloc(sizeof *c);
                    if (!c) {
                        close(fd);
                        continue;
                    }
                    c->fd = fd;
                    c->off = c->len = 0;
                    struct epoll_event ce = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ce);
                }
                continue;
            }
            on_event(evs[i].data.ptr, evs[i].events);
        }
    }
}
