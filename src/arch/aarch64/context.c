/* AArch64 first-frame layout for rta__ctx_switch; see switch.S for offsets. */
#include <stdint.h>
#include <string.h>

#include "../switch.h"

void rta__ctx_trampoline(void);

/* FPCR + pad, d8-d15, x19-x28, x29/x30 frame record. */
_Static_assert(RTA__CTX_SAVED_BYTES == 16 + 8 * 8 + 10 * 8 + 2 * 8, "switch.S frame layout changed");
_Static_assert(RTA__CTX_SAVED_BYTES % 16 == 0, "AArch64 sp must stay 16-byte aligned");
_Static_assert(RTA__CTX_FP_OFFSET == 160, "switch.S saves x29 at offset 160");

enum {
    SLOT_FPCR = 0,
    SLOT_X19 = 80 / 8,
    SLOT_X20 = 88 / 8,
    SLOT_X29 = RTA__CTX_FP_OFFSET / 8,
    SLOT_X30 = 168 / 8,
};

void *rta__ctx_prepare(void *top, void (*entry)(void *), void *arg)
{
    /* top is 16-aligned; after the switch drops the 176-byte frame sp == top,
     * which is the alignment AAPCS64 requires everywhere. */
    uint64_t *sp = (uint64_t *)((uintptr_t)top & ~(uintptr_t)15) - RTA__CTX_SAVED_BYTES / 8;
    memset(sp, 0, RTA__CTX_SAVED_BYTES);
    sp[SLOT_FPCR] = 0; /* Linux default: round to nearest, no traps */
    sp[SLOT_X19] = (uint64_t)(uintptr_t)entry;
    sp[SLOT_X20] = (uint64_t)(uintptr_t)arg;
    sp[SLOT_X29] = 0; /* end of the frame-pointer chain */
    sp[SLOT_X30] = (uint64_t)(uintptr_t)rta__ctx_trampoline;
    return sp;
}
