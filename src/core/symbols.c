/* Symbolizer for async stack traces (see symbols.h).
 *
 * Users will not link with -rdynamic, so dladdr() would only see .dynsym, which in an executable
 * holds little beyond imports. Instead we read the ELF file behind each loaded object ourselves:
 * .symtab when present (it survives `strip --strip-debug`), else .dynsym (all a distribution
 * libc.so ships). Each object is parsed once into a sorted array of function ranges and cached.
 *
 * Not async-signal-safe: the first lookup in an object allocates and takes a mutex. */
#define _GNU_SOURCE
#include "symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* glibc's <link.h> has ElfW(type) for types but no public spelling for the macros. */
#ifndef ELFW
#define ELFW(t) _ElfW(ELF, __ELF_NATIVE_CLASS, t)
#endif
#if __ELF_NATIVE_CLASS == 64
#define NATIVE_CLASS ELFCLASS64
#else
#define NATIVE_CLASS ELFCLASS32
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

/* `pref` ranks aliases that share a start address; higher wins. The size bit dominates so that
   a symbol with a real st_size beats a size-0 label at the same address. */
#define PREF_SIZED (1u << 16)

typedef struct {
    uintptr_t start; /* link-time address: runtime address minus the object's load bias */
    uintptr_t size;  /* covers [start, start + size); always > 0 once the table is built */
    uint32_t name;   /* offset into the object's string table (NUL-terminated, in bounds) */
    uint32_t pref;
} sym_t;

/* One loaded object. Invariant: syms is sorted by strictly increasing start, and a symbol whose
   st_size was 0 never extends past the next symbol's start. nsyms == 0 is a negative entry (no
   file, stripped, not ELF...), cached so failures are not re-parsed on every lookup. */
typedef struct object {
    struct object *next;
    uintptr_t bias;
    uintptr_t code_lo, code_hi; /* run-time span of its executable segments */
    char *path;                 /* dlpi_name as reported ("" = main executable); with bias, the key */
    void *map;                  /* the whole file, PROT_READ; names point into it. NULL if negative */
    size_t map_len;
    const char *strtab;
    sym_t *syms;
    size_t nsyms;
} object_t;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
/* Guarded by g_lock, as is everything reachable from it; also read without
 * the lock by rta__symbolize_cached (a signal handler), hence the atomic
 * accesses: an entry is complete before it is published at the head, and
 * entries are freed only by rta__symbols_reset (no task runs then). */
static object_t *g_objects;

/* ---- finding the object that contains pc ---- */

struct find {
    uintptr_t pc, vdso, bias, code_lo, code_hi;
    bool found, is_vdso, name_ok;
    /* Copied inside the callback: dlpi_name may be freed by a dlclose once the loader's lock
       is released, and we must not hold our own lock while the loader holds its lock. */
    char name[PATH_MAX];
};

static int find_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct find *f = arg;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        /* Only executable segments: a pointer into .data/.bss of an object is not code. */
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        if (f->pc - (info->dlpi_addr + ph->p_vaddr) >= ph->p_memsz) /* unsigned: also pc < lo */
            continue;
        f->found = true;
        f->bias = info->dlpi_addr;
        f->code_lo = UINTPTR_MAX;
        f->code_hi = 0;
        for (ElfW(Half) j = 0; j < info->dlpi_phnum; j++) {
            const ElfW(Phdr) *x = &info->dlpi_phdr[j];
            if (x->p_type != PT_LOAD || !(x->p_flags & PF_X))
                continue;
            uintptr_t lo = info->dlpi_addr + x->p_vaddr;
            if (lo < f->code_lo)
                f->code_lo = lo;
            if (lo + x->p_memsz > f->code_hi)
                f->code_hi = lo + x->p_memsz;
        }
        /* The vDSO has no file behind it; its dlpi_name ("linux-vdso.so.1") must not be opened
           as a path relative to the current directory. Recognise it by its program headers,
           which sit at e_phoff inside the image the kernel advertises in AT_SYSINFO_EHDR. */
        f->is_vdso =
            f->vdso && (uintptr_t)info->dlpi_phdr == f->vdso + ((const ElfW(Ehdr) *)f->vdso)->e_phoff;
        const char *n = info->dlpi_name ? info->dlpi_name : "";
        size_t len = strlen(n);
        f->name_ok = len < sizeof f->name;
        if (f->name_ok)
            memcpy(f->name, n, len + 1);
        return 1;
    }
    return 0;
}

