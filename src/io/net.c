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

static int resolve_numeric(const char *host, int port, bool passive, struct sockaddr_storage *ss,
                           socklen_t *len);

/* A name lookup (getaddrinfo may block for seconds), run on the blocking
 * pool: a->host etc. in, a->ss/len/n out. a lives on the calling tasklet's
 * stack (rta__run_blocking keeps the task's frames in place until the job
 * ends) or on the heap (rta__addrs_new, for frames that move). */
int64_t rta__lookup_job(void *arg)
{
    rta__addrs *a = arg;
    struct addrinfo hints = {
        .ai_family = a->family, .ai_socktype = a->socktype, .ai_flags = a->passive ? AI_PASSIVE : 0};
    struct addrinfo *res = NULL;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%d", a->port);
    int rc = getaddrinfo(a->host, portstr, &hints, &res);
    if (rc != 0)
        /* EAI_SYSTEM with errno 0 must still be a failure, never 0 (success). */
        return rc == EAI_SYSTEM ? -(errno ? errno : EIO) : rc == EAI_MEMORY ? -ENOMEM : -ENOENT;
    int n = 0;
    for (struct addrinfo *ai = res; ai && n < RTA__MAX_ADDRS; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof a->ss[n])
            continue;
        memcpy(&a->ss[n], ai->ai_addr, ai->ai_addrlen);
        a->len[n++] = ai->ai_addrlen;
    }
    freeaddrinfo(res);
    a->n = n;
    return n > 0 ? n : -ENOENT;
}

int rta__addrs_numeric(rta__addrs *a, const char *host, int port, int socktype, bool passive)
{
    a->host = host;
    a->port = port;
    a->socktype = socktype;
    a->passive = passive;
    a->family = AF_UNSPEC;
    a->n = a->i = 0;
    if (port < 0 || port > 65535)
        return -EINVAL;
    if (host && *host) {
        struct in_addr a4;
        struct in6_addr a6;
        if (inet_pton(AF_INET, host, &a4) != 1 && inet_pton(AF_INET6, host, &a6) != 1)
            return 0;
    }
    int rc = resolve_numeric(host, port, passive, &a->ss[0], &a->len[0]);
    if (rc < 0)
        return rc;
    a->n = 1;
    return 1;
}

rta__addrs *rta__addrs_new(const char *host, int port, int socktype, bool passive, int *rc)
{
    size_t hl = host ? strlen(host) + 1 : 0;
    rta__addrs *a = malloc(sizeof *a + hl);
    if (!a) {
        *rc = -ENOMEM;
        return NULL;
    }
    char *copy = hl ? memcpy(a + 1, host, hl) : NULL; /* the caller's string may move meanwhile */
    *rc = rta__addrs_numeric(a, copy, port, socktype, passive);
    if (*rc < 0) {
        free(a);
        return NULL;
    }
    return a;
}

/* host:port to up to RTA__MAX_ADDRS addresses (a->ss[], a->len[]), in
 * getaddrinfo's order: their number, or -errno. NULL host: any IPv4
 * address (passive) or 127.0.0.1. Numeric addresses need no lookup; names
 * go to the blocking pool (a task waits there; a plain thread looks up
 * itself). */
static int resolve_all(const char *host, int port, int socktype, bool passive, rta__addrs *a, int family_of)
{
    int rc = rta__addrs_numeric(a, host, port, socktype, passive);
    if (rc != 0)
        return rc;
    if (family_of >= 0)
        a->family = rta__sock_family(family_of);
    int64_t ran;
    return (int)rta__run_blocking(rta__lookup_job, a, &ran);
}

/* The first address of host:port (see resolve_all); a name is looked up
 * in the address family of socket family_of (-1: any). */
static int resolve(const char *host, int port, int socktype, bool passive, struct sockaddr_storage *ss,
                   socklen_t *len, int family_of)
{
    rta__addrs a;
    int n = resolve_all(host, port, socktype, passive, &a, family_of);
    if (n < 0)
        return n;
    memcpy(ss, &a.ss[0], sizeof *ss);
    *len = a.len[0];
    return 0;
}

/* NULL, empty or numeric host:port to an address (-EINVAL otherwise). */
static int resolve_numeric(const char *host, int port, bool passive, struct sockaddr_storage *ss,
                           socklen_t *len)
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
    return -EINVAL;
}

/* Registers a descriptor this layer created (a fresh number: any earlier
 * registration of the number is replaced). Without a running runtime the
 * descriptor is registered on its first wait instead. */
