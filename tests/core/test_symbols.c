/* Standalone test for the ELF symbolizer (src/core/symbols.c).
   Run with no arguments on an unstripped (or --strip-debug'ed) binary. Run with
   `--expect-stripped` on a fully stripped binary: local functions must then fail cleanly. */
#define _GNU_SOURCE
#include "core/symbols.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

static int g_failures;

#define CHECK_OP(a, op, b, fmt, T)                                                                           \
    do {                                                                                                     \
        T a_ = (a), b_ = (b);                                                                                \
        if (!(a_ op b_)) {                                                                                   \
            fprintf(stderr, "%s:%d: CHECK failed: %s %s %s (" fmt " vs " fmt ")\n", __FILE__, __LINE__, #a,  \
                    #op, #b, a_, b_);                                                                        \
            g_failures++;                                                                                    \
        }                                                                                                    \
    } while (0)
#define CHECK_EQ_U(a, b) CHECK_OP(a, ==, b, "%#jx", uintmax_t)
#define CHECK_TRUE(a) CHECK_OP(a, ==, 1, "%d", int)
#define CHECK_STR(a, b)                                                                                      \
    do {                                                                                                     \
        const char *a_ = (a), *b_ = (b);                                                                     \
        if (strcmp(a_, b_) != 0) {                                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" vs \"%s\")\n", __FILE__, __LINE__, #a,    \
                    #b, a_, b_);                                                                             \
            g_failures++;                                                                                    \
        }                                                                                                    \
    } while (0)

#ifdef __clang__
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone)) /* keep the symbol named exactly */
#endif

static volatile int g_sink;

static NOINLINE uintptr_t capture_return_address(void)
{
    g_sink++;
    return (uintptr_t)__builtin_return_address(0);
}

/* Work after the call keeps it from being a tail call, so the return address lies inside. */
static NOINLINE uintptr_t target_function(void)
{
    uintptr_t ra = capture_return_address();
    g_sink++;
    return ra;
}

static const char g_rodata[] = "not code";

/* Name the symbolizer must report (after a full strip: none, i.e. false). */
typedef struct {
    uintptr_t pc;
    bool ok;
    char name[128];
    uintptr_t start;
} probe_t;

static void resolve(probe_t *p)
{
    p->ok = rta__symbolize(p->pc, p->name, sizeof p->name, &p->start);
}

#define NPROBES 6
static probe_t g_ref[NPROBES];

static void init_probes(probe_t *p, void *heap, void *libc_fn)
{
    uintptr_t pcs[NPROBES] = {
        target_function() - 1,              /* a return address inside target_function */
        (uintptr_t)&target_function + 1,    /* its own entry + 1 */
        (uintptr_t)libc_fn + 1,             /* libc, via .dynsym */
        (uintptr_t)heap,                    /* not code */
        (uintptr_t)g_rodata,                /* data of the executable, not code */
        (uintptr_t)&capture_return_address, /* exact start address */
    };
    for (int i = 0; i < NPROBES; i++) {
        memset(&p[i], 0, sizeof p[i]);
        p[i].pc = pcs[i];
    }
}

#define NTHREADS 4
#define ITERS 2000

static void *thread_main(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int it = 0; it < ITERS; it++) {
        /* Thread 0 also drops the cache now and then, so parses race with lookups. */
        if (id == 0 && it % 500 == 250)
            rta__symbols_reset();
        for (int i = 0; i < NPROBES; i++) {
            probe_t p = {.pc = g_ref[i].pc};
            resolve(&p);
            if (p.ok != g_ref[i].ok || strcmp(p.name, g_ref[i].name) != 0 ||
                (p.ok && p.start != g_ref[i].start)) {
                fprintf(stderr, "thread %d probe %d: got (%d, \"%s\", %#jx), want (%d, \"%s\", %#jx)\n", id,
                        i, p.ok, p.name, (uintmax_t)p.start, g_ref[i].ok, g_ref[i].name,
                        (uintmax_t)g_ref[i].start);
                return (void *)1;
            }
        }
    }
    return NULL;
}