/* ---- parsing an ELF image into a symbol table ---- */

static bool in_file(size_t len, uint64_t off, uint64_t n)
{
    return off <= len && n <= len - off;
}

static int sym_cmp(const void *a, const void *b)
{
    const sym_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->pref > y->pref ? -1 : x->pref < y->pref; /* preferred alias first */
}

/* Builds o->syms from the section of type `want` (SHT_SYMTAB or SHT_DYNSYM). Every offset and
   size read from the file is bounds-checked against len: the file is untrusted input. */
static bool build_table(object_t *o, const unsigned char *img, size_t len, uint32_t want)
{
    const ElfW(Ehdr) *eh = (const void *)img;
    if (eh->e_shoff == 0 || eh->e_shoff % _Alignof(ElfW(Shdr)) || eh->e_shentsize != sizeof(ElfW(Shdr)) ||
        !in_file(len, eh->e_shoff, sizeof(ElfW(Shdr))))
        return false;
    const ElfW(Shdr) *sh = (const void *)(img + eh->e_shoff);
    /* With >= SHN_LORESERVE sections e_shnum is 0 and the real count lives in sh[0].sh_size. */
    uint64_t shnum = eh->e_shnum ? eh->e_shnum : sh[0].sh_size;
    if (shnum > (len - eh->e_shoff) / sizeof *sh)
        return false;

    const ElfW(Shdr) *tab = NULL;
    for (uint64_t i = 0; i < shnum && !tab; i++)
        if (sh[i].sh_type == want)
            tab = &sh[i];
    if (!tab || tab->sh_entsize != sizeof(ElfW(Sym)) || tab->sh_link >= shnum ||
        tab->sh_offset % _Alignof(ElfW(Sym)) || !in_file(len, tab->sh_offset, tab->sh_size))
        return false;
    const ElfW(Shdr) *strsh = &sh[tab->sh_link];
    if (strsh->sh_type != SHT_STRTAB || strsh->sh_size == 0 ||
        !in_file(len, strsh->sh_offset, strsh->sh_size))
        return false;
    const char *strtab = (const char *)img + strsh->sh_offset;
    /* A terminated table means every st_name < sh_size names a terminated string. */
    if (strtab[strsh->sh_size - 1] != '\0')
        return false;

    const ElfW(Sym) *s = (const void *)(img + tab->sh_offset);
    size_t n = tab->sh_size / sizeof *s;
    sym_t *v = n ? malloc(n * sizeof *v) : NULL;
    if (!v)
        return false;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned type = ELFW(ST_TYPE)(s[i].st_info), bind = ELFW(ST_BIND)(s[i].st_info);
        /* SHN_UNDEF excludes imports, which in a non-PIE executable's .dynsym can carry the
           nonzero address of their PLT stub. */
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s[i].st_value == 0 || s[i].st_shndx == SHN_UNDEF ||
            s[i].st_name == 0 || s[i].st_name >= strsh->sh_size)
            continue;
        uintptr_t start = s[i].st_value, size = s[i].st_size;
        uint32_t pref = size ? PREF_SIZED : 0;
        if (!size && s[i].st_shndx < shnum && s[i].st_shndx < SHN_LORESERVE) {
            /* Size-0 labels (crti's _init/_fini, hand-written assembly) end at the end of their
               section at the latest, and at the next symbol (clipped below). */
            const ElfW(Shdr) *sec = &sh[s[i].st_shndx];
            if (start >= sec->sh_addr && start - sec->sh_addr < sec->sh_size)
                size = sec->sh_addr + sec->sh_size - start;
        }
        if (!size) /* unknown section: bounded by the next symbol and by find_cb's segment */
            size = UINTPTR_MAX - start;
        pref |= (bind == STB_GLOBAL ? 2u : bind == STB_WEAK ? 1u : 0u) << 8;
        unsigned us = 0; /* among aliases, fewer leading underscores reads better: printf */
        while (us < 255 && strtab[s[i].st_name + us] == '_')
            us++;
        pref |= 255 - us;
        v[k++] = (sym_t){start, size, s[i].st_name, pref};
    }
    if (k == 0) {
        free(v);
        return false;
    }
    qsort(v, k, sizeof *v, sym_cmp);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) /* keep only the first (preferred) of each start address */
        if (m == 0 || v[m - 1].start != v[i].start)
            v[m++] = v[i];
    for (size_t i = 0; i + 1 < m; i++)
        if (!(v[i].pref & PREF_SIZED) && v[i].size > v[i + 1].start - v[i].start)
            v[i].size = v[i + 1].start - v[i].start;
    sym_t *shrunk = realloc(v, m * sizeof *v);
    o->syms = shrunk ? shrunk : v;
    o->nsyms = m;
    o->strtab = strtab;
    return true;
}

