/*
 * Task groups (structured concurrency, as Trio's nurseries or Go's errgroup).
 *
 * A group holds a reference to every child it spawned and counts the live
 * ones. Each child has a node whose waiter runs when the child completes
 * (any thread): the first child to fault or be cancelled becomes the
 * group's failure and cancels the others; the last one wakes the waiter of
 * rta_group_wait (a task) or the condition (a plain thread).
 *
 * Locks: g->lock, then a child's cancel slot (rta_task_cancel runs the
 * child's hook under it), then whatever that hook takes. Nothing takes
 * g->lock while holding a child's slot: completion waiters run outside them.
 * rta_group_wait's own cancel hook (cancelling the owner cancels the group)
 * takes g->lock under the owner's slot; the owner is never a child of g.
 *
 * rta_group_free with children still running cancels them and leaves the
 * free to the last one (said on stderr: waiting first is the rule).
 */
#include "io.h"

#include <stdarg.h>
#include <string.h>

typedef struct group_node {
    rta_waiter w;
    rta_group *g;
    rta_task *t;
} group_node;

struct rta_group {
    pthread_mutex_t lock;
    pthread_cond_t done; /* live reached 0 (plain-thread waiters) */
    group_node **nodes;
    size_t n, cap, live;
    rta_error *failure;   /* the first child that faulted or was cancelled */
    bool canceled;        /* rta_group_cancel, a failure, or the owner's cancel */
    bool orphaned;        /* freed while children ran: the last one frees */
    rta_waiter *waiter;   /* the task in rta_group_wait */
    rta__scope_hook hook; /* the owner's cancel cancels the group (.h with a tasklet) */
    /* The waiting cont/async1 task's scope the hook is armed on (the wait
     * forms below), NULL otherwise. */
    rta__cancel_scope *owner;
};

/* g->lock held. */
static void cancel_children_locked(rta_group *g)
{
    g->canceled = true;
    for (size_t i = 0; i < g->n; i++)
        rta_task_cancel(g->nodes[i]->t); /* false for the finished: fine */
}

static void group_destroy(rta_group *g)
{
    for (size_t i = 0; i < g->n; i++) {
        rta_task_release(g->nodes[i]->t);
        free(g->nodes[i]);
    }
    free(g->nodes);
    rta_error_free(g->failure);
    pthread_cond_destroy(&g->done);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

static void child_done(rta_waiter *w)
{
    group_node *n = rta__container_of(w, group_node, w);
    rta_group *g = n->g;
    rta_status st = rta_task_status(n->t);
    pthread_mutex_lock(&g->lock);
    if ((st == RTA_FAULTED || st == RTA_CANCELED) && !g->failure) {
        const rta_error *e = st == RTA_FAULTED ? rta_task_error(n->t) : NULL;
        g->failure = e ? rta_error_copy(e)
                       : rta_error_new(-ECANCELED, "rta_group_wait: child task %llu was canceled",
                                       (unsigned long long)rta_task_id(n->t));
        if (!g->failure)
            g->failure = rta_error_new(-ENOMEM, "rta_group_wait: out of memory");
        cancel_children_locked(g); /* fail fast */
    }
    rta_waiter *wake = NULL;
    bool destroy = false;
    if (--g->live == 0) {
        wake = g->waiter;
        g->waiter = NULL;
        pthread_cond_broadcast(&g->done);
        destroy = g->orphaned;
    }
    pthread_mutex_unlock(&g->lock);
    if (destroy)
        group_destroy(g);
    else if (wake)
        wake->fn(wake);
}

rta_group *rta_group_new(void)
{
    rta_group *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->done, NULL);
    return g;
}

/* Adds t (the caller's reference becomes the group's) under g->lock held:
 * false, with errno, when it cannot (t is then the caller's still). */
static bool add_locked(rta_group *g, rta_task *t, group_node *n)
{
    if (g->orphaned) {
        fprintf(stderr, "rtasync: rta_group_spawn: the group was freed\n");
        errno = EINVAL;
        return false;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        group_node **nodes = realloc(g->nodes, cap * sizeof *nodes);
        if (!nodes) {
            errno = ENOMEM;
            return false;
        }
        g->nodes = nodes;
        g->cap = cap;
    }
    *n = (group_node){.w.fn = child_done, .g = g, .t = t};
    g->nodes[g->n++] = n;
    g->live++;
    if (g->canceled)
        rta_task_cancel(t); /* a cancelled group's new children start cancelled */
    return true;
}

static rta_task *watch_child(group_node *n)
{
    rta_task *t = n->t;
    if (!rta_task_on_complete(t, &n->w))
        child_done(&n->w);
    return t;
}

