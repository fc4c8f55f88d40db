/* Rule 1, async locals: a callee's change is its async2 caller's; a change
 * behind a thunk (rta_spawn, the async2 entry of a task-returning method, the
 * task entry of an async2 method) is not; values flow into spawned tasks and
 * across every kind of suspension; copy-on-write keeps captured maps intact;
 * destructors run exactly once, when no context can see the value; keys are
 * never confused after a free; concurrent tasks share maps safely. */
#include "sem.h"

static rta_local *L, *L2;
static _Atomic int dtors;

typedef struct val {
    int v;
} val;

static void val_free(void *p)
{
    atomic_fetch_add(&dtors, 1);
    free(p);
}

static val *mk(int v)
{
    val *x = malloc(sizeof *x);
    CHECK(x);
    x->v = v;
    return x;
}

static int cur(rta_local *k)
{
    val *x = rta_local_get(k);
    return x ? x->v : -1;
}

/* ---- a callee's change is visible to its async2 caller ---- */

static TEST_NOINLINE void callee_sets(int v)
{
    rta_yield(); /* the change happens after a suspension inside the callee */
    rta_local_set(L, mk(v));
    KEEP_FRAME();
}

static int64_t t_callee_visible(void *arg)
{
    (void)arg;
    rta_local_set(L, mk(1));
    callee_sets(2);
    CHECK_EQ(cur(L), 2); /* no restore at the async2 boundary */
    rta_sleep_ms(1);
    CHECK_EQ(cur(L), 2); /* and it survives a suspension of the caller */
    rta_local_set(L, NULL);
    CHECK(rta_local_get(L) == NULL);
    return 1;
}

/* ---- nothing flows back out of a spawned task; values flow in ---- */

static int64_t child_changes(void *arg)
{
    CHECK_EQ(cur(L), (int)(intptr_t)arg); /* flowed in */
    rta_local_set(L, mk(99));
    rta_local_set(L2, mk(98));
    rta_yield();
    CHECK_EQ(cur(L), 99);
    return cur(L2);
}

static int64_t t_spawn_isolated(void *arg)
{
    (void)arg;
    rta_local_set(L, mk(5));
    rta_task *c = rta_spawn(child_changes, (void *)(intptr_t)5);
    CHECK(c);
    rta_local_set(L, mk(6)); /* after the spawn: the child keeps 5 (copy-on-write) */
    CHECK_EQ(rta_await(c), 98);
    rta_task_release(c);
    CHECK_EQ(cur(L), 6);
    CHECK(rta_local_get(L2) == NULL);
    rta_local_set(L, NULL);
    return 2;
}

/* ---- nor out of a task-returning implementation called through the async2 entry ---- */

static int64_t a1_body(void *arg)
{
    (void)arg;
    rta_yield();
    return cur(L);
}

/* A task-returning implementation that changes the context synchronously
 * before it returns its task: the async2 -> task thunk must hide that. */
static rta_task *a1_impl(void *arg)
{
    rta_local_set(L, mk(41));
    return rta_spawn(a1_body, arg);
}
static const rta_method a1_method = RTA_METHOD_ASYNC1(a1_impl, 0);

static int64_t a2_impl(void *arg)
{
    (void)arg;
    rta_local_set(L, mk(42));
    return cur(L);
}
static const rta_method a2_method = RTA_METHOD_ASYNC2(a2_impl, 0);

static int64_t t_method_entries(void *arg)
{
    (void)arg;
    rta_local_set(L, mk(7));
    CHECK_EQ(rta_method_call(&a1_method, NULL), 41);      /* its task saw its own change */
    CHECK_EQ(cur(L), 7);                                  /* the thunk restored ours */
    rta_task *t = rta_method_call_task(&a2_method, NULL); /* task -> async2 thunk */
    CHECK(t);
    CHECK_EQ(rta_await(t), 42);
    rta_task_release(t);
    CHECK_EQ(cur(L), 7);
    CHECK_EQ(rta_method_call(&a2_method, NULL), 42); /* direct async2 call */
    CHECK_EQ(cur(L), 42);                            /* ...whose change is ours */
    rta_local_set(L, NULL);
    return 3;
}

/* ---- values survive every kind of suspension, also with evictions ---- */

static int64_t resolver(void *arg)
{
    rta_sleep_ms(1);
    rta_promise_resolve(arg, 3);
    return 0;
}

static int64_t t_across_suspensions(void *arg)
{
    int id = (int)(intptr_t)arg;
    rta_local_set(L, mk(id));
    for (int r = 0; r < 6; r++) {
        switch (r % 3) {
        case 0:
            rta_yield();
            break;
        case 1:
            rta_sleep_ms(1);
            break;
        default: {
            rta_task *p = rta_promise_new();
            rta_task *w = rta_spawn(resolver, p);
            CHECK_EQ(rta_await(p), 3);
            CHECK_EQ(rta_await(w), 0);
            rta_task_release(w);
            rta_task_release(p);
            break;
        }
        }
        CHECK_EQ(cur(L), id);
        rta_local_set(L, mk(id)); /* a fresh map each round */
    }
    return id;
}

/* ---- destructors and copy-on-write ---- */

static int64_t holder(void *arg)
{
    rta_task *gate = arg;
    val *seen = rta_local_get(L);
    CHECK(seen && seen->v == 10);
    rta_await(gate);                 /* the parent replaces its value meanwhile */
    CHECK(rta_local_get(L) == seen); /* still alive and unchanged */
    CHECK_EQ(seen->v, 10);
    return 0;
}