/* Maps the file and fills o; on any failure o stays a negative entry. The mapping is
   MAP_PRIVATE of a file that could in principle be truncated under us (SIGBUS); a loaded
   object rewritten in place breaks the process anyway, so we do not guard against it. */
static void parse_object(object_t *o)
{
    const char *path = o->path[0] ? o->path : "/proc/self/exe";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= (off_t)sizeof(ElfW(Ehdr)) &&
        (uint64_t)st.st_size <= SIZE_MAX)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return;
    size_t len = (size_t)st.st_size;
    const ElfW(Ehdr) *eh = map;
    bool ok = memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == NATIVE_CLASS &&
              eh->e_ident[EI_DATA] == NATIVE_DATA && (eh->e_type == ET_EXEC || eh->e_type == ET_DYN);
    /* .symtab is the full table; .dynsym is the fallback for stripped objects. */
    ok = ok && (build_table(o, map, len, SHT_SYMTAB) || build_table(o, map, len, SHT_DYNSYM));
    if (!ok) {
        munmap(map, len);
        return;
    }
    o->map = map;
    o->map_len = len;
}

static void free_object(object_t *o)
{
    if (o->map)
        munmap(o->map, o->map_len);
    free(o->syms);
    free(o->path);
    free(o);
}

/* Returns the cached entry for (bias, path), parsing on first use; NULL only on OOM.
   Caller holds g_lock. Parsing under the lock serialises first lookups, a one-time cost. */
static object_t *get_object(const struct find *f)
{
    for (object_t *o = g_objects; o; o = o->next)
        if (o->bias == f->bias && strcmp(o->path, f->name) == 0)
            return o;
    object_t *o = calloc(1, sizeof *o);
    if (!o || !(o->path = strdup(f->name))) {
        free(o);
        return NULL;
    }
    o->bias = f->bias;
    o->code_lo = f->code_lo;
    o->code_hi = f->code_hi;
    parse_object(o);
    o->next = g_objects;
    __atomic_store_n(&g_objects, o, __ATOMIC_RELEASE);
    return o;
}

/* Compiler-made copies and parts of a function keep its name with a suffix:
 * gcc's foo.isra.0, foo.constprop.0, foo.part.0, foo.cold (and chains of
 * them: foo.constprop.0.isra.0), LTO's foo.lto_priv.0, clang's
 * foo.llvm.123. C identifiers have no '.', so the name is cut at the first
 * '.' that starts one of these. */
void rta__symbol_strip_suffix(char *name)
{
    static const char *const suffixes[] = {"isra",     "constprop", "part",  "cold",
                                           "lto_priv", "llvm",      "clone", "localalias"};
    for (char *dot = strchr(name, '.'); dot; dot = strchr(dot + 1, '.')) {
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
            size_t n = strlen(suffixes[i]);
            if (strncmp(dot + 1, suffixes[i], n) == 0 && (dot[1 + n] == '.' || dot[1 + n] == '\0')) {
                *dot = '\0';
                return;
            }
        }
    }
}

/* Neither the runtime's own functions (its entry points and helpers are all
 * rta_*) nor the stubs rtac writes for async1 methods (rtac1__f: they fill
 * the state machine and call the move-next, and at -O0 their frame sits
 * between two move-nexts) are frames of the user's async stack. A move-next
 * that could not keep the user's name is rtac1__f__mn (tools/rtac/
 * rtac_lib/async1.py): the user's code, so it stays. */
