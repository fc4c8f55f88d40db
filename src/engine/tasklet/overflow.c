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
        rta__tasklet_worker *tw = rta__rt.workers[i] ? rta__rt.workers[i]->tasklet : NULL;
        for (unsigned j = 0; tw && j < tw->nregions; j++) {
            rta__region *r = &tw->regions[j];
            if (addr >= r->map && addr < r->lo)
                return r;
        }
    }
    return NULL;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    rta__region *r = guard_region_of(si->si_addr);
    if (!r) {
        sigaction(sig, &previous, NULL);
        return;
    }
    rta__tasklet *t = rta__tls_state.tasklet;
    char name[128] = "?";
    if (t)
        rta__symbolize((uintptr_t)t->fn, name, sizeof name, NULL);
    char msg[512];
    int n = snprintf(msg, sizeof msg,
                     "rtasync: stack overflow in task %llu (function %s): its execution region has "
                     "%zu KiB of stack; raise rta_config.stack_size or RTA_STACK_SIZE\n",
                     t ? (unsigned long long)t->task.id : 0ull, name,
                     (size_t)(r->top - r->lo) / 1024);
    if (n > 0) {
        ssize_t w = write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
        (void)w;
    }
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
