/*
 * rta_dump_tasks: every registered task (registry.h) with its state, what it
 * waits for and its logical async stack, symbolized, in one write.
 *
 * Two passes: the entries are copied out under their shard locks (no
 * symbolizing there: that may parse ELF files, and engines take the same
 * locks to register), then formatted with no lock held. The copy is of
 * diagnostics only: a task may move on while it is printed.
 */
#define _GNU_SOURCE
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "symbols.h"

typedef struct snap {
    uint64_t id;        /* 0: an async1 value-task method (no task) */
    uint64_t awaits;    /* id of the task it awaits, 0 if none */
    rta__reg_wait wait; /* what it waits for, formatted without the locks */
    uint64_t waited_ns; /* suspended: how long */
    const char *engine;
    const void *fn;
    uint8_t state, pc_kind;
    uint32_t status; /* the task's rta_status (completed-but-held) */
    int32_t await_point;
    unsigned nframes;
    bool truncated;
    uintptr_t frames[RTA__REG_FRAMES];
} snap;

typedef struct {
    snap *v;
    size_t n, cap;
    uint64_t now, now_mono; /* coarse (wait times), CLOCK_MONOTONIC (deadlines) */
    bool oom;
} snaps;

static void take(rta__reg_entry *e, void *arg)
{
    snaps *s = arg;
    /* A released task in the debug quarantine: its handle is gone. */
    if (e->task && atomic_load_explicit(&e->task->refs, memory_order_relaxed) == RTA__POISON)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        snap *v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            s->oom = true;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    snap *p = &s->v[s->n++];
    memset(p, 0, sizeof *p);
    p->id = e->task ? e->task->id : 0;
    p->engine = e->engine;
    p->fn = e->fn;
    p->pc_kind = e->pc_kind;
    rta__reg_wait_read(e, &p->wait);
    p->state = p->wait.state; /* one read: the line and its wait agree */
    p->awaits = rta__reg_wait_awaits(&p->wait);
    p->status = e->task && rta__task_done(e->task)
                    ? atomic_load_explicit(&e->task->status, memory_order_relaxed)
                    : RTA_PENDING;
    p->await_point = atomic_load_explicit(&e->await_point, memory_order_relaxed);
    uint64_t since = atomic_load_explicit(&e->since_ns, memory_order_relaxed);
    p->waited_ns = s->now > since ? s->now - since : 0;
    p->nframes = rta__reg_frames_read(e, p->frames, &p->truncated);
}

static const char *state_name(const snap *p)
{
    if (p->status != RTA_PENDING)
        return "completed-but-held";
    switch (p->state) {
    case RTA__REG_AWAITING:
    case RTA__REG_SLEEPING:
        return "suspended";
    case RTA__REG_RUNNABLE:
        return "runnable";
    default:
        return "running";
    }
}

static const char *status_name(uint32_t st)
{
    return st == RTA_SUCCEEDED ? "succeeded" : st == RTA_FAULTED ? "faulted" : "canceled";
}

void rta__dump_pcs(FILE *out, const uintptr_t *pcs, unsigned n, unsigned exact_upto, const void *root,
                   int first_line, rta__srcinfo *si)
{
    unsigned shown = 0;
    char inner[RTA__SYMBOL_INNER] = "";
    for (unsigned i = 0; i < n; i++) {
        uintptr_t pc = pcs[i];
        /* A return address follows its call: look the call up. */
        uintptr_t at = i < exact_upto ? pc : pc - 1;
        char name[256], file[512];
        uintptr_t start = 0;
        int line = 0;
        bool named = rta__symbolize(at, name, sizeof name, &start);
        const char *as = named ? rta__symbol_shown(name, inner) : NULL;
        if (named && !as)
            continue;
        fprintf(out, "    #%u ", shown++);
        if (named)
            fputs(as, out);
        else
            fprintf(out, "%#lx", (unsigned long)pc);
        int override = i == 0 ? first_line : -1;
        if (rta__srcinfo_line(si, at, file, sizeof file, &line))
            fprintf(out, " at %s:%d", file, override > 0 ? override : line);
        else if (override > 0)
            fprintf(out, " at line %d", override);
        else if (named)
            fprintf(out, " +%#lx", (unsigned long)(at - start));
        fputc('\n', out);
        /* The task's root function: what called it is the runtime's loop. */
        if (named && root && start == (uintptr_t)root)
            return;
    }
}

static void print_frames(FILE *out, const snap *p, rta__srcinfo *si)
{
    /* async1: the state is the line of the await it waits at
     * (rta/async1.h); the address is the move-next's entry. */
    bool exact = p->pc_kind == RTA__REG_PC_EXACT;
    rta__dump_pcs(out, p->frames, p->nframes, exact ? p->nframes : 0, p->fn, exact ? (int)p->await_point : -1,
                  si);
    if (p->truncated)
        fprintf(out, "    ... (more frames)\n");
}

static void print_one(FILE *out, const snap *p, const snaps *s, rta__srcinfo *si)
{
    char root[256];
    if (!p->fn || !rta__symbolize((uintptr_t)p->fn, root, sizeof root, NULL))
        snprintf(root, sizeof root, "%p", p->fn);
    if (p->id)
        fprintf(out, "task %llu %s %s in %s", (unsigned long long)p->id, p->engine, state_name(p), root);
    else
        fprintf(out, "value-task %s %s in %s", p->engine, state_name(p), root);
    if (p->status != RTA_PENDING) {
        fprintf(out, ": %s\n", status_name(p->status));
    } else if (p->state == RTA__REG_AWAITING || p->state == RTA__REG_SLEEPING) {
        char wait[192];
        rta__reg_wait_format(&p->wait, s->now_mono, wait, sizeof wait);
        fprintf(out, ": %s, waiting %llu ms\n", wait, (unsigned long long)(p->waited_ns / 1000000u));
    } else {
        fputc('\n', out);
    }
    /* A running task's stack is elsewhere now: its last suspension's would mislead. */
    if (p->status == RTA_PENDING && p->state != RTA__REG_RUNNING)
        print_frames(out, p, si);
    for (size_t i = 0; p->id && i < s->n; i++)
        if (s->v[i].awaits == p->id && s->v[i].status == RTA_PENDING)
            fprintf(out, "    awaited by task %llu\n", (unsigned long long)s->v[i].id);
}

static int by_id(const void *a, const void *b)
{
    const snap *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

void rta_dump_tasks(FILE *out)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    if (!out)
        out = stderr;
    pthread_mutex_lock(&lock); /* one dump at a time: they would interleave */
    snaps s = {.now = rta__reg_now_coarse(), .now_mono = rta__reg_now_mono()};
    rta__reg_foreach(take, &s);
    if (s.n)
        qsort(s.v, s.n, sizeof *s.v, by_id);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    FILE *w = m ? m : out;
    fprintf(w, "rtasync: task dump: %zu task%s%s\n", s.n, s.n == 1 ? "" : "s",
            s.oom ? " (out of memory: some left out)" : "");
    rta__srcinfo *si = s.n ? rta__srcinfo_open() : NULL;
    for (size_t i = 0; i < s.n; i++)
        print_one(w, &s.v[i], &s, si);
    rta__srcinfo_close(si);
    fprintf(w, "rtasync: end of task dump\n");
    if (m) {
        fclose(m);
        fwrite(buf, 1, len, out);
        free(buf);
    }
    fflush(out);
    free(s.v);
    pthread_mutex_unlock(&lock);
}