bool rta__symbol_hidden(const char *name)
{
    if (strncmp(name, "rta_", 4) == 0)
        return true;
    if (strncmp(name, "rtac1__", 7) != 0)
        return false;
    size_t n = strlen(name);
    return !(n > 7 + 4 && strcmp(name + n - 4, "__mn") == 0);
}

/* Whether stub (rtac1__f) called inner, its own move-next (f or rtac1__f__mn). */
static bool called_own_move_next(const char *stub, const char *inner)
{
    size_t n = strlen(stub);
    return strcmp(inner, stub + 7) == 0 || (strncmp(inner, stub, n) == 0 && strcmp(inner + n, "__mn") == 0);
}

const char *rta__symbol_shown(const char *name, char inner[RTA__SYMBOL_INNER])
{
    if (strncmp(name, "rta_", 4) == 0)
        return NULL; /* the runtime's: inner stays the user's frame below it */
    const char *shown = name;
    if (rta__symbol_hidden(name)) /* a stub, rtac1__f */
        shown = called_own_move_next(name, inner) || !name[7] ? NULL : name + 7;
    snprintf(inner, RTA__SYMBOL_INNER, "%s", name);
    return shown;
}

/* The symbol of o covering pc, or NULL. */
static const sym_t *lookup(const object_t *o, uintptr_t pc)
{
    uintptr_t off = pc - o->bias;
    size_t lo = 0, hi = o->nsyms; /* find the first symbol with start > off */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->syms[mid].start <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    const sym_t *s = lo ? &o->syms[lo - 1] : NULL;
    return s && off - s->start < s->size ? s : NULL;
}

/* Copies a symbol's name into buf (cap > 0), truncated, without libc calls
 * that a signal handler may not make. */
static void copy_name(const object_t *o, const sym_t *s, char *buf, size_t cap)
{
    const char *name = o->strtab + s->name;
    size_t n = 0;
    while (n + 1 < cap && name[n]) {
        buf[n] = name[n];
        n++;
    }
    buf[n] = '\0';
}

bool rta__symbolize_cached(uintptr_t pc, char *buf, size_t cap)
{
    if (cap)
        buf[0] = '\0';
    for (const object_t *o = __atomic_load_n(&g_objects, __ATOMIC_ACQUIRE); o; o = o->next) {
        if (!o->nsyms || pc < o->code_lo || pc >= o->code_hi)
            continue;
        const sym_t *s = lookup(o, pc);
        if (!s)
            return false;
        if (cap) {
            copy_name(o, s, buf, cap);
            rta__symbol_strip_suffix(buf); /* strchr, strncmp, strlen: signal-safe */
        }
        return true;
    }
    return false;
}

bool rta__symbolize(uintptr_t pc, char *buf, size_t cap, uintptr_t *func_start)
{
    if (cap)
        buf[0] = '\0';
    struct find f = {.pc = pc, .vdso = getauxval(AT_SYSINFO_EHDR)};
    /* Outside g_lock: dl_iterate_phdr takes the loader's lock, and a constructor running
       under dlopen (loader lock held) may itself symbolize; one order only. */
    dl_iterate_phdr(find_cb, &f);
    if (!f.found || f.is_vdso || !f.name_ok)
        return false;

    bool ok = false;
    pthread_mutex_lock(&g_lock);
    const object_t *o = get_object(&f);
    const sym_t *s = o && o->nsyms ? lookup(o, pc) : NULL;
    if (s) {
        ok = true;
        if (cap) { /* copy while locked: a concurrent reset would unmap the name */
            copy_name(o, s, buf, cap);
            rta__symbol_strip_suffix(buf);
        }
        if (func_start)
            *func_start = f.bias + s->start;
    }
    pthread_mutex_unlock(&g_lock);
    return ok;
}

void rta__symbols_reset(void)
{
    pthread_mutex_lock(&g_lock);
    object_t *o = g_objects;
    __atomic_store_n(&g_objects, NULL, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&g_lock);
    /* Detached under the lock, so no lookup can still reach these entries. */
    while (o) {
        object_t *next = o->next;
        free_object(o);
        o = next;
    }
}
