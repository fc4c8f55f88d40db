/*
 * Stack overflow in a tasklet: the task runs into its region's guard and the
 * kernel raises SIGSEGV. The handler runs on a per-worker alternate signal
 * stack (the task's own stack is exhausted), recognises a guard address and
 * ends the process with a message naming the task and the region size to
 * raise. Any other fault is handed back to whatever handler was there before
 * (or the default action) by restoring it and returning, so the faulting
 * instruction re-executes under it.
 */
#include "tasklet.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../../core/symbols.h"

#define ALTSTACK_BYTES (64 * 1024)

static struct sigaction previous;
static _Atomic int installed;

static rta__region *guard_region_of(const char *addr)
{
    for (unsigned i = 0; i < rta__rt.nworkers; i++) {
        rta__tasklet_worker *tw = rta__rt.workers[i] ? rta__tasklet_tw(rta__rt.workers[i]) : NULL;
        rta__region *r = tw ? rta__region_of_guard(tw, addr) : NULL;
        if (r)
            return r;
    }
    return NULL;
}

/* ---- the message, built with async-signal-safe code only ----------------------------
 * No malloc, no stdio, no lock: the handler runs on a thread that may have
 * been inside any of them. The buffer is the handler's frame on the
 * per-worker signal stack set aside at thread start. */
typedef struct msgbuf {
    char s[512];
    size_t n;
} msgbuf;

static void put_str(msgbuf *m, const char *s)
{
    while (*s && m->n < sizeof m->s)
        m->s[m->n++] = *s++;
}

static void put_num(msgbuf *m, uint64_t v, unsigned base)
{
    char d[24];
    int k = 0;
    do {
        d[k++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (base == 16)
        put_str(m, "0x");
    while (k && m->n < sizeof m->s)
        m->s[m->n++] = d[--k];
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    rta__region *r = guard_region_of(si->si_addr);
    if (!r) {
        sigaction(sig, &previous, NULL);
        return;
    }
    rta__tasklet *t = rta__tasklet_cur();
    msgbuf m;
    m.n = 0;
    put_str(&m, "rtasync: stack overflow in task ");
    put_num(&m, t ? t->task.id : 0, 10);
    put_str(&m, " (function ");
    char name[128];
    /* Named from tables parsed before the fault (rta_init parses the
     * program's); a function elsewhere shows as its address. */
    if (t && rta__symbolize_cached((uintptr_t)t->reg.fn, name, sizeof name))
        put_str(&m, name);
    else
        put_num(&m, t ? (uint64_t)(uintptr_t)t->reg.fn : 0, 16);
    put_str(&m, "): its execution region has ");
    put_num(&m, (uint64_t)rta__tasklet_cfg.region_bytes / 1024, 10);
    put_str(&m, " KiB of stack; raise rta_config.stack_size or RTA_STACK_SIZE\n");
    ssize_t w = write(2, m.s, m.n);
    (void)w;
    signal(SIGABRT, SIG_DFL);
    abort();
}

void rta__overflow_install(void)
{
    if (atomic_exchange(&installed, 1))
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous);
}

void rta__overflow_thread_enter(rta__tasklet_worker *tw)
{
    stack_t ss = {0};
    tw->altstack = malloc(ALTSTACK_BYTES);
    if (!tw->altstack)
        return; /* no message on overflow then, still a crash, never corruption */
    ss.ss_sp = tw->altstack;
    ss.ss_size = ALTSTACK_BYTES;
    sigaltstack(&ss, NULL);
}

void rta__overflow_thread_exit(rta__tasklet_worker *tw)
{
    stack_t ss = {.ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    free(tw->altstack);
    tw->altstack = NULL;
}
