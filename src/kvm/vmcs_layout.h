/* vmcs_layout.h: where an Intel CPU keeps each VMCS field inside a VMCS region in memory. Field
 * encodings (and so widths) are architectural, their byte offsets are CPU-specific and
 * undocumented, so a layout comes from a text file (--vmcs-layout), a "VMCSINFO" ELF note in the
 * host dump (same text), or a built-in table for a CPU generation whose layout is public.
 *
 * Text format (one "KEY=value" per line, like VMCOREINFO; '#' starts a comment line; blank lines
 * are ignored; numbers are 0x-prefixed hexadecimal or decimal):
 *   REVISION_ID=0x12        required: VMCS revision identifier (IA32_VMX_BASIC bits 30:0)
 *   SIZE=0x1000             optional: bytes of a VMCS region (IA32_VMX_BASIC bits 44:32), default 4096
 *   NAME=haswell            optional: a label for reports
 *   FIELD(GUEST_RIP)=0x1d8  byte offset of a field from the start of the region; the field's width
 *                           comes from its architectural encoding (16, 32 or 64 bits; natural = 64)
 * Field names are those of Linux's arch/x86/include/asm/vmx.h (GUEST_RIP, EPT_POINTER,
 * VMCS_LINK_POINTER, GUEST_CS_AR_BYTES, ...); a few Rekall spellings are accepted as aliases.
 * FIELD names vmcarve does not use are ignored (counted); any other key is an error. Required:
 * REVISION_ID, FIELD(EPT_POINTER), FIELD(VMCS_LINK_POINTER), FIELD(HOST_CR3), FIELD(HOST_CR4). */
#ifndef VMC_VMCS_LAYOUT_H
#define VMC_VMCS_LAYOUT_H

#include "diag.h"

enum vmc_vmcs_field {
	VMCS_VPID,
	VMCS_EPT_POINTER,
	VMCS_LINK_POINTER,
	VMCS_GUEST_EFER,
	VMCS_ENTRY_CONTROLS,
	VMCS_EXIT_CONTROLS,
	/* segments: selector, limit, access rights, base in this order, ES CS SS DS FS GS LDTR TR */
	VMCS_GUEST_ES_SELECTOR,
	VMCS_GUEST_SEG_LAST = VMCS_GUEST_ES_SELECTOR + 8 * 4 - 1,
	VMCS_GUEST_GDTR_LIMIT,
	VMCS_GUEST_IDTR_LIMIT,
	VMCS_GUEST_GDTR_BASE,
	VMCS_GUEST_IDTR_BASE,
	VMCS_GUEST_CR0,
	VMCS_GUEST_CR3,
	VMCS_GUEST_CR4,
	VMCS_GUEST_RSP,
	VMCS_GUEST_RIP,
	VMCS_GUEST_RFLAGS,
	VMCS_HOST_CR3,
	VMCS_HOST_CR4,
	VMCS_HOST_RIP,
	VMCS_NFIELDS
};

/* Segment field index: seg 0..7 = ES CS SS DS FS GS LDTR TR; part 0..3 = selector limit ar base. */
static inline enum vmc_vmcs_field vmc_vmcs_seg_field(unsigned seg, unsigned part)
{
	return (enum vmc_vmcs_field)(VMCS_GUEST_ES_SELECTOR + seg * 4 + part);
}

#define VMC_VMCS_UNKNOWN 0xffffu

struct vmc_vmcs_layout {
	char name[48];
	char origin[160];         /* "FILE", "VMCSINFO note", "built-in (source)" */
	uint32_t revision_id;
	uint32_t size;            /* bytes of the region the offsets are inside of */
	uint16_t off[VMCS_NFIELDS]; /* byte offset, VMC_VMCS_UNKNOWN when the layout lacks it */
	unsigned nignored;        /* FIELD lines naming fields vmcarve does not use */
};

const char *vmc_vmcs_field_name(enum vmc_vmcs_field f);
uint16_t vmc_vmcs_field_encoding(enum vmc_vmcs_field f);
/* Bytes the field occupies in memory: 2, 4 or 8 (from the encoding's width bits 14:13). */
unsigned vmc_vmcs_field_bytes(enum vmc_vmcs_field f);

/* Parse layout text. origin names it in messages ("FILE: line N: what"). */
enum vmc_status vmc_vmcs_layout_parse(const char *text, size_t len, const char *origin,
				      struct vmc_vmcs_layout *out, struct vmc_diag *d);
/* Read and parse a layout file. */
enum vmc_status vmc_vmcs_layout_load(const char *path, struct vmc_vmcs_layout *out, struct vmc_diag *d);

/* Built-in layouts: index 0..count-1; NULL past the end. */
unsigned vmc_vmcs_builtin_count(void);
const struct vmc_vmcs_layout *vmc_vmcs_builtin(unsigned i);
/* The built-in layout for a revision id, or NULL. */
const struct vmc_vmcs_layout *vmc_vmcs_builtin_for(uint32_t revision_id);

/* Read a field from a region's bytes (region_len >= layout->size); false when the layout lacks it. */
bool vmc_vmcs_get(const struct vmc_vmcs_layout *l, const uint8_t *region, size_t region_len, enum vmc_vmcs_field f,
		  uint64_t *val);
/* The layout as text in the format above (for reports and for generators); returns bytes written
 * (snprintf semantics). */
size_t vmc_vmcs_layout_format(const struct vmc_vmcs_layout *l, char *buf, size_t bufsz);

/* EPTP well-formedness against a host dump (memory type 0/6, 4- or 5-level walk, reserved bits
 * 11:7 and 63:52 clear, root frame RAM and stored); kvm_vmx.c's test, exported for unit tests.
 * On false, why (if given) says what is wrong. */
struct vmc_dump;
bool vmc_vmx_eptp_valid(const struct vmc_dump *host, uint64_t eptp, char *why, size_t whysz);

#endif
