/* linux_btf.h: a small reader of the BPF Type Format (the kernel's compact type info, in
 * memory at __start_BTF.. for vmlinux and per module as split BTF on top of vmlinux's):
 * types by name, struct member offsets by dotted path (anonymous members, bitfields). */
#ifndef VMC_LINUX_BTF_H
#define VMC_LINUX_BTF_H

#include "linux_types.h"

enum {
	VMC_BTF_INT = 1, VMC_BTF_PTR, VMC_BTF_ARRAY, VMC_BTF_STRUCT, VMC_BTF_UNION, VMC_BTF_ENUM, VMC_BTF_FWD,
	VMC_BTF_TYPEDEF, VMC_BTF_VOLATILE, VMC_BTF_CONST, VMC_BTF_RESTRICT, VMC_BTF_FUNC, VMC_BTF_FUNC_PROTO,
	VMC_BTF_VAR, VMC_BTF_DATASEC, VMC_BTF_FLOAT, VMC_BTF_DECL_TAG, VMC_BTF_TYPE_TAG, VMC_BTF_ENUM64,
};

struct vmc_btf {
	const struct vmc_btf *base; /* split BTF: the vmlinux BTF it extends */
	const uint8_t *data;        /* the blob: an owned copy, or a view (below) */
	bool owns_data;
	size_t len;
	const uint8_t *types;       /* type section */
	const char *strs;
	uint32_t types_len, strs_len;
	uint32_t start_id;          /* id of this blob's first type */
	uint32_t start_str;         /* string offsets below this are the base's */
	uint32_t ntypes;
	uint32_t *type_off;         /* offset of each type record in the type section (bigmem) */
	size_t type_off_bytes;      /* its mapping, shared with the parse's own list of names */
	uint32_t *name_index;       /* open-addressing index by name: type index + 1, 0 = empty */
	uint32_t name_mask;
};

/* Parse (and copy) a blob; base is NULL for vmlinux BTF, vmlinux's for a module's. */
enum vmc_status vmc_btf_parse(const void *data, size_t len, const struct vmc_btf *base, struct vmc_btf **out,
			      struct vmc_diag *d);
/* The same, taking a malloc'ed blob instead of copying it (a vmlinux's is megabytes); it is
 * freed on failure. */
enum vmc_status vmc_btf_parse_owned(void *data, size_t len, const struct vmc_btf *base, struct vmc_btf **out,
				    struct vmc_diag *d);
/* The same without a copy, for a blob that stays valid and unchanged while the result lives
 * (the dump's own mapping: a vmlinux's BTF is 4 MiB, and a copy's first touch of fresh pages
 * is dear under virtualisation; issue 14). */
enum vmc_status vmc_btf_parse_view(const void *data, size_t len, const struct vmc_btf *base, struct vmc_btf **out,
				   struct vmc_diag *d);
void vmc_btf_free(struct vmc_btf *btf);

/* The id of the first type of that kind and name with a body (0: none). Searches a split
 * blob before its base. */
uint32_t vmc_btf_find(const struct vmc_btf *btf, const char *name, unsigned kind);
enum vmc_status vmc_btf_member(const struct vmc_btf *btf, uint32_t struct_id, const char *path,
			       struct vmc_lmember *m, struct vmc_diag *d);
enum vmc_status vmc_btf_type_size(const struct vmc_btf *btf, uint32_t id, uint64_t *size, struct vmc_diag *d);

/* The BTF provider of linux_types.h over vmlinux BTF plus module BTFs (not owned). */
#define VMC_BTF_SET_MAX 8
struct vmc_btf_set {
	const struct vmc_btf *vmlinux;
	struct {
		char name[64];
		const struct vmc_btf *btf;
	} mods[VMC_BTF_SET_MAX];
	unsigned nmods;
};
void vmc_btf_set_types(struct vmc_btf_set *set, struct vmc_ltypes *out);

#endif
