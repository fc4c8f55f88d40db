/* A cont task's async stack in rta_dump_tasks is its continuation chain,
 * walked when the dump asks (src/engine/cont/frames.c), not recorded at each
 * suspension. Checked here, first with the lazy walk (where the process can
 * read its own memory with process_vm_readv), then with the eager fallback
 * forced (what qemu-user and seccomp-filtered processes get):
 *  1. A chain suspended on a promise, its continuations on the heap (started
 *     from main, which is not a worker), and one on a worker whose middle
 *     frame is too big for the slab classes (heap too): the dump shows each
 *     chain's three functions, innermost first, and nothing else.
 *  2. Dumps taken again and again while cont tasks on four workers yield at
 *     depth 3 (half of them through a heap continuation that is freed and
 *     allocated anew at every round) never show a torn or foreign stack:
 *     each task shows no frames (it was running) or exactly its own three.
 *     ASan and TSan check the walk never reads freed memory as an access. */
#include <rta.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine/cont/cont_internal.h"
#include "testutil.h"

static rta_task *pa, *pb;

/* ---- part 1: chains suspended on promises ---- */
RTA_CONT_FN(dc_a_leaf, int64_t, x)
{
    RTA_CONT_FRAME(dc_a_leaf, int64_t x; int64_t v;);
    F.x = x;
    RTA_CONT_AWAIT_TASK(F.v, pa);
    RTA_CONT_RETURN(F.v + F.x);
}
RTA_CONT_FN(dc_a_mid, int64_t, x)
{
    RTA_CONT_FRAME(dc_a_mid, int64_t v;);
    RTA_CONT_CALL(F.v, dc_a_leaf, x + 1);
    RTA_CONT_RETURN(F.v);
}
RTA_CONT_FN(dc_a_root, void *, arg)
{
    RTA_CONT_FRAME(dc_a_root, int64_t v;);
    RTA_CONT_CALL(F.v, dc_a_mid, (int64_t)(intptr_t)arg);
    RTA_CONT_RETURN(F.v);
}

RTA_CONT_FN(dc_b_leaf, int64_t, x)
{
    RTA_CONT_FRAME(dc_b_leaf, int64_t x; int64_t v;);
    F.x = x;
    RTA_CONT_AWAIT_TASK(F.v, pb);
    RTA_CONT_RETURN(F.v + F.x);
}
RTA_CONT_FN(dc_b_big, int64_t, x)
{
    /* Over the slab classes (RTA__CONT_CLASSES): a heap continuation. */
    RTA_CONT_FRAME(dc_b_big, int64_t v; int64_t pad[80];);
    F.pad[79] = -x;
    RTA_CONT_CALL(F.v, dc_b_leaf, x + 1);
    RTA_CONT_RETURN(F.v + F.pad[79]); /* x is 0 after a resume */
}
RTA_CONT_FN(dc_b_root, void *, arg)
{
    RTA_CONT_FRAME(dc_b_root, int64_t v;);
    RTA_CONT_CALL(F.v, dc_b_big, (int64_t)(intptr_t)arg);
    RTA_CONT_RETURN(F.v);
}

/* ---- part 2: yielding chains ---- */
static _Atomic int stop;
static _Atomic long yields;

RTA_CONT_FN(dc_y_leaf, int64_t, x)
{
    RTA_CONT_FRAME(dc_y_leaf, int64_t x;);
    F.x = x;
    RTA_CONT_YIELD();
    RTA_CONT_RETURN(F.x);
}
RTA_CONT_FN(dc_y_mid, int64_t, x)
{
    RTA_CONT_FRAME(dc_y_mid, int64_t v;);
    RTA_CONT_CALL(F.v, dc_y_leaf, x);
    RTA_CONT_RETURN(F.v);
}
RTA_CONT_FN(dc_y_big, int64_t, x)
{
    RTA_CONT_FRAME(dc_y_big, int64_t v; int64_t pad[80];);
    F.pad[0] = x;
    RTA_CONT_CALL(F.v, dc_y_leaf, x);
    RTA_CONT_RETURN(F.pad[0] == F.v ? F.v : -1); /* x is 0 after a resume */
}
/* arg odd: the middle frame is dc_y_big (a heap continuation each round). */
RTA_CONT_FN(dc_y_root, void *, arg)
{
    RTA_CONT_FRAME(dc_y_root, int64_t i; int64_t v;);
    F.i = (int64_t)(intptr_t)arg;
    while (!atomic_load(&stop)) {
        if (F.i & 1)
            RTA_CONT_CALL(F.v, dc_y_big, F.i);
        else
            RTA_CONT_CALL(F.v, dc_y_mid, F.i);
        CHECK_EQ(F.v, F.i);
        atomic_fetch_add_explicit(&yields, 1, memory_order_relaxed);
    }
    RTA_CONT_RETURN(0);
}

