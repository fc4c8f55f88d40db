/*
 * x86-64 System V context switch (see src/arch/switch.h for the contract).
 *
 * Saved frame, at the saved stack pointer (offsets mirrored by
 * RTA__CTX_SAVED_BYTES and checked in context.c):
 *     0   MXCSR (4 bytes) | x87 control word (2 bytes) | pad
 *     8   r15
 *    16   r14
 *    24   r13
 *    32   r12
 *    40   rbx
 *    48   rbp
 *    56   return address
 * The rest of the register file is caller-saved, so the C caller of
 * rta__ctx_switch has already spilled whatever it needs. rax and rcx are
 * clobbered (caller-saved). The 8 bytes below the loaded stack pointer are
 * scratch: they belong to the red zone of a context that is not running.
 */
    .text
    .globl  rta__ctx_switch
    .hidden rta__ctx_switch
    .type   rta__ctx_switch, @function
    .p2align 4
rta__ctx_switch:
    .cfi_startproc
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rbp, 0
    pushq   %rbx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rbx, 0
    pushq   %r12
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r12, 0
    pushq   %r13
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r13, 0
    pushq   %r14
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r14, 0
    pushq   %r15
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r15, 0
    subq    $8, %rsp
    .cfi_adjust_cfa_offset 8
#ifdef RTA_SWITCH_FPU_CONTROL
    stmxcsr (%rsp)
    fnstcw  4(%rsp)
#endif
    movq    %rsp, (%rdi)
    /* From here on we run on the other context's stack; its saved frame has
     * the same layout, so the CFI above describes it too. */
    movq    %rsi, %rsp
#ifdef RTA_SWITCH_FPU_CONTROL
    /* Loading MXCSR / the x87 control word stalls the pipeline, and tasks
     * almost never change them: load only when they differ. */
    stmxcsr -8(%rsp)
    movl    -8(%rsp), %eax
    cmpl    (%rsp), %eax
    jne     .Lload_mxcsr
.Lmxcsr_done:
    fnstcw  -8(%rsp)
    movzwl  -8(%rsp), %eax
    cmpw    4(%rsp), %ax
    jne     .Lload_fpucw
.Lfpucw_done:
#endif
    addq    $8, %rsp
    .cfi_adjust_cfa_offset -8
    popq    %r15
    .cfi_adjust_cfa_offset -8
    popq    %r14
    .cfi_adjust_cfa_offset -8
    popq    %r13
    .cfi_adjust_cfa_offset -8
    popq    %r12
    .cfi_adjust_cfa_offset -8
    popq    %rbx
    .cfi_adjust_cfa_offset -8
    popq    %rbp
    .cfi_adjust_cfa_offset -8
    /* pop + indirect jump instead of ret: a ret here would always miss the
     * return-stack predictor (the matching call was made on the other
     * stack), while the indirect-branch predictor learns the alternation. */
    popq    %rcx
    .cfi_adjust_cfa_offset -8
    jmpq    *%rcx
#ifdef RTA_SWITCH_FPU_CONTROL
.Lload_mxcsr:
    .cfi_adjust_cfa_offset 64
    ldmxcsr (%rsp)
    jmp     .Lmxcsr_done
.Lload_fpucw:
    fldcw   4(%rsp)
    jmp     .Lfpucw_done
#endif
    .cfi_endproc
    .size   rta__ctx_switch, .-rta__ctx_switch

/*
 * First code a new context runs: rta__ctx_prepare leaves entry in r12 and its
 * argument in r13 and a zero rbp. The stack is 16-byte aligned here, as the
 * ABI requires at a call. The return address is undefined for unwinders
 * (gdb, libgcc) so backtraces stop at the task's root.
 */
    .globl  rta__ctx_trampoline
    .hidden rta__ctx_trampoline
    .type   rta__ctx_trampoline, @function
    .p2align 4
rta__ctx_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq    %r13, %rdi
    callq   *%r12
    ud2                         /* entry must never return */
    .cfi_endproc
    .size   rta__ctx_trampoline, .-rta__ctx_trampoline

    .section .note.GNU-stack,"",@progbits
