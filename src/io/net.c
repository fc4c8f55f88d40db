/*
 * Sockets: TCP listen/accept/connect, UDP, read/write, close.
 *
 * Every operation tries its syscall first (non-blocking descriptors) and
 * waits for readiness only on EAGAIN, so data already there costs no
 * suspension. The syscalls run in the task itself, while its frames are
 * resident: a buffer on the task's stack is written by the kernel only then.
 */
#include "io.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* host:port to an address. NULL host: any IPv4 address (passive) or
 * 127.0.0.1. Numeric addresses need no lookup; names use getaddrinfo. */
static int resolve(const char *host, int port, int socktype, bool passive,
                   struct sockaddr_storage *ss, socklen_t *len)
{
    *len = 0; /* every path below sets it before returning 0 */
    if (port < 0 || port > 65535)
        return -EINVAL;
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (!host || !*host) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        in4->sin_addr.s_addr = htonl(passive ? INADDR_ANY : INADDR_LOOPBACK);
        *len = sizeof *in4;
        return 0;
    }
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        *len = sizeof *in4;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof *in6;
        return 0;
    }
    struct addrinfo hints = {.ai_socktype = socktype, .ai_flags = passive ? AI_PASSIVE : 0};
    struct addrinfo *res = NULL;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0)
        /* EAI_SYSTEM with errno 0 must still be a failure, never 0 (success). */
        return rc == EAI_SYSTEM ? -(errno ? errno : EIO) : rc == EAI_MEMORY ? -ENOMEM : -ENOENT;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* Registers a descriptor this layer created (a fresh number: any earlier
 * registration of the number is replaced). Without a running runtime the
 * descriptor is registered on its first wait instead. */
static int adopt(int fd)
{
    if (!rta__io_state.be)
        return fd;
    rta__iofd *f = rta__iofd_get(fd, true);
    if (!f)
        return fd;
    pthread_mutex_lock(&f->lock);
    if (f->registered) {
        /* Closed with close(2) behind our back: start a new generation
         * (io_uring still watches the old file: let it go). */
        rta__io_state.be->unwatch(f);
        f->registered = false;
        f->gen++;
    }
    int rc = rta__iofd_register_locked(f);
    pthread_mutex_unlock(&f->lock);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

static int bound_socket(const char *host, int port, int type, struct sockaddr_storage *ss,
                        socklen_t *len)
{
    int rc = resolve(host, port, type, true, ss, len);
    if (rc < 0)
        return rc;
    int fd = socket(ss->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    if (type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)ss, *len) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

int rta_tcp_listen(const char *host, int port, int backlog)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = bound_socket(host, port, SOCK_STREAM, &ss, &len);
    if (fd < 0)
        return fd;
    if (listen(fd, backlog > 0 ? backlog : SOMAXCONN) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return adopt(fd);
}

int rta_udp_bind(const char *host, int port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = bound_socket(host, port, SOCK_DGRAM, &ss, &len);
    return fd < 0 ? fd : adopt(fd);
}

int rta_sock_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -errno;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -EAFNOSUPPORT;
}

int rta_tcp_accept(int lfd, rta_deadline d)
{
    int prc = rta__iofd_prepare(lfd);
    if (prc < 0)
        return prc;
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return adopt(fd);
        }
        int e = errno;
        if (e == EINTR || e == ECONNABORTED)
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return -e; /* EMFILE/ENFILE included: the connection stays queued */
        int rc = rta__io_wait(lfd, RTA__IO_RD, d);
        if (rc < 0)
            return rc;
    }
}

int rta_tcp_connect(const char *host, int port, rta_deadline d)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int rc = resolve(host, port, SOCK_STREAM, false, &ss, &len);
    if (rc < 0)
        return rc;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd = adopt(fd);
    if (fd < 0)
        return fd;
    if (connect(fd, (struct sockaddr *)&ss, len) == 0)
        return fd;
    if (errno != EINPROGRESS) {
        rc = -errno;
        rta_close(fd);
        return rc;
    }
    rc = rta__io_wait(fd, RTA__IO_WR, d);
    if (rc == 0) {
        int err = 0;
        socklen_t elen = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
            err = errno;
        rc = -err;
    }
    if (rc < 0) {
        rta_close(fd);
        return rc;
    }
    return fd;
}

ssize_t rta_read(int fd, void *buf, size_t n, rta_deadline d)
{
    int prc = rta__iofd_prepare(fd);
    if (prc < 0)
        return prc;
    for (;;) {
        ssize_t r = read(fd, buf, n);
        if (r >= 0)
            return r;
        int e = errno;
        if (e == EINTR)
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return -e;
        int rc = rta__io_wait(fd, RTA__IO_RD, d);
        if (rc < 0)
            return rc;
    }
}

ssize_t rta_write(int fd, const void *buf, size_t n, rta_deadline d)
{
    int prc = rta__iofd_prepare(fd);
    if (prc < 0)
        return prc;
    const char *p = buf;
    size_t done = 0;
    bool sock = true;
    while (done < n) {
        ssize_t r = sock ? send(fd, p + done, n - done, MSG_NOSIGNAL) : write(fd, p + done, n - done);
        if (r >= 0) {
            done += (size_t)r;
            continue;
        }
        int e = errno;
        if (e == ENOTSOCK && sock) {
            sock = false; /* a pipe or a file: plain write (SIGPIPE is the program's) */
            continue;
        }
        if (e == EINTR)
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return -e;
        int rc = rta__io_wait(fd, RTA__IO_WR, d);
        if (rc < 0)
            return rc;
    }
    return (ssize_t)n;
}

ssize_t rta_sendto(int fd, const void *buf, size_t n, const char *host, int port, rta_deadline d)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int rc = resolve(host, port, SOCK_DGRAM, false, &ss, &len);
    if (rc < 0 || (rc = rta__iofd_prepare(fd)) < 0)
        return rc;
    for (;;) {
        ssize_t r = sendto(fd, buf, n, MSG_NOSIGNAL, (struct sockaddr *)&ss, len);
        if (r >= 0)
            return r;
        int e = errno;
        if (e == EINTR)
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return -e;
        if ((rc = rta__io_wait(fd, RTA__IO_WR, d)) < 0)
            return rc;
    }
}

ssize_t rta_recvfrom(int fd, void *buf, size_t n, rta_deadline d)
{
    int prc = rta__iofd_prepare(fd);
    if (prc < 0)
        return prc;
    for (;;) {
        ssize_t r = recvfrom(fd, buf, n, 0, NULL, NULL);
        if (r >= 0)
            return r;
        int e = errno;
        if (e == EINTR)
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return -e;
        int rc = rta__io_wait(fd, RTA__IO_RD, d);
        if (rc < 0)
            return rc;
    }
}

int rta_close(int fd)
{
    if (fd < 0)
        return -EBADF;
    rta__iofd *f = rta__iofd_get(fd, false);
    if (!f)
        return close(fd) < 0 ? -errno : 0;
    int rc = 0;
    rta__iofd_end_waits(f, -ECANCELED, true, &rc);
    return rc;
}
