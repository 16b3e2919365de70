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
	.section .note.GNU-stack, "", @progbits
