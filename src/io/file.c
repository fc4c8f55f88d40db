/*
 * Files: rta_open, rta_pread, rta_pwrite. A regular file is always "ready"
 * for epoll, and its reads and writes block in the page cache or on the
 * disk, so no worker may make them. With io_uring, rta_pread / rta_pwrite
 * (and their cont/async1 forms) are submitted to the ring as read / write
 * operations (rta__fileop below, uring.c); with epoll, and for rta_open,
 * they run on the blocking pool (pool.c). The buffer may be on the calling
 * tasklet's stack: the task's frames stay in place (rta__resident_pin)
 * until the kernel or the pool thread is done with it, since a stack region
 * can hold another task's frames once its tasklet is copied out.
 */
#include "io.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

/* ---- file operations through the backend (io_uring) ------------------------
 * Records are named by a slot number (key) in the backend's completions
 * and cancels. A slot is held until the record is freed, which its waiter
 * does once resumed and disarmed, so a cancel issued late (the hook ran
 * after the completion) names no other operation. A full table (that many
 * operations in flight) sends the call to the pool. */
#define FILEOP_SLOTS 4096
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
/* Allocated at the first operation (a program without files keeps none),
 * kept until exit: an operation of one runtime never outlives it. */
static struct {
    rta__fileop *rec[FILEOP_SLOTS];
    uint32_t free_keys[FILEOP_SLOTS];
} * slots;
static uint32_t nfree, next_unused;
_Atomic uint64_t rta__fileops_submitted;

static rta__fileop *fileop_new(int fd, bool write, void *buf, size_t n, int64_t off)
{
    rta__fileop *x = malloc(sizeof *x);
    if (!x)
        return NULL;
    /* Filled before it is published under slot_lock: the poller finds it
     * through rta__fileop_of (the same lock), so its write of res comes
     * after these (the kernel's ordering, which TSan cannot see, is not
     * relied on). */
    x->fd = fd;
    x->write = write;
    x->buf = buf;
    x->n = n;
    x->off = off;
    x->res = 0;
    rta__meet_init(&x->meet);
    x->scope = NULL;
    pthread_mutex_lock(&slot_lock);
    uint32_t k = UINT32_MAX;
    if (!slots)
        slots = calloc(1, sizeof *slots);
    if (slots && nfree)
        k = slots->free_keys[--nfree];
    else if (slots && next_unused < FILEOP_SLOTS)
        k = next_unused++;
    if (k != UINT32_MAX) {
        x->key = k;
        slots->rec[k] = x;
    }
    pthread_mutex_unlock(&slot_lock);
    if (k == UINT32_MAX) {
        free(x);
        return NULL;
    }
    return x;
}

static void fileop_free(rta__fileop *x)
{
    pthread_mutex_lock(&slot_lock);
    slots->rec[x->key] = NULL;
    slots->free_keys[nfree++] = x->key;
    pthread_mutex_unlock(&slot_lock);
    free(x);
}

rta__fileop *rta__fileop_of(uint32_t key)
{
    pthread_mutex_lock(&slot_lock);
    rta__fileop *x = slots && key < FILEOP_SLOTS ? slots->rec[key] : NULL;
    pthread_mutex_unlock(&slot_lock);
    return x;
}

/* rta_shutdown: asks the kernel to end every operation in flight, as the
 * descriptors' waits are ended (a read of a pipe might never complete).
 * Each still completes, -ECANCELED where it was withdrawn, and its task
 * resumes with that. Under slot_lock no record can be freed meanwhile. */
void rta__fileops_cancel_all(void)
{
    const rta__io_backend *be = rta__io_state.be;
    if (!be || !be->file_cancel)
        return;
    pthread_mutex_lock(&slot_lock);
    for (uint32_t k = 0; slots && k < next_unused; k++)
        if (slots->rec[k])
            be->file_cancel(slots->rec[k]);
    pthread_mutex_unlock(&slot_lock);
}

void rta__fileop_done(rta__fileop *x, int res)
{
    x->res = res;
    rta__meet_arrive(&x->meet);
}

static void fileop_cancel(rta__cancel_hook *h)
{
    rta__io_state.be->file_cancel(rta__container_of(h, rta__fileop, hook.h));
}

static bool fileop_is_completed(void *self)
{
    return rta__meet_completed(&((rta__fileop *)self)->meet);
}

/* x->scope is NULL for a tasklet, whose hook is armed and disarmed around
 * the await (stackful.h); a cont/async1 task's is armed here. */
static void fileop_on_completed(void *self, rta_waiter *w)
{
    rta__fileop *x = self;
    rta__meet_register(&x->meet, w, x->scope, &x->hook);
}

static int64_t fileop_get_result(void *self)
{
    return ((rta__fileop *)self)->res;
}

static const rta_awaiter_ops fileop_tasklet_ops = {
    .is_completed = fileop_is_completed,
    .on_completed = fileop_on_completed,
    .unsafe_on_completed = fileop_on_completed,
    .get_result = fileop_get_result,
};

