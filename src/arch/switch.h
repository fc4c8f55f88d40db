/*
 * Machine context switch: the only architecture-specific code of the tasklet
 * engine. One implementation per architecture lives in src/arch/<arch>/.
 *
 * Contract (every architecture):
 *  - rta__ctx_switch(save, load) saves the callee-saved registers, the
 *    floating-point control state and the return address *on the current
 *    stack*, stores the resulting stack pointer in *save, then loads the stack
 *    pointer `load` (a value an earlier switch stored, or one prepared by
 *    rta__ctx_prepare) and returns into that context.
 *  - Everything a suspended context needs is therefore in memory between its
 *    saved stack pointer and the top of its stack. That is what makes the
 *    tasklet engine's copy-out/copy-back of [sp, top) a complete capture.
 *  - rta__ctx_prepare(top, entry, arg) lays out a first frame below `top`
 *    (which must be 16-byte aligned) such that switching to the returned
 *    stack pointer calls entry(arg) with an ABI-conformant stack, a zero frame
 *    pointer (the end of every frame-pointer walk) and an unwinder-terminating
 *    return address. entry must never return.
 */
#ifndef RTA_ARCH_SWITCH_H
#define RTA_ARCH_SWITCH_H

#include <stddef.h>

void rta__ctx_switch(void **save, void *load);
void *rta__ctx_prepare(void *top, void (*entry)(void *), void *arg);

/* Bytes rta__ctx_switch keeps on a suspended stack below the caller's frame. */
#if defined(__x86_64__)
#define RTA__CTX_SAVED_BYTES 64
/* Offset of the saved frame pointer in the saved area (for frame walks). */
#define RTA__CTX_FP_OFFSET 48
#elif defined(__aarch64__)
/* FPCR + pad, d8-d15, x19-x28, then the x29/x30 frame record at the top. */
#define RTA__CTX_SAVED_BYTES 176
#define RTA__CTX_FP_OFFSET 160
#else
#error "rtasync: no context switch for this architecture (add src/arch/<arch>/switch.S)"
#endif

#endif
