/* Source positions for the task dump (see symbols.h): libdw's dwfl reads the
 * process's own maps and each object's DWARF line table. Optional: without
 * libdw (RTA_HAVE_LIBDW unset, e.g. the aarch64 cross build, which has no
 * cross libdw) every lookup says "unknown" and the dump shows names only. */
#define _GNU_SOURCE
#include "symbols.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef RTA_HAVE_LIBDW
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

struct rta__srcinfo {
    Dwfl *dwfl;
};

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
};

rta__srcinfo *rta__srcinfo_open(void)
{
    rta__srcinfo *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->dwfl = dwfl_begin(&callbacks);
    if (!s->dwfl) {
        free(s);
        return NULL;
    }
    /* Our own maps: every loaded object, found through /proc/self. */
    if (dwfl_linux_proc_report(s->dwfl, getpid()) != 0 || dwfl_report_end(s->dwfl, NULL, NULL) != 0) {
        dwfl_end(s->dwfl);
        free(s);
        return NULL;
    }
    return s;
}

/* Without .debug_aranges (clang does not emit them) libdw's address lookup
 * finds no unit: ask each compilation unit whether it covers the address. */
static Dwarf_Line *line_by_units(Dwfl *dwfl, Dwarf_Addr pc)
{
    Dwfl_Module *mod = dwfl_addrmodule(dwfl, pc);
    Dwarf_Addr bias = 0;
    Dwarf *dw = mod ? dwfl_module_getdwarf(mod, &bias) : NULL;
    if (!dw)
        return NULL;
    Dwarf_Addr a = pc - bias;
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu;
        if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_haspc(&cu, a) == 1)
            return dwarf_getsrc_die(&cu, a);
        off = next;
    }
    return NULL;
}

bool rta__srcinfo_line(rta__srcinfo *s, uintptr_t pc, char *file, size_t cap, int *line)
{
    if (!s)
        return false;
    const char *f = NULL;
    int ln = 0;
    Dwfl_Line *l = dwfl_getsrc(s->dwfl, (Dwarf_Addr)pc);
    if (l) {
        f = dwfl_lineinfo(l, NULL, &ln, NULL, NULL, NULL);
    } else {
        Dwarf_Line *dl = line_by_units(s->dwfl, (Dwarf_Addr)pc);
        if (dl) {
            f = dwarf_linesrc(dl, NULL, NULL);
            if (dwarf_lineno(dl, &ln) != 0)
                f = NULL;
        }
    }
    if (!f || ln <= 0)
        return false;
    snprintf(file, cap, "%s", f);
    *line = ln;
    return true;
}

void rta__srcinfo_close(rta__srcinfo *s)
{
    if (!s)
        return;
    dwfl_end(s->dwfl);
    free(s);
}

#else

rta__srcinfo *rta__srcinfo_open(void)
{
    return NULL;
}

bool rta__srcinfo_line(rta__srcinfo *s, uintptr_t pc, char *file, size_t cap, int *line)
{
    (void)s, (void)pc, (void)file, (void)cap, (void)line;
    return false;
}

void rta__srcinfo_close(rta__srcinfo *s)
{
    (void)s;
}

#endif
