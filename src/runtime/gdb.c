/*
 * What the gdb extension reads, and how gdb finds it (docs/debugging.md).
 *
 * tools/gdb/rtasync-gdb.py adds `info rta-tasks` and `rta-bt ID`. It never
 * calls a function of the program (a core dump has none to call, and a
 * stopped process should not run code for a listing): it reads the task
 * registry (rta__reg_shards, src/core/registry.h) and the engines' objects
 * from memory, by their DWARF types. This file is compiled with -g in every
 * build type (CMakeLists.txt), so those types are described even in a
 * library built without debug info: rta__gdb_info names each type the
 * script reads (the pointer members are never set) and holds the constants
 * that are macros, which DWARF does not keep. Here is the one place that
 * sees the registry and every engine (the top layer).
 *
 * The script is embedded whole in a .debug_gdb_scripts section (gdb's
 * "inlined script", kind 4: a byte 4, the script's name on the first line,
 * its text, a NUL), so gdb loads it with the library or with a program
 * linked statically against it, for a live process and for a core, once
 * the file is on gdb's auto-load safe-path. The section is mergeable
 * strings: two copies (the library linked twice) become one. A strip of
 * debug sections removes it (it then travels with the separate debug file).
 */
#include "../core/internal.h"

#include "../arch/switch.h"
#include "../core/registry.h"
#include "../engine/async1/async1.h"
#include "../engine/cont/cont_internal.h"
#include "../engine/tasklet/tasklet.h"

/* Bumped when a member below or a field the script reads changes meaning;
 * the script refuses a version it does not know. */
#define RTA__GDB_VERSION 2 /* 2: the registry entry describes its wait (wait_kind...) */

struct rta__gdb_info {
    uint32_t version;
    uint32_t nshards;       /* entries of shards */
    uint32_t ctx_fp_offset; /* a suspended tasklet's frame pointer lies at sp + this */
    uint32_t poison;        /* refs of a released task in the debug quarantine */
    uint32_t completing;    /* the task status between pending and done */
    rta__reg_shard *shards;
    const rta_awaiter_ops *task_awaiter, *task_release_awaiter, *vtask_awaiter;
    /* Types only (always NULL / 0). */
    rta__tasklet *tasklet;
    rta__cont_root *cont;
    rta__a1_box *async1;
    rta_async1_sm *async1_sm;
    enum rta__reg_state reg_state;
    enum rta__reg_wait_kind reg_wait_kind;
    rta_status status;
};

RTA__HIDDEN __attribute__((used)) const struct rta__gdb_info rta__gdb_info = {
    .version = RTA__GDB_VERSION,
    .nshards = RTA__REG_SHARDS,
    .ctx_fp_offset = RTA__CTX_FP_OFFSET,
    .poison = RTA__POISON,
    .completing = RTA__COMPLETING,
    .shards = rta__reg_shards,
    .task_awaiter = &rta_task_awaiter,
    .task_release_awaiter = &rta_task_release_awaiter,
    .vtask_awaiter = &rta_vtask_awaiter,
};

/* Referenced by rta_init (runtime.c says why). */
RTA__HIDDEN const char rta__gdb_link = 0;

#ifdef RTA_GDB_SCRIPT
/* RTA_GDB_SCRIPT: the script's absolute path (CMakeLists.txt), which
 * contains no NUL byte and no quote. */
__asm__(".pushsection \".debug_gdb_scripts\", \"MS\", %progbits, 1\n"
        ".byte 4\n"
        ".ascii \"rtasync-gdb.py\\n\"\n"
        ".incbin \"" RTA_GDB_SCRIPT "\"\n"
        ".byte 0\n"
        ".popsection\n");
#endif
