/* x86-64 first-frame layout for rta__ctx_switch; see switch.S for offsets. */
#include <stdint.h>
#include <string.h>

#include "../switch.h"

void rta__ctx_trampoline(void);

_Static_assert(RTA__CTX_SAVED_BYTES == 8 + 6 * 8 + 8, "switch.S frame layout changed");

void *rta__ctx_prepare(void *top, void (*entry)(void *), void *arg)
{
    /* top is 16-aligned; after the switch pops the 64-byte frame rsp == top,
     * which is the alignment the trampoline's call needs. */
    uint64_t *sp = (uint64_t *)((uintptr_t)top & ~(uintptr_t)15) - RTA__CTX_SAVED_BYTES / 8;
    memset(sp, 0, RTA__CTX_SAVED_BYTES);
    uint32_t mxcsr = 0x1F80; /* default: all exceptions masked, round to nearest */
    uint16_t fpucw = 0x037F; /* default x87 control word */
    memcpy((char *)sp + 0, &mxcsr, sizeof mxcsr);
    memcpy((char *)sp + 4, &fpucw, sizeof fpucw);
    sp[3] = (uint64_t)(uintptr_t)arg;   /* r13 */
    sp[4] = (uint64_t)(uintptr_t)entry; /* r12 */
    sp[6] = 0;                          /* rbp: end of the frame-pointer chain */
    sp[7] = (uint64_t)(uintptr_t)rta__ctx_trampoline;
    return sp;
}
