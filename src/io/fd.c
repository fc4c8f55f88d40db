/*
 * The descriptor table: one rta__iofd per descriptor number, in chunks of
 * CHUNK entries allocated on first use and kept until shutdown, so that a
 * pointer to an entry stays valid across close and reuse of the number (an
 * epoll event or a timer that races with rta_close locks valid memory; the
 * generation in the event says whether it is still meant for this entry).
 */
#include "io.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHUNK RTA__IOFD_CHUNK
#define NCHUNKS RTA__IOFD_NCHUNKS

_Atomic(rta__iofd *) rta__iofd_chunks[NCHUNKS];
static pthread_mutex_t chunk_lock = PTHREAD_MUTEX_INITIALIZER;

/* rta__iofd_get's first use of a chunk (io.h): allocates it. */
rta__iofd *rta__iofd_get_slow(int fd, bool create)
{
    if (fd < 0 || fd >= CHUNK * NCHUNKS || !create)
        return NULL;
    unsigned c = (unsigned)fd / CHUNK;
    pthread_mutex_lock(&chunk_lock);
    rta__iofd *chunk = atomic_load_explicit(&rta__iofd_chunks[c], memory_order_relaxed);
    if (!chunk) {
        chunk = calloc(CHUNK, sizeof *chunk);
        if (chunk) {
            for (int i = 0; i < CHUNK; i++) {
                chunk[i].fd = (int)c * CHUNK + i;
            }
            atomic_store_explicit(&rta__iofd_chunks[c], chunk, memory_order_release);
        }
    }
    pthread_mutex_unlock(&chunk_lock);
    return chunk ? &chunk[(unsigned)fd % CHUNK] : NULL;
}

/* fdlock.h's slow paths: a short spin (the holder is on another CPU for a
 * few instructions), then mark the word contended and sleep on it. */
void rta__fdlock_wait(rta__fdlock *l)
{
    for (int i = 0; i < 64; i++) {
        rta__cpu_relax();
        uint32_t free_ = 0;
        if (atomic_load_explicit(&l->s, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(&l->s, &free_, 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return;
    }
    while (atomic_exchange_explicit(&l->s, 2, memory_order_acquire) != 0)
        syscall(SYS_futex, &l->s, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
}

void rta__fdlock_wake(rta__fdlock *l)
{
    syscall(SYS_futex, &l->s, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

int rta__iofd_register_locked(rta__iofd *f)
{
    if (f->registered)
        return 0;
    int fl = fcntl(f->fd, F_GETFL);
    if (fl < 0)
        return -errno;
    if (!(fl & O_NONBLOCK) && fcntl(f->fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    int rc = rta__io_state.be->watch(f);
    if (rc < 0)
        return rc;
    if (!atomic_load_explicit(&rta__io_state.watched, memory_order_relaxed))
        atomic_store_explicit(&rta__io_state.watched, 1, memory_order_relaxed);
    f->registered = true;
    atomic_store_explicit(&f->op[0].ready, false, memory_order_relaxed);
    atomic_store_explicit(&f->op[1].ready, false, memory_order_relaxed);
    return 0;
}

/* rta__iofd_prepare (io.h) when the descriptor is not registered yet. */
int rta__iofd_prepare_slow(int fd)
{
    if (!rta__io_state.be)
        return 0; /* no runtime: plain blocking calls */
    rta__iofd *f = rta__iofd_get(fd, true);
    if (!f)
        return fd < 0 ? -EBADF : 0;
    if (rta__likely(atomic_load_explicit(&f->registered, memory_order_relaxed)))
        return 0;
    rta__fdlock_lock(&f->lock);
    int rc = rta__iofd_register_locked(f);
    rta__fdlock_unlock(&f->lock);
    return rc == -EPERM ? 0 : rc;
}

/* Takes f's waits out with `result`; runs their waiters after unlocking. */
void rta__iofd_end_waits(rta__iofd *f, int result, bool close_fd, int *close_rc)
{
    rta__iowait *ended[2] = {NULL, NULL};
    rta__fdlock_lock(&f->lock);
    for (int d = 0; d < 2; d++) {
        ended[d] = f->op[d].wait;
        f->op[d].wait = NULL;
        atomic_store_explicit(&f->op[d].ready, false, memory_order_relaxed);
        if (ended[d])
            ended[d]->result = result;
    }
    if (close_fd) {
        if (f->registered && rta__io_state.be)
            rta__io_state.be->unwatch(f);
        f->registered = false;
        f->gen++;
        rta__iofd_reset_rd(f, false);
        /* Closed under the lock: the number cannot be handed out again (and
         * registered under the new generation) before this entry is reset. */
        *close_rc = close(f->fd) < 0 ? -errno : 0;
    }
    rta__fdlock_unlock(&f->lock);
    for (int d = 0; d < 2; d++)
        if (ended[d])
            ended[d]->waiter->fn(ended[d]->waiter);
}

void rta__iofd_reset_rd(rta__iofd *f, bool stream)
{
    f->stream = stream;
    atomic_store_explicit(&f->rd_eof, false, memory_order_relaxed);
    atomic_store_explicit(&f->rd_drained, 0, memory_order_relaxed);
}

void rta__iofd_event(int fd, uint32_t gen, bool rd, bool wr, bool eof)
{
    rta__iofd *f = rta__iofd_get(fd, false);
    if (!f)
        return;
    rta__iowait *ended[2] = {NULL, NULL};
    bool want[2] = {rd, wr};
    rta__fdlock_lock(&f->lock);
    if (f->gen == gen && f->registered) {
        if (eof)
            atomic_store_explicit(&f->rd_eof, true, memory_order_relaxed);
        if (rd) /* release: a reader that sees the count sees rd_eof too */
            atomic_fetch_add_explicit(&f->rd_edges, 1, memory_order_release);
        for (int d = 0; d < 2; d++) {
            if (!want[d])
                continue;
            if (f->op[d].wait) {
                ended[d] = f->op[d].wait;
                f->op[d].wait = NULL;
                ended[d]->result = 0;
            } else {
                atomic_store_explicit(&f->op[d].ready, true, memory_order_relaxed);
            }
        }
    }
    rta__fdlock_unlock(&f->lock);
    for (int d = 0; d < 2; d++)
        if (ended[d])
            ended[d]->waiter->fn(ended[d]->waiter);
}

/* Shutdown: every pending wait ends with -ECANCELED (a task blocked in
 * accept forever would otherwise keep rta_shutdown waiting forever). */
void rta__iofd_cancel_all(void)
{
    for (unsigned c = 0; c < NCHUNKS; c++) {
        rta__iofd *chunk = atomic_load_explicit(&rta__iofd_chunks[c], memory_order_acquire);
        if (!chunk)
            continue;
        for (int i = 0; i < CHUNK; i++)
            rta__iofd_end_waits(&chunk[i], -ECANCELED, false, NULL);
    }
}

/* After the workers stopped: forget every registration (the descriptors
 * themselves belong to the program). */
void rta__iofd_table_free(void)
{
    for (unsigned c = 0; c < NCHUNKS; c++) {
        rta__iofd *chunk = atomic_load_explicit(&rta__iofd_chunks[c], memory_order_relaxed);
        if (!chunk)
            continue;
        free(chunk);
        atomic_store_explicit(&rta__iofd_chunks[c], NULL, memory_order_relaxed);
    }
}