rta_task *rta_group_spawn(rta_group *g, rta_fn fn, void *arg)
{
    if (!g || !fn) {
        fprintf(stderr, "rtasync: rta_group_spawn: %s is NULL\n", g ? "fn" : "the group");
        errno = EINVAL;
        return NULL;
    }
    group_node *n = malloc(sizeof *n);
    if (!n) {
        errno = ENOMEM;
        return NULL;
    }
    /* Spawned under the lock: a concurrent rta_group_cancel cancels it
     * before it can start (a tasklet is queued, never run, by rta_spawn). */
    pthread_mutex_lock(&g->lock);
    rta_task *t = NULL;
    if (g->orphaned) {
        fprintf(stderr, "rtasync: rta_group_spawn: the group was freed\n");
        errno = EINVAL;
    } else {
        t = rta_spawn(fn, arg); /* errno set on failure */
    }
    if (t && add_locked(g, t, n)) {
        pthread_mutex_unlock(&g->lock);
        return watch_child(n);
    }
    pthread_mutex_unlock(&g->lock);
    if (t) { /* no room for it in the group: cancelled, the reference dropped */
        rta_task_cancel(t);
        rta_task_release(t);
    }
    free(n);
    return NULL;
}

/* rtac's rta_group_spawn of a cont or async1 task (rta/io.h): the task is
 * started by the caller (an async1 method runs until its first suspension
 * right there: not under g->lock, which its code may take), then joins the
 * group, cancelled at once if the group is. */
rta_task *rta__group_adopt(rta_group *g, rta_task *t)
{
    if (!t)
        return NULL; /* the spawn's errno */
    group_node *n = g ? malloc(sizeof *n) : NULL;
    if (n) {
        pthread_mutex_lock(&g->lock);
        bool ok = add_locked(g, t, n);
        pthread_mutex_unlock(&g->lock);
        if (ok)
            return watch_child(n);
        free(n);
    } else {
        if (!g)
            fprintf(stderr, "rtasync: rta_group_spawn: the group is NULL\n");
        errno = g ? ENOMEM : EINVAL;
    }
    rta_task_cancel(t);
    rta_task_release(t);
    return NULL;
}

void rta_group_cancel(rta_group *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    cancel_children_locked(g);
    pthread_mutex_unlock(&g->lock);
}

static void owner_cancel(rta__cancel_hook *h)
{
    rta_group_cancel(rta__container_of(h, rta_group, hook.h));
}

static bool group_is_completed(void *self)
{
    rta_group *g = self;
    pthread_mutex_lock(&g->lock);
    bool done = g->live == 0;
    pthread_mutex_unlock(&g->lock);
    return done;
}

static void group_on_completed(void *self, rta_waiter *w)
{
    rta_group *g = self;
    pthread_mutex_lock(&g->lock);
    bool now = g->live == 0;
    if (!now)
        g->waiter = w;
    pthread_mutex_unlock(&g->lock);
    if (now)
        w->fn(w);
}

static int64_t group_get_result(void *self)
{
    (void)self;
    return 0;
}

static const rta_awaiter_ops group_ops = {
    .is_completed = group_is_completed,
    .on_completed = group_on_completed,
    .unsafe_on_completed = group_on_completed,
    .get_result = group_get_result,
};

int64_t rta_group_wait(rta_group *g)
{
    if (!g) {
        if (rta__tls_state.stackful)
            rta_throw(-EINVAL, "rta_group_wait: the group is NULL");
        fprintf(stderr, "rtasync: rta_group_wait: the group is NULL\n");
        return -EINVAL;
    }
    if (!rta__tls_state.stackful) {
        if (rta__tls_state.worker)
            return -ENOTSUP; /* cont/async1 on a worker: no wait form yet */
        /* A plain thread blocks; the failure comes back as -errno. */
        pthread_mutex_lock(&g->lock);
        while (g->live)
            pthread_cond_wait(&g->done, &g->lock);
        int64_t r = g->failure ? rta_error_code(g->failure) : 0;
        pthread_mutex_unlock(&g->lock);
        return r;
    }
    /* Every child ends before the wait does, even when the owner is
     * cancelled (the hook cancels them, and the wait goes on). */
    g->hook.h.fn = owner_cancel;
    bool armed = rta__cancel_arm(&g->hook.h);
    if (!armed)
        rta_group_cancel(g);
    pthread_mutex_lock(&g->lock);
    size_t live = g->live; /* for the task dump: the group may be gone when it reads */
    pthread_mutex_unlock(&g->lock);
    rta__reg_hint_wait(g, RTA__REG_WAIT_GROUP, NULL, live > INT32_MAX ? INT32_MAX : (int32_t)live,
                       RTA__REG_NO_DUE, 0);
    rta_await_awaiter_cfg(&group_ops, g, true);
    if (armed)
        rta__cancel_disarm();
    pthread_mutex_lock(&g->lock);
    rta_error *e = g->failure ? rta_error_copy(g->failure) : NULL;
    pthread_mutex_unlock(&g->lock);
    if (e)
        rta_throw_error(e);
    if (rta__cancel_requested(rta__cancel_current()))
        rta_throw(-ECANCELED, "rta_group_wait: the waiting task was canceled");
    return 0;
}

