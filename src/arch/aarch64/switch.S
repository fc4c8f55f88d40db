/*
 * AArch64 (AAPCS64, Linux) context switch (see src/arch/switch.h for the
 * contract).
 *
 * Saved frame, at the saved stack pointer (offsets mirrored by
 * RTA__CTX_SAVED_BYTES = 176 and RTA__CTX_FP_OFFSET = 160, checked in
 * context.c):
 *     0   FPCR (8 bytes; written only with RTA_SWITCH_FPU_CONTROL)
 *     8   pad (keeps sp 16-byte aligned, as AArch64 requires)
 *    16   d8    24  d9
 *    32   d10   40  d11
 *    48   d12   56  d13
 *    64   d14   72  d15     (only the low 64 bits of v8-v15 are callee-saved)
 *    80   x19   88  x20
 *    96   x21  104  x22
 *   112   x23  120  x24
 *   128   x25  136  x26
 *   144   x27  152  x28
 *   160   x29 (fp)          } an AAPCS64 frame record directly below the
 *   168   x30 (lr)          } caller's sp, as rbp/return address on x86-64
 * The rest of the register file is caller-saved, so the C caller of
 * rta__ctx_switch has already spilled whatever it needs. x9 and x10 are
 * clobbered (caller-saved scratch). Nothing is kept below sp: AArch64 Linux
 * has no red zone, and a signal may arrive at any instruction.
 */

/* BTI: with -mbranch-protection=bti|standard every indirect-call target
 * needs a landing pad, and the object must carry the BTI property note or
 * the linker drops BTI for the whole program. */
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define RTA_BTI_C hint #34      /* bti c */
#define RTA_USE_RET 1
#else
#define RTA_BTI_C
#endif

    .text
    .globl  rta__ctx_switch
    .hidden rta__ctx_switch
    .type   rta__ctx_switch, %function
    .p2align 4
rta__ctx_switch:
    .cfi_startproc
    RTA_BTI_C
    sub     sp, sp, #176
    .cfi_def_cfa_offset 176
    stp     x29, x30, [sp, #160]
    .cfi_offset x29, -16
    .cfi_offset x30, -8
    stp     x27, x28, [sp, #144]
    .cfi_offset x27, -32
    .cfi_offset x28, -24
    stp     x25, x26, [sp, #128]
    .cfi_offset x25, -48
    .cfi_offset x26, -40
    stp     x23, x24, [sp, #112]
    .cfi_offset x23, -64
    .cfi_offset x24, -56
    stp     x21, x22, [sp, #96]
    .cfi_offset x21, -80
    .cfi_offset x22, -72
    stp     x19, x20, [sp, #80]
    .cfi_offset x19, -96
    .cfi_offset x20, -88
    stp     d14, d15, [sp, #64]
    .cfi_offset d14, -112
    .cfi_offset d15, -104
    stp     d12, d13, [sp, #48]
    .cfi_offset d12, -128
    .cfi_offset d13, -120
    stp     d10, d11, [sp, #32]
    .cfi_offset d10, -144
    .cfi_offset d11, -136
    stp     d8, d9, [sp, #16]
    .cfi_offset d8, -160
    .cfi_offset d9, -152
#ifdef RTA_SWITCH_FPU_CONTROL
    mrs     x9, fpcr
    str     x9, [sp]
#endif
    mov     x10, sp
    str     x10, [x0]
    /* From here on we run on the other context's stack; its saved frame has
     * the same layout, so the CFI above describes it too. */
    mov     sp, x1
#ifdef RTA_SWITCH_FPU_CONTROL
    /* Writing FPCR is a serialising, slow system-register write on many
     * cores, and tasks almost never change it: write only when it differs. */
    ldr     x9, [sp]
    mrs     x10, fpcr
    cmp     x9, x10
    b.eq    1f
    msr     fpcr, x9
1:
#endif
    ldp     d8, d9, [sp, #16]
    ldp     d10, d11, [sp, #32]
    ldp     d12, d13, [sp, #48]
    ldp     d14, d15, [sp, #64]
    ldp     x19, x20, [sp, #80]
    ldp     x21, x22, [sp, #96]
    ldp     x23, x24, [sp, #112]
    ldp     x25, x26, [sp, #128]
    ldp     x27, x28, [sp, #144]
    ldp     x29, x30, [sp, #160]
    add     sp, sp, #176
    .cfi_def_cfa_offset 0
    .cfi_restore x19
    .cfi_restore x20
    .cfi_restore x21
    .cfi_restore x22
    .cfi_restore x23
    .cfi_restore x24
    .cfi_restore x25
    .cfi_restore x26
    .cfi_restore x27
    .cfi_restore x28
    .cfi_restore x29
    .cfi_restore x30
    .cfi_restore d8
    .cfi_restore d9
    .cfi_restore d10
    .cfi_restore d11
    .cfi_restore d12
    .cfi_restore d13
    .cfi_restore d14
    .cfi_restore d15
#ifdef RTA_USE_RET
    /* BTI build: `br` sets PSTATE.BTYPE and the return site (the instruction
     * after a `bl`) is no landing pad, so it would fault in a guarded page.
     * `ret` sets BTYPE to 0; it pays the misprediction described below. */
    ret
#else
    /* br x30 instead of ret: ret is predicted by the return-address stack,
     * whose top is the return site of *this* context's bl (the matching call
     * was made on the other stack), so it would mispredict on every switch;
     * br goes through the indirect-branch predictor, which learns the
     * alternation between the two contexts. */
    br      x30
#endif
    .cfi_endproc
    .size   rta__ctx_switch, .-rta__ctx_switch

/*
 * First code a new context runs: rta__ctx_prepare leaves entry in x19 and its
 * argument in x20 and a zero x29. sp is the 16-byte aligned top of the stack,
 * as AAPCS64 requires at all times. The return address is undefined for
 * unwinders (gdb, libgcc) so backtraces stop at the task's root. Reached by
 * br x30 (or ret in BTI builds); with BTI it needs no landing pad because
 * only ret (BTYPE 0) enters it.
 */
    .globl  rta__ctx_trampoline
    .hidden rta__ctx_trampoline
    .type   rta__ctx_trampoline, %function
    .p2align 4
rta__ctx_trampoline:
    .cfi_startproc
    .cfi_undefined x30
    mov     x0, x20
    blr     x19
    brk     #0                  /* entry must never return */
    .cfi_endproc
    .size   rta__ctx_trampoline, .-rta__ctx_trampoline

#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
/* GNU_PROPERTY_AARCH64_FEATURE_1_AND (0xc0000000), bit 0: BTI. The PAC bit
 * is not claimed: rta__ctx_switch does not sign the lr it saves. */
    .pushsection .note.gnu.property, "a"
    .p2align 3
    .word   4                   /* name size ("GNU\0") */
    .word   16                  /* descriptor size */
    .word   5                   /* NT_GNU_PROPERTY_TYPE_0 */
    .asciz  "GNU"
    .word   0xc0000000          /* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
    .word   4                   /* property data size */
    .word   1                   /* GNU_PROPERTY_AARCH64_FEATURE_1_BTI */
    .word   0                   /* pad to 8 */
    .popsection
#endif

    .section .note.GNU-stack,"",%progbits