/* Frames that suspend by returning: the hook comes off, and the record is
 * freed, with the result. */
static int64_t fileop_take_result(void *self)
{
    rta__fileop *x = self;
    if (x->scope)
        rta__scope_disarm(x->scope, &x->hook);
    int64_t r = x->res;
    fileop_free(x);
    return r;
}

const rta_awaiter_ops rta__fileop_ops = {
    .is_completed = fileop_is_completed,
    .on_completed = fileop_on_completed,
    .unsafe_on_completed = fileop_on_completed,
    .get_result = fileop_take_result,
};

/* A record for one operation, submitted: NULL when the backend has none,
 * the table is full or the submission failed. */
static rta__fileop *fileop_submit(int fd, bool write, void *buf, size_t n, int64_t off)
{
    const rta__io_backend *be = rta__io_state.be;
    if (!be || !be->file_submit)
        return NULL;
    rta__fileop *x = fileop_new(fd, write, buf, n, off);
    if (!x)
        return NULL;
    x->hook.h.fn = fileop_cancel; /* read by a canceller only once armed (under its lock) */
    if (be->file_submit(x) < 0) {
        fileop_free(x);
        return NULL;
    }
    atomic_fetch_add_explicit(&rta__fileops_submitted, 1, memory_order_relaxed);
    return x;
}

rta__fileop *rta__fileop_begin(int fd, bool write, void *buf, size_t n, int64_t off)
{
    /* A plain thread: the pool's path runs the call right there. A task
     * with a cancel request: the pool's path answers -ECANCELED at once,
     * nothing is submitted (a later call of a cancelled task touches no
     * file, as for every other wait). */
    if (!rta__cur_worker() || rta__cancel_pending())
        return NULL;
    rta__fileop *x = fileop_submit(fd, write, buf, n, off);
    if (x)
        x->scope = rta__scope_current();
    return x;
}

/* A tasklet's rta_pread / rta_pwrite through the backend: 1 with *out the
 * call's result, 0 when the backend offers none (then nothing was done).
 * pwrite goes on after a short write; a cancel request ends the call with
 * -ECANCELED once the operation in flight completed (withdrawn if the
 * kernel still can), as the pool's jobs do. */
static int tasklet_fileop(int fd, bool write, void *buf, size_t n, int64_t off, int64_t *out)
{
    if (rta__cancel_pending()) {
        *out = -ECANCELED;
        return 1;
    }
    size_t done = 0;
    int64_t r = 0;
    rta__resident_pin(); /* the kernel writes into buf, maybe on this stack */
    for (;;) {
        rta__fileop *x = fileop_submit(fd, write, (char *)buf + done, n - done, off + (int64_t)done);
        if (!x) {
            if (done == 0) {
                rta__resident_unpin();
                return 0;
            }
            /* The rest of a write through the pool (pinned: nested). */
            rta__file_op o = {.fd = fd, .buf = (char *)buf + done, .n = n - done, .off = off + (int64_t)done};
            int64_t ran;
            r = rta__run_blocking(rta__pwrite_job, &o, &ran);
            r = r < 0 ? r : (int64_t)n;
            break;
        }
        if (!rta__cancel_arm(&x->hook.h))
            fileop_cancel(&x->hook.h);
        r = rta_await_awaiter_cfg(&fileop_tasklet_ops, x, true);
        rta__cancel_disarm();
        fileop_free(x);
        if (rta__cancel_pending()) {
            r = -ECANCELED;
            break;
        }
        r = rta__fileop_next(write, n, &done, r);
        if (r != RTA__FILEOP_AGAIN)
            break;
    }
    rta__resident_unpin();
    *out = r;
    return 1;
}

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
    if (rta__file_refused())
        return -ECANCELED; /* opening a FIFO waits for its writer */
    rta__file_op o = {.path = path, .flags = flags, .mode = mode};
    int64_t ran;
    int64_t r = rta__run_blocking(rta__open_job, &o, &ran);
    if (r == -ECANCELED && ran >= 0)
        close((int)ran); /* opened, but the task was cancelled meanwhile */
    return (int)r;
}

/* A task's open, pread or pwrite after rta_shutdown began ends with
 * -ECANCELED at once, touching no file, as its socket waits do (wait.c): shutdown waits
 * for every task, and a read of a pipe that nobody writes (a ring read, or a
 * pool thread in pread(2)) would hold it forever. Operations in flight then
 * are cancelled by rta__io_shutdown_begin. A plain thread's call runs right
 * there, as always. */
bool rta__file_refused(void)
{
    return rta__cur_worker() && atomic_load(&rta__io_state.stopping);
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
    if (rta__file_refused())
        return -ECANCELED;
    bool write = job == rta__pwrite_job;
    int64_t r;
    if (rta__tls_state.stackful && rta__io_state.be && rta__io_state.be->file_submit && (n || !write) &&
        tasklet_fileop(fd, write, buf, n, off, &r))
        return (ssize_t)r;
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