/* ---- the wait of cont and async1 code --------------------------------------
 * What rtac lowers rta_group_wait to for those engines (rta/io.h), written
 * with their public macros as src/io/cont.c and async1.c are. The owner is
 * the running task's cancel scope: its hook is armed before the suspension
 * (it only cancels children, which is right at any moment) and disarmed
 * once resumed, before the group may be freed. One task waits on a group
 * at a time (rta_group_free refuses a group with a waiter). */

static void owner_arm(rta_group *g)
{
    rta__cancel_scope *s = rta__scope_current();
    g->hook.h.fn = owner_cancel;
    g->owner = s;
    if (s && !rta__scope_arm(s, &g->hook)) {
        g->owner = NULL;
        rta_group_cancel(g); /* a request came first: the wait still lasts until they end */
    }
}

/* After the children ended: 0, or the first failure / the owner's cancel thrown. */
static int64_t owner_end(rta_group *g)
{
    if (g->owner) {
        rta__scope_disarm(g->owner, &g->hook);
        g->owner = NULL;
    }
    pthread_mutex_lock(&g->lock);
    rta_error *e = g->failure ? rta_error_copy(g->failure) : NULL;
    pthread_mutex_unlock(&g->lock);
    if (e)
        rta_throw_error(e);
    if (rta__cancel_pending())
        rta_throw(-ECANCELED, "rta_group_wait: the waiting task was canceled");
    return 0;
}

RTA__CONT_NO_CLOBBERED

static rta_cret rta__group_cont_resume(rta_cont *k);

RTA__CONT_FN_ATTRS rta_cret rta_cont_group_wait(rta_cont *rta__k_, rta_group *g)
{
    RTA__CONT_FRAME_AS(rta__group_cont_resume, "rta_group_wait", rta_group * g; int64_t r;);
    if (!g)
        rta_throw(-EINVAL, "rta_group_wait: the group is NULL");
    F.g = g;
    F.r = 0;
    owner_arm(F.g);
    RTA_CONT_AWAIT_CFG(F.r, &group_ops, F.g, true);
    RTA_CONT_RETURN(owner_end(F.g));
}

static RTA_NOINLINE rta_cret rta__group_cont_resume(rta_cont *k)
{
    return rta_cont_group_wait(k, NULL);
}

typedef struct group_wait_sm {
    rta_async1_sm hdr;
    rta_group *g;
    int64_t r;
} group_wait_sm;

RTA_ASYNC1_METHOD(rta_group_wait1, rta_vtask);

static void group_wait_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(rta_group_wait1, group_wait_sm, sm, m);
    if (!sm->g)
        rta_throw(-EINVAL, "rta_group_wait: the group is NULL");
    owner_arm(sm->g);
    RTA_AWAIT1_CFG(&group_ops, sm->g, sm->r, false); /* library code: the caller's await resumes it */
    RTA_ASYNC1_RETURN(owner_end(sm->g));
    RTA_ASYNC1_END();
}

rta_vtask rta_async1_group_wait(rta_group *g)
{
    group_wait_sm sm;
    sm.g = g;
    sm.r = 0;
    RTA_ASYNC1_START(rta_group_wait1, &sm, group_wait_move_next);
    return RTA_ASYNC1_TASK(rta_group_wait1, &sm);
}

void rta_group_free(rta_group *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    if (g->waiter) {
        pthread_mutex_unlock(&g->lock);
        rta__fatal("rta_group_free: a task is still in rta_group_wait on this group");
    }
    if (g->live) {
        fprintf(stderr,
                "rtasync: rta_group_free: %zu children still running: cancelled; the "
                "group is freed when they end (call rta_group_wait first)\n",
                g->live);
        g->orphaned = true;
        cancel_children_locked(g);
        pthread_mutex_unlock(&g->lock);
        return;
    }
    pthread_mutex_unlock(&g->lock);
    group_destroy(g);
}
