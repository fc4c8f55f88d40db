/* Internal symbolizer for async stack traces: maps a code address to the name of the function
   containing it by reading the ELF .symtab (else .dynsym) of the loaded object that holds it,
   so users need not link with -rdynamic. Not async-signal-safe (it allocates and locks). */
#ifndef RTA_CORE_SYMBOLS_H
#define RTA_CORE_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Resolve `pc` to the name of the function that contains it. Writes a NUL-terminated name
   (truncated to cap-1) into buf and, if func_start is not NULL, the function's start address.
   Returns false if no symbol covers pc. Thread-safe; the first lookup in an object parses its
   ELF file (mmap'd), later lookups are a binary search. For a return address pass `ra - 1`:
   a call can be the last instruction of its function. */
bool rta__symbolize(uintptr_t pc, char *buf, size_t cap, uintptr_t *func_start);

/* rta__symbolize from the tables already parsed only (an object never looked
   up before is not found): no allocation, no lock, no libc call, so a signal
   handler may call it. rta_init parses the calling program's object, so task
   functions there are found. No func_start. */
bool rta__symbolize_cached(uintptr_t pc, char *buf, size_t cap);

/* Cuts a compiler clone/part suffix (".isra.0", ".constprop.0", ".part.0", ".cold", ...)
   off a function name in place; rta__symbolize already applies it. */
void rta__symbol_strip_suffix(char *name);

/* True for a function that is no frame of a task's logical stack: the
   runtime's own (rta_*) and rtac's async1 stubs (rtac1__f, not the move-next
   rtac1__f__mn). Traces (rta_error_trace) and dumps leave them out. */
bool rta__symbol_hidden(const char *name);

/* What a trace shows for a frame whose function is name, walking from the
   innermost frame out: NULL to leave it out, else the name to print (name
   itself, or a pointer into it). inner: the walk's state, "" before the
   first frame: the function of the nearest frame inside this one that is
   not the runtime's (rta_*), which this call then moves on to name. A stub
   rtac1__f whose own move-next (f, or rtac1__f__mn) is that frame called it
   and is left out; any other stub frame is the move-next's first part
   inlined into the stub (rtac declares move-nexts inline), the user's code:
   shown as f. */
#define RTA__SYMBOL_INNER 256
const char *rta__symbol_shown(const char *name, char inner[RTA__SYMBOL_INNER]);

/* Source positions (symbols_line.c): file and line of a code address from
   the DWARF line tables of the loaded objects, through libdw when the build
   found it (RTA_HAVE_LIBDW). A session reads the process's objects once;
   open one per report. rta__srcinfo_open returns NULL without libdw or when
   the objects cannot be read: callers then print names only. Not
   async-signal-safe. */
typedef struct rta__srcinfo rta__srcinfo;
rta__srcinfo *rta__srcinfo_open(void);
/* file: the path the compiler recorded (often absolute). False when pc has
   no line information (no -g, or an object without DWARF). */
bool rta__srcinfo_line(rta__srcinfo *s, uintptr_t pc, char *file, size_t cap, int *line);
void rta__srcinfo_close(rta__srcinfo *s);

/* Frees all cached object tables (called by rta_shutdown; lookups after it re-parse). */
void rta__symbols_reset(void);

#endif