static char dump[1 << 16];

static void take_dump(void)
{
    FILE *m = fmemopen(dump, sizeof dump - 1, "w");
    CHECK(m);
    rta_dump_tasks(m);
    fclose(m);
}

/* The lines of task t's block (its header up to the next header). */
static void block(rta_task *t, char *out, size_t cap)
{
    char head[64];
    snprintf(head, sizeof head, "\ntask %llu ", (unsigned long long)rta_task_id(t));
    const char *b = strstr(dump, head);
    if (!b) {
        fprintf(stderr, "task %llu not in the dump:\n%s", (unsigned long long)rta_task_id(t), dump);
        abort();
    }
    b++;
    const char *e = strstr(b, "\ntask ");
    const char *end = strstr(b, "\nrtasync: end");
    if (!e || (end && end < e))
        e = end;
    size_t n = e ? (size_t)(e - b) + 1 : strlen(b);
    CHECK(n < cap);
    memcpy(out, b, n);
    out[n] = '\0';
}

#define EXPECT_IN(hay, needle)                                                                               \
    do {                                                                                                     \
        if (!strstr((hay), (needle))) {                                                                      \
            fprintf(stderr, "%s:%d: \"%s\" not found in:\n%s\n", __FILE__, __LINE__, (needle), (hay));       \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)

/* The frame lines of blk name exactly names[0..3), in order; or, when
 * may_be_empty, there are none. Returns the number of frames. */
static int expect_stack(const char *blk, const char *const names[3], bool may_be_empty)
{
    int frames = 0;
    for (const char *p = strstr(blk, "    #"); p; p = strstr(p + 1, "    #")) {
        char want[64];
        snprintf(want, sizeof want, "    #%d ", frames);
        size_t w = strlen(want);
        if (frames >= 3 || strncmp(p, want, w) != 0 ||
            strncmp(p + w, names[frames], strlen(names[frames])) != 0 ||
            (p[w + strlen(names[frames])] != ' ' && p[w + strlen(names[frames])] != '\n')) {
            fprintf(stderr, "frame %d: want %s in:\n%s\n", frames, frames < 3 ? names[frames] : "none", blk);
            abort();
        }
        frames++;
    }
    if (frames != 3 && !(may_be_empty && frames == 0)) {
        fprintf(stderr, "%d frames, want 3, in:\n%s\n", frames, blk);
        abort();
    }
    return frames;
}

static void suspended_chains(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    pa = rta_promise_new();
    pb = rta_promise_new();
    CHECK(pa && pb);
    /* From main: every continuation of this chain comes from malloc. */
    rta_task *a = rta_cont_call(dc_a_root, (void *)1);
    CHECK(a);
    rta_task *b = rta_cont_spawn(dc_b_root, (void *)2);
    CHECK(b);
    for (take_dump(); !strstr(dump, "cont suspended in dc_b_root"); take_dump())
        test_sleep_ms(1);
    char blk[4096];
    static const char *const an[3] = {"dc_a_leaf", "dc_a_mid", "dc_a_root"};
    static const char *const bn[3] = {"dc_b_leaf", "dc_b_big", "dc_b_root"};
    block(a, blk, sizeof blk);
    EXPECT_IN(blk, "cont suspended in dc_a_root: awaiting promise ");
    expect_stack(blk, an, false);
    block(b, blk, sizeof blk);
    EXPECT_IN(blk, "cont suspended in dc_b_root: awaiting promise ");
    expect_stack(blk, bn, false);

    CHECK(rta_promise_resolve(pa, 10));
    CHECK(rta_promise_resolve(pb, 20));
    CHECK_EQ(rta_task_wait(a, NULL), 12);
    CHECK_EQ(rta_task_wait(b, NULL), 21);
    /* Completed, handles held: listed, no frames (the chains are gone). */
    take_dump();
    block(a, blk, sizeof blk);
    EXPECT_IN(blk, "cont completed-but-held in dc_a_root: succeeded\n");
    CHECK(!strstr(blk, "    #"));
    rta_task_release(a);
    rta_task_release(b);
    rta_task_release(pa);
    rta_task_release(pb);
    rta_shutdown();
}

static void while_yielding(void)
{
    enum { N = 8 };
    CHECK_OK(rta_init(&(rta_config){.workers = 4}));
    atomic_store(&stop, 0);
    atomic_store(&yields, 0);
    rta_task *ts[N];
    for (int i = 0; i < N; i++)
        CHECK(ts[i] = rta_cont_spawn(dc_y_root, (void *)(intptr_t)i));
    /* A task is listed from its first suspension on. */
    for (bool all = false; !all; test_sleep_ms(1)) {
        take_dump();
        all = true;
        for (int i = 0; i < N; i++) {
            char head[64];
            snprintf(head, sizeof head, "\ntask %llu ", (unsigned long long)rta_task_id(ts[i]));
            all = all && strstr(dump, head);
        }
    }
    static const char *const even[3] = {"dc_y_leaf", "dc_y_mid", "dc_y_root"};
    static const char *const odd[3] = {"dc_y_leaf", "dc_y_big", "dc_y_root"};
    long rounds = test_scaled(400, 10), full = 0;
    char blk[4096];
    /* The lazy walk gives up on a task that keeps moving while it reads
     * (frames.c: 100 tries), and these tasks yield all the time: of the
     * rounds' stacks 12-92% read complete on a quiet machine, and on a
     * loaded one a run of 40 rounds (RTA_TEST_SCALE=10) once read none
     * (CI's repeat at 5ba7727, after 56 passed runs). So the rounds go on,
     * up to 20 s, until one stack was read complete: what the check below
     * asks is that the walk can read a suspended chain at all. */
    uint64_t until = test_now_ns() + 20000000000ull;
    long r = 0;
    for (; r < rounds || (full == 0 && test_now_ns() < until); r++) {
        take_dump();
        for (int i = 0; i < N; i++) {
            block(ts[i], blk, sizeof blk);
            full += expect_stack(blk, i & 1 ? odd : even, true) == 3;
        }
        if (r >= rounds)
            test_sleep_ms(1); /* extra rounds: a pause between dumps */
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < N; i++) {
        CHECK_EQ(rta_task_wait(ts[i], NULL), 0);
        rta_task_release(ts[i]);
    }
    CHECK(full > 0); /* the walk does read suspended tasks' chains */
    printf("  dumps while yielding: %ld rounds, %ld of %ld stacks complete, %ld yields\n", r, full,
           r * (long)N, atomic_load(&yields));
    rta_shutdown();
}

int main(void)
{
    /* The yielding tasks keep four workers busy on purpose: on a loaded
     * machine the stall watcher would report every long time slice. */
    setenv("RTA_STALL_MS", "0", 1);
    suspended_chains();
    while_yielding();
    int lazy = atomic_load(&rta__cont_frames_lazy);
    CHECK(lazy != 0); /* probed at the first registration */
    printf("lazy walk (%s): checked\n", lazy > 0 ? "process_vm_readv" : "unavailable here: eager");
    /* The fallback, as where process_vm_readv is refused. */
    atomic_store(&rta__cont_frames_lazy, -1);
    suspended_chains();
    while_yielding();
    printf("eager recording: checked\n");
    return 0;
}