static int64_t t_dtor_timing(void *arg)
{
    (void)arg;
    int base = atomic_load(&dtors);
    rta_local_set(L, mk(10));
    rta_task *gate = rta_promise_new();
    rta_task *h = rta_spawn(holder, gate);
    rta_yield();
    rta_local_set(L, mk(11)); /* 10 is still held by the child's context */
    CHECK_EQ(atomic_load(&dtors), base);
    rta_promise_resolve(gate, 1);
    rta_await(h);
    rta_task_release(h);
    rta_task_release(gate);
    /* the child finished: its context (the last holder of 10) is gone */
    CHECK_EQ(atomic_load(&dtors), base + 1);
    rta_local_set(L, mk(12)); /* replacing 11, held by nobody else: freed now */
    CHECK_EQ(atomic_load(&dtors), base + 2);
    rta_local_set(L, NULL);
    CHECK_EQ(atomic_load(&dtors), base + 3);
    return 4;
}

/* ---- many keys in one map; a freed key's identity is never reused ---- */

static int64_t t_many_keys(void *arg)
{
    (void)arg;
    enum { N = 24 };
    rta_local *k[N];
    for (int i = 0; i < N; i++)
        CHECK((k[i] = rta_local_new(val_free)) != NULL);
    for (int i = 0; i < N; i++) /* set in a scrambled order */
        rta_local_set(k[(i * 7) % N], mk((i * 7) % N));
    for (int i = 0; i < N; i++)
        CHECK_EQ(cur(k[i]), i);
    for (int i = 0; i < N; i += 2)
        rta_local_set(k[i], NULL);
    rta_yield();
    for (int i = 0; i < N; i++)
        CHECK_EQ(cur(k[i]), i % 2 ? i : -1);
    int before = atomic_load(&dtors);
    rta_local_free(k[1]); /* its value stays in the map until the map dies */
    rta_local *fresh = rta_local_new(NULL);
    CHECK(fresh);
    CHECK(rta_local_get(fresh) == NULL);
    rta_local_set(fresh, (void *)&before); /* no dtor: not owned */
    CHECK(rta_local_get(fresh) == &before);
    CHECK_EQ(atomic_load(&dtors), before);
    for (int i = 3; i < N; i += 2)
        rta_local_set(k[i], NULL);
    rta_local_set(fresh, NULL);
    for (int i = 0; i < N; i++)
        if (i != 1)
            rta_local_free(k[i]);
    rta_local_free(fresh);
    rta_local_free(NULL);
    /* k[1]'s value is still in this task's map: freed when the task ends */
    return (int64_t)before;
}

/* ---- many tasks sharing and replacing maps on several workers ---- */

static int64_t stress_child(void *arg)
{
    int id = (int)(intptr_t)arg;
    CHECK_EQ(cur(L), 1000);
    for (int r = 0; r < 20; r++) {
        rta_local_set(L2, mk(id * 100 + r));
        if (r % 4 == 0)
            rta_yield();
        CHECK_EQ(cur(L2), id * 100 + r);
        CHECK_EQ(cur(L), 1000);
    }
    return id;
}

static int64_t t_stress(void *arg)
{
    (void)arg;
    long n = test_scaled(400, 20);
    rta_local_set(L, mk(1000));
    rta_task **ts = calloc((size_t)n, sizeof *ts);
    CHECK(ts);
    for (long i = 0; i < n; i++)
        CHECK((ts[i] = rta_spawn(stress_child, (void *)(intptr_t)i)) != NULL);
    for (long i = 0; i < n; i++) {
        CHECK_EQ(rta_await(ts[i]), i);
        rta_task_release(ts[i]);
    }
    free(ts);
    CHECK(rta_local_get(L2) == NULL);
    rta_local_set(L, NULL);
    return 5;
}

static int64_t run(rta_fn fn, void *arg)
{
    rta_task *t = rta_spawn(fn, arg);
    CHECK(t);
    rta_error *e = NULL;
    int64_t v = rta_task_wait(t, &e);
    if (e) {
        fprintf(stderr, "%s\n", rta_error_message(e));
        abort();
    }
    rta_task_release(t);
    return v;
}

int main(void)
{
    CHECK((L = rta_local_new(val_free)) != NULL);
    CHECK((L2 = rta_local_new(val_free)) != NULL);
    sem_start(4);

    /* Non-async code has a context of its own that flows into tasks. */
    CHECK(rta_local_get(L) == NULL);
    rta_local_set(L, mk(500));
    CHECK_EQ(run(t_callee_visible, NULL), 1);
    CHECK_EQ(cur(L), 500); /* the task's changes stayed in the task */

    CHECK_EQ(run(t_spawn_isolated, NULL), 2);
    CHECK_EQ(run(t_method_entries, NULL), 3);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(run(t_across_suspensions, (void *)(intptr_t)(i + 1)), i + 1);
    CHECK_EQ(run(t_dtor_timing, NULL), 4);
    CHECK_EQ(cur(L), 500);
    rta_local_set(L, NULL);
    int before = (int)run(t_many_keys, NULL);
    CHECK_EQ(atomic_load(&dtors), before + 12); /* 11 cleared, k[1]'s died with its task */
    CHECK_EQ(run(t_stress, NULL), 5);

    rta_shutdown();
    rta_local_free(L);
    rta_local_free(L2);
    printf("locals ok, %d values destroyed\n", atomic_load(&dtors));
    return 0;
}