/* A function under a clone's name, as gcc emits foo.isra.0 at -O2: traces
 * must show "suffixed_fn". Written in assembly so that the name is certain
 * on every compiler and optimisation level. */
__asm__(".text\n"
        ".type suffixed_fn.isra.0, %function\n"
        "suffixed_fn.isra.0:\n"
        "    nop\n"
        "    ret\n"
        ".size suffixed_fn.isra.0, .-suffixed_fn.isra.0\n");
extern const char suffixed_fn_addr[] __asm__("suffixed_fn.isra.0");

static void check_suffixes(bool stripped)
{
    static const char *const cases[][2] = {{"awaiting_caller.isra.0", "awaiting_caller"},
                                           {"f.constprop.0", "f"},
                                           {"f.part.3", "f"},
                                           {"f.cold", "f"},
                                           {"f.constprop.0.isra.0", "f"},
                                           {"f.lto_priv.0", "f"},
                                           {"f.llvm.12345", "f"},
                                           {"plain", "plain"},
                                           {"x.participant", "x.participant"},
                                           {"f.isra", "f"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", cases[i][0]);
        rta__symbol_strip_suffix(buf);
        CHECK_STR(buf, cases[i][1]);
    }
    if (!stripped) {
        char name[64];
        uintptr_t start = 0;
        CHECK_TRUE(rta__symbolize((uintptr_t)suffixed_fn_addr + 1, name, sizeof name, &start));
        CHECK_STR(name, "suffixed_fn");
        CHECK_EQ_U(start, (uintptr_t)suffixed_fn_addr);
    }
}

/* What a trace shows of each frame (rta__symbol_shown), walking out from the
 * innermost: runtime frames never; an rtac async1 stub (rtac1__f) not when
 * it called its own move-next (f or rtac1__f__mn, the frame inside it), but
 * as the user's f when it is not that (its move-next was inlined into it:
 * rtac declares move-nexts inline, and at -O3 gcc takes the hint, so a throw
 * before the first suspension is in the stub's frame). Before this rule the
 * stub was always left out, and such a frame was lost from the trace. */
static void check_shown(void)
{
#define CHECK_SHOWN(name, inner_before, want)                                                                \
    do {                                                                                                     \
        char inner_[RTA__SYMBOL_INNER];                                                                      \
        snprintf(inner_, sizeof inner_, "%s", inner_before);                                                 \
        const char *got_ = rta__symbol_shown(name, inner_);                                                  \
        CHECK_STR(got_ ? got_ : "(left out)", want);                                                         \
    } while (0)
    CHECK_SHOWN("rta_await", "", "(left out)");
    CHECK_SHOWN("rta_async1_start", "f", "(left out)");
    CHECK_SHOWN("level1", "level2", "level1");
    CHECK_SHOWN("rtac1__f__mn", "g", "rtac1__f__mn"); /* a move-next that could not keep f */
    CHECK_SHOWN("rtac1__f", "f", "(left out)");       /* the stub that called its move-next */
    CHECK_SHOWN("rtac1__f", "rtac1__f__mn", "(left out)");
    CHECK_SHOWN("rtac1__f", "", "f");         /* innermost: the inlined move-next threw */
    CHECK_SHOWN("rtac1__f", "g", "f");        /* f's inlined code called g */
    CHECK_SHOWN("rtac1__f", "rtac1__f", "f"); /* recursion through inlined stubs */
    CHECK_SHOWN("rtac1__f", "ff", "f");
    CHECK_SHOWN("rtac1__f", "rtac1__f__mnx", "f");
    CHECK_SHOWN("rtac1__", "", "(left out)");
#undef CHECK_SHOWN
    /* A walk: the state skips the runtime's frames and names the last other. */
    const char *walk[] = {"level3",        "rtac1__level3", "rta_async1_start",
                          "rtac1__level2", "level1",        "rtac1__level1"};
    const char *want[] = {"level3", NULL, NULL, "level2", "level1", NULL};
    char inner[RTA__SYMBOL_INNER] = "";
    for (int i = 0; i < 6; i++) {
        const char *got = rta__symbol_shown(walk[i], inner);
        CHECK_STR(got ? got : "(left out)", want[i] ? want[i] : "(left out)");
    }
}

int main(int argc, char **argv)
{
    bool stripped = argc > 1 && strcmp(argv[1], "--expect-stripped") == 0;
    void *heap = malloc(64);
    /* RTLD_NEXT finds libc's printf even where &printf would be a canonical PLT stub. */
    void *libc_printf = dlsym(RTLD_NEXT, "printf");
    if (!heap || !libc_printf) {
        fprintf(stderr, "setup failed: heap=%p printf=%p\n", heap, libc_printf);
        return 2;
    }
    probe_t p[NPROBES];
    init_probes(p, heap, libc_printf);
    for (int i = 0; i < NPROBES; i++)
        resolve(&p[i]);

    if (stripped) {
        CHECK_TRUE(!p[0].ok);
        CHECK_TRUE(!p[1].ok);
        CHECK_TRUE(!p[5].ok);
    } else {
        CHECK_TRUE(p[0].ok);
        CHECK_STR(p[0].name, "target_function");
        CHECK_EQ_U(p[0].start, (uintptr_t)&target_function);
        CHECK_TRUE(p[1].ok);
        CHECK_STR(p[1].name, "target_function");
        CHECK_EQ_U(p[1].start, (uintptr_t)&target_function);
        CHECK_TRUE(p[5].ok);
        CHECK_STR(p[5].name, "capture_return_address");
        CHECK_EQ_U(p[5].start, (uintptr_t)&capture_return_address);
    }
    CHECK_TRUE(p[2].ok);
    CHECK_TRUE(strstr(p[2].name, "printf") != NULL); /* printf or an alias such as _IO_printf */
    CHECK_EQ_U(p[2].start, (uintptr_t)libc_printf);
    CHECK_TRUE(!p[3].ok);
    CHECK_STR(p[3].name, "");
    CHECK_TRUE(!p[4].ok);

    /* Truncation: cap-1 characters and a NUL; cap 0 writes nothing but still answers. */
    char small[5] = "xxxx";
    uintptr_t start = 0;
    CHECK_TRUE(rta__symbolize(p[2].pc, small, sizeof small, &start));
    CHECK_TRUE(strlen(small) == 4 && strncmp(small, p[2].name, 4) == 0);
    char untouched = 'z';
    CHECK_TRUE(rta__symbolize(p[2].pc, &untouched, 0, NULL));
    CHECK_TRUE(untouched == 'z');

    /* The vDSO has no file; it must fail cleanly (absent under valgrind: AT_SYSINFO_EHDR 0). */
    uintptr_t vdso = getauxval(AT_SYSINFO_EHDR);
    if (vdso) {
        char buf[64];
        CHECK_TRUE(!rta__symbolize(vdso + 0x100, buf, sizeof buf, NULL));
    }

    /* After a reset, everything re-parses and answers the same. */
    rta__symbols_reset();
    probe_t q[NPROBES];
    init_probes(q, heap, libc_printf);
    for (int i = 0; i < NPROBES; i++) {
        resolve(&q[i]);
        CHECK_TRUE(q[i].ok == p[i].ok);
        CHECK_STR(q[i].name, p[i].name);
        CHECK_EQ_U(q[i].start, p[i].start);
    }

    /* Concurrency: start from an empty cache so the threads race on the first parse. */
    memcpy(g_ref, p, sizeof g_ref);
    rta__symbols_reset();
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        if (pthread_create(&th[i], NULL, thread_main, (void *)(intptr_t)i) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 2;
        }
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        CHECK_TRUE(ret == NULL);
    }

    rta__symbols_reset(); /* leaves nothing behind for valgrind's leak check */
    free(heap);
    check_suffixes(stripped);
    check_shown();
    if (g_failures) {
        fprintf(stderr, "test_symbols: %d check(s) failed\n", g_failures);
        return 1;
    }
    printf("test_symbols: OK (%s; printf -> %s)\n", stripped ? "stripped" : "symtab", p[2].name);
    return 0;
}