static int adopt(int fd, bool stream)
{
    if (!rta__io_state.be)
        return fd;
    rta__iofd *f = rta__iofd_get(fd, true);
    if (!f)
        return fd;
    rta__fdlock_lock(&f->lock);
    if (f->registered) {
        /* Closed with close(2) behind our back: start a new generation
         * (io_uring still watches the old file: let it go). */
        rta__io_state.be->unwatch(f);
        f->registered = false;
        f->gen++;
    }
    rta__iofd_reset_rd(f, stream);
    int rc = rta__iofd_register_locked(f);
    rta__fdlock_unlock(&f->lock);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

static int bound_socket(const char *host, int port, int type, struct sockaddr_storage *ss, socklen_t *len)
{
    int rc = resolve(host, port, type, true, ss, len, -1);
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
    return adopt(fd, false);
}

int rta_udp_bind(const char *host, int port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = bound_socket(host, port, SOCK_DGRAM, &ss, &len);
    return fd < 0 ? fd : adopt(fd, false);
}

int rta__sock_family(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    return getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ? AF_UNSPEC : ss.ss_family;
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

int rta__accept_try(int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == ECONNABORTED)
            errno = EINTR; /* that connection is gone: the next may be there */
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd = adopt(fd, true);
    if (fd < 0) {
        errno = -fd;
        return -1;
    }
    return fd;
}

int rta_tcp_accept(int lfd, rta_deadline d)
{
    int prc = rta__iofd_prepare(lfd);
    if (prc < 0)
        return prc;
    for (;;) {
        int fd = rta__accept_try(lfd);
        if (fd >= 0)
            return fd;
        int rc = rta__io_again(lfd, RTA__IO_ACCEPT, d);
        if (rc < 0)
            return rc;
    }
}

int rta__connect_start(const struct sockaddr_storage *ss, socklen_t len, int *fdp)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd = adopt(fd, true);
    if (fd < 0)
        return fd;
    *fdp = fd;
    if (connect(fd, (const struct sockaddr *)ss, len) == 0)
        return 0;
    if (errno == EINPROGRESS)
        return 1;
    int rc = -errno;
    rta_close(fd);
    return rc;
}

int rta__connect_end(int fd, int waited)
{
    int rc = waited;
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

/* One attempt at one address. */
static int connect_one(const struct sockaddr_storage *ss, socklen_t len, rta_deadline d)
{
    int fd;
    int rc = rta__connect_start(ss, len, &fd);
    if (rc <= 0)
        return rc < 0 ? rc : fd;
    return rta__connect_end(fd, rta__io_wait(fd, RTA__IO_CONNECT, d));
}

int rta_tcp_connect(const char *host, int port, rta_deadline d)
{
    rta__addrs a;
    int n = resolve_all(host, port, SOCK_STREAM, false, &a, -1);
    if (n < 0)
        return n;
    /* Each address in turn ("localhost" may give ::1 before 127.0.0.1); a
     * deadline, a cancel or a closed runtime ends the attempts. */
    int rc = -ECONNREFUSED;
    for (int i = 0; i < n; i++) {
        rc = connect_one(&a.ss[i], a.len[i], d);
        if (rta__connect_final(rc))
            break;
    }
    return rc;
}

ssize_t rta_read(int fd, void *buf, size_t n, rta_deadline d)
{
    int prc = rta__iofd_prepare(fd);
    if (prc < 0)
        return prc;
    for (;;) {
        ssize_t r = rta__io_recv(fd, buf, n);
        if (r >= 0)
            return r;
        int rc = rta__io_again(fd, RTA__IO_RD, d);
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
        ssize_t r = rta__io_send(fd, p + done, n - done, &sock);
        if (r >= 0) {
            done += (size_t)r;
            continue;
        }
        int rc = rta__io_again(fd, RTA__IO_WR, d);
        if (rc < 0)
            return rc;
    }
    return (ssize_t)n;
}

ssize_t rta__io_send(int fd, const void *p, size_t n, bool *sock)
{
    if (*sock) {
        ssize_t r = rta__sys_send(fd, p, n, MSG_NOSIGNAL);
        if (r >= 0 || errno != ENOTSOCK)
            return r;
        *sock = false;
    }
    return write(fd, p, n);
}

ssize_t rta_sendto(int fd, const void *buf, size_t n, const char *host, int port, rta_deadline d)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int rc = resolve(host, port, SOCK_DGRAM, false, &ss, &len, fd);
    if (rc < 0 || (rc = rta__iofd_prepare(fd)) < 0)
        return rc;
    for (;;) {
        ssize_t r = sendto(fd, buf, n, MSG_NOSIGNAL, (struct sockaddr *)&ss, len);
        if (r >= 0)
            return r;
        if ((rc = rta__io_again(fd, RTA__IO_SENDTO, d)) < 0)
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
        int rc = rta__io_again(fd, RTA__IO_RECVFROM, d);
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
