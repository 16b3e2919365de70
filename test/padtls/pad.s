# An empty .tbss piece aligned to a page, linked last: it page-aligns a
# DSO's TLS image, so that padtls can pad it after linking (ia2-cc links
# one in every compartment DSO with TLS).
	.section .tbss, "awT", @nobits
	.balign 4096
	.section .note.GNU-stack, "", @progbits
