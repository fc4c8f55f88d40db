/*
 * Helpers of the semantics suite: a sync context and a scheduler that count
 * what they are handed and run it through a queue that a thread of the test
 * drains (the UI-thread pattern), and a way to wait for a task while
 * draining.
 */
#ifndef RTA_TEST_SEM_H
#define RTA_TEST_SEM_H

#include <rta.h>

#include <pthread.h>
#include <stdatomic.h>

#include "check.h"
#include "testutil.h"
#include "core/internal.h" /* resolvers look at a promise's waiter list */

typedef struct sem_item {
    struct sem_item *next;
    void (*fn)(void *);
    void *arg;
} sem_item;

/* A queue of callbacks plus counters; used as both kinds of context. */
typedef struct sem_queue {
    rta_sync_ctx ctx;    /* ctx.data = this */
    rta_scheduler sched; /* sched.data = this */
    pthread_mutex_t lock;
    sem_item *head, **tail;
    _Atomic int posted; /* handed over through post or queue */
    _Atomic int ran;    /* run by a drain */
} sem_queue;

static inline void sem_push(sem_queue *q, void (*fn)(void *), void *arg)
{
    sem_item *it = malloc(sizeof *it);
    CHECK(it);
    it->next = NULL;
    it->fn = fn;
    it->arg = arg;
    pthread_mutex_lock(&q->lock);
    *q->tail = it;
    q->tail = &it->next;
    pthread_mutex_unlock(&q->lock);
    atomic_fetch_add(&q->posted, 1);
}

static inline void sem_post(rta_sync_ctx *c, void (*fn)(void *), void *arg)
{
    sem_push(c->data, fn, arg);
}

static inline void sem_queue_cb(rta_scheduler *s, void (*fn)(void *), void *arg)
{
    sem_push(s->data, fn, arg);
}

static inline void sem_init(sem_queue *q)
{
    q->ctx.post = sem_post;
    q->ctx.data = q;
    q->sched.queue = sem_queue_cb;
    q->sched.data = q;
    pthread_mutex_init(&q->lock, NULL);
    q->head = NULL;
    q->tail = &q->head;
    atomic_init(&q->posted, 0);
    atomic_init(&q->ran, 0);
}

/* Runs everything queued so far; returns how many. */
static inline int sem_drain(sem_queue *q)
{
    pthread_mutex_lock(&q->lock);
    sem_item *it = q->head;
    q->head = NULL;
    q->tail = &q->head;
    pthread_mutex_unlock(&q->lock);
    int n = 0;
    while (it) {
        sem_item *next = it->next;
        it->fn(it->arg);
        free(it);
        atomic_fetch_add(&q->ran, 1);
        n++;
        it = next;
    }
    return n;
}

static inline void sem_fini(sem_queue *q)
{
    CHECK_EQ(sem_drain(q), 0);
    pthread_mutex_destroy(&q->lock);
}

/* Non-async code: waits for t while draining the queues (NULL entries
 * allowed), as the thread that owns a sync context would. Returns t's value;
 * a fault aborts with the error's message. */
static inline int64_t sem_wait(rta_task *t, sem_queue *a, sem_queue *b)
{
    while (rta_task_status(t) == RTA_PENDING) {
        int n = (a ? sem_drain(a) : 0) + (b ? sem_drain(b) : 0);
        if (!n)
            test_sleep_ms(1);
    }
    if (a)
        sem_drain(a);
    if (b)
        sem_drain(b);
    rta_error *e = NULL;
    int64_t v = rta_task_wait(t, &e);
    if (e) {
        fprintf(stderr, "task failed: %s\n", rta_error_message(e));
        abort();
    }
    return v;
}

static inline void sem_start(unsigned workers)
{
    rta_config cfg = {.workers = workers};
    CHECK_OK(rta_init(&cfg));
}

/* From async code: waits until someone has registered on p (the awaiter
 * has suspended on it). Resolvers call this instead of sleeping a fixed time,
 * which was not enough under valgrind on a loaded machine: an await that
 * finds the promise complete posts nothing, and the counts would be off.
 * Configure-await false: the resolver's own sleeps stay out of the counts. */
static inline void sem_wait_awaited(rta_task *p)
{
    for (int i = 0; atomic_load(&p->waiters) == NULL; i++) {
        CHECK(i < 60000); /* a minute: the awaiter never came */
        rta_sleep_ms_cfg(1, false);
    }
}

#endif
