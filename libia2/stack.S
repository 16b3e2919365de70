/* void *__ia2_run_on_stack(void *(*fn)(void *), void *arg, uintptr_t top)
 * Calls fn(arg) on the stack that ends at top. rbp keeps the old stack,
 * and the CFI says so, so an unwinder (pthread_exit, cancellation) can
 * walk out of the new stack into glibc's start_thread. */
	.text
	.globl __ia2_run_on_stack
	.hidden __ia2_run_on_stack
	.type __ia2_run_on_stack, @function
__ia2_run_on_stack:
	.cfi_startproc
	endbr64
	push %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov %rsp, %rbp
	.cfi_def_cfa_register %rbp
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsp
	call *%rax
	mov %rbp, %rsp
	pop %rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size __ia2_run_on_stack, .-__ia2_run_on_stack
/* void __ia2_indirect_slow(void), called by a compartment DSO's
 * indirect-branch thunk (objrewrite/branches.c) with the branch's
 * target pushed just above its return address. The branch's arguments
 * are in rdi..r9, rax (al: a variadic call's vector count) and
 * xmm0..xmm7, and a jump table's code keeps values in any register: all
 * of them are kept across check_indirect_branch, which returns only if
 * the target is allowed. The upper halves of ymm and zmm arguments are
 * not kept (C code passes none through a pointer here). */
	.globl __ia2_indirect_slow
	.type __ia2_indirect_slow, @function
__ia2_indirect_slow:
	.cfi_startproc
	endbr64
	push %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov %rsp, %rbp
	.cfi_def_cfa_register %rbp
	and $-16, %rsp
	sub $208, %rsp
	mov %rax, 0(%rsp)
	mov %rcx, 8(%rsp)
	mov %rdx, 16(%rsp)
	mov %rsi, 24(%rsp)
	mov %rdi, 32(%rsp)
	mov %r8, 40(%rsp)
	mov %r9, 48(%rsp)
	mov %r10, 56(%rsp)
	mov %r11, 64(%rsp)
	movdqa %xmm0, 80(%rsp)
	movdqa %xmm1, 96(%rsp)
	movdqa %xmm2, 112(%rsp)
	movdqa %xmm3, 128(%rsp)
	movdqa %xmm4, 144(%rsp)
	movdqa %xmm5, 160(%rsp)
	movdqa %xmm6, 176(%rsp)
	movdqa %xmm7, 192(%rsp)
	mov 16(%rbp), %rdi
	mov 8(%rbp), %rsi
	cld
	call check_indirect_branch
	mov 0(%rsp), %rax
	mov 8(%rsp), %rcx
	mov 16(%rsp), %rdx
	mov 24(%rsp), %rsi
	mov 32(%rsp), %rdi
	mov 40(%rsp), %r8
	mov 48(%rsp), %r9
	mov 56(%rsp), %r10
	mov 64(%rsp), %r11
	movdqa 80(%rsp), %xmm0
	movdqa 96(%rsp), %xmm1
	movdqa 112(%rsp), %xmm2
	movdqa 128(%rsp), %xmm3
	movdqa 144(%rsp), %xmm4
	movdqa 160(%rsp), %xmm5
	movdqa 176(%rsp), %xmm6
	movdqa 192(%rsp), %xmm7
	leave
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size __ia2_indirect_slow, .-__ia2_indirect_slow
	.section .note.GNU-stack, "", @progbits
