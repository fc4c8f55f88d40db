/*
 * Files: rta_open, rta_pread, rta_pwrite. A regular file is always "ready"
 * for epoll, and its reads and writes block in the page cache or on the
 * disk: they run on the blocking pool (pool.c), so no worker waits for a
 * disk. The buffer may be on the calling task's stack: the pool keeps the
 * task's frames in place until the job ends (rta__resident_pin).
 */
#include "io.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

int64_t rta__open_job(void *arg)
{
    rta__file_op *o = arg;
    int fd;
    do
        fd = open(o->path, o->flags | O_CLOEXEC, o->mode);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

int64_t rta__pread_job(void *arg)
{
    rta__file_op *o = arg;
    for (;;) {
        ssize_t r = pread(o->fd, o->buf, o->n, (off_t)o->off);
        if (r >= 0)
            return r;
        if (errno != EINTR)
            return -errno;
    }
}

int64_t rta__pwrite_job(void *arg)
{
    rta__file_op *o = arg;
    const char *p = o->buf;
    size_t done = 0;
    while (done < o->n) {
        ssize_t r = pwrite(o->fd, p + done, o->n - done, (off_t)(o->off + (int64_t)done));
        if (r > 0)
            done += (size_t)r;
        else if (r == 0)
            return -EIO; /* no progress: never spin */
        else if (errno != EINTR)
            return -errno;
    }
    return (int64_t)done;
}

int rta_open(const char *path, int flags, int mode)
{
    if (!path)
        return -EFAULT;
    rta__file_op o = {.path = path, .flags = flags, .mode = mode};
    int64_t ran;
    int64_t r = rta__run_blocking(rta__open_job, &o, &ran);
    if (r == -ECANCELED && ran >= 0)
        close((int)ran); /* opened, but the task was cancelled meanwhile */
    return (int)r;
}

int rta__file_check(int fd, const void *buf, size_t n, int64_t off)
{
    if (fd < 0)
        return -EBADF;
    if (off < 0 || n > (size_t)SSIZE_MAX)
        return -EINVAL;
    if (!buf && n)
        return -EFAULT;
    return 0;
}

static ssize_t file_io(int64_t (*job)(void *), int fd, void *buf, size_t n, int64_t off)
{
    int rc = rta__file_check(fd, buf, n, off);
    if (rc < 0)
        return rc;
    rta__file_op o = {.fd = fd, .buf = buf, .n = n, .off = off};
    int64_t ran;
    return (ssize_t)rta__run_blocking(job, &o, &ran);
}

ssize_t rta_pread(int fd, void *buf, size_t n, int64_t off)
{
    return file_io(rta__pread_job, fd, buf, n, off);
}

ssize_t rta_pwrite(int fd, const void *buf, size_t n, int64_t off)
{
    return file_io(rta__pwrite_job, fd, (void *)(uintptr_t)buf, n, off);
}
