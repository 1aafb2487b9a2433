/* linux_btf.c: parsing BTF blobs copied out of a host dump and answering layout questions. */
#include "linux_btf.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "bigmem.h"
#include "le.h"
#include "symtab.h"

#define BTF_MAGIC 0xeB9F
#define BTF_MAX_TYPES (1u << 24)
#define BTF_MAX_DEPTH 32 /* typedef chains and nested anonymous members */

struct btf_type {
	uint32_t name_off, info, size_type;
};

static unsigned t_kind(const struct btf_type *t) { return (t->info >> 24) & 0x1f; }
static unsigned t_vlen(const struct btf_type *t) { return t->info & 0xffff; }
static bool t_kflag(const struct btf_type *t) { return t->info >> 31; }

/* bytes that follow the common header, or -1 for an unknown kind */
static long extra_len(unsigned kind, unsigned vlen)
{
	switch (kind) {
	case VMC_BTF_INT: case VMC_BTF_VAR: case VMC_BTF_DECL_TAG: return 4;
	case VMC_BTF_ARRAY: return 12;
	case VMC_BTF_STRUCT: case VMC_BTF_UNION: case VMC_BTF_DATASEC: case VMC_BTF_ENUM64: return 12l * vlen;
	case VMC_BTF_ENUM: case VMC_BTF_FUNC_PROTO: return 8l * vlen;
	case VMC_BTF_PTR: case VMC_BTF_FWD: case VMC_BTF_TYPEDEF: case VMC_BTF_VOLATILE: case VMC_BTF_CONST:
	case VMC_BTF_RESTRICT: case VMC_BTF_FUNC: case VMC_BTF_FLOAT: case VMC_BTF_TYPE_TAG: return 0;
	default: return -1;
	}
}

static const char *str_at(const struct vmc_btf *b, uint32_t off);

/* Lookups by name are what the KVM route does thousands of times: index the names once.
 * Types are inserted in id order, so among equal names the probe meets the lowest id first.
 * Only structs and unions are looked up by the layout questions: indexing just them hashes a
 * tenth of vmlinux's names (functions are most of them; issue 14); other kinds are scanned. */
static bool indexed_kind(unsigned kind)
{
	return kind == VMC_BTF_STRUCT || kind == VMC_BTF_UNION;
}

static const char *type_name(const void *arg, uint32_t i)
{
	const struct vmc_btf *b = arg;
	uint32_t name_off;

	memcpy(&name_off, b->types + b->type_off[i], 4);
	return str_at(b, name_off); /* "" for anonymous types: never looked up by name */
}

/* The header's section bounds against the blob: h gets hdr_len, type_off, type_len, str_off, str_len. */
static enum vmc_status check_header(const uint8_t *p, size_t len, uint32_t h[5], struct vmc_diag *d)
{
	if (len < 24 || (p[0] | p[1] << 8) != BTF_MAGIC || p[2] != 1)
		return vmc_fail(d, VMC_ERR_CORRUPT, "BTF: no BTF header (magic 0xeB9F, version 1)");
	for (int i = 0; i < 5; i++)
		h[i] = vmc_le32(p + 4 + 4 * i);
	if (h[0] < 24 || h[0] > len || (uint64_t)h[0] + h[1] + h[2] > len || (uint64_t)h[0] + h[3] + h[4] > len || h[4] == 0)
		return vmc_fail(d, VMC_ERR_CORRUPT, "BTF: sections (types %u+%u, strings %u+%u) exceed the %zu-byte blob",
				h[1], h[2], h[3], h[4], len);
	return VMC_OK;
}

enum vmc_status vmc_btf_parse(const void *data, size_t len, const struct vmc_btf *base, struct vmc_btf **out,
			      struct vmc_diag *d)
{
	uint32_t h[5];
	void *copy;
	enum vmc_status rc;

	*out = NULL;
	if ((rc = check_header(data, len, h, d)))
		return rc;
	if (!(copy = malloc(len)))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	memcpy(copy, data, len);
	return vmc_btf_parse_owned(copy, len, base, out, d);
}

/* Every type's offset into b->type_off, and the structs and unions with a name into named. Both
 * arrays are sized for the most types the section can hold (12 bytes each) in one bigmem block:
 * a vmlinux has 10^5 types, and growing arrays page by page faults in fresh pages, each dear
 * under virtualisation (issue 14). */
static enum vmc_status walk_types(struct vmc_btf *b, uint32_t **named, uint32_t *nnamed, struct vmc_diag *d)
{
	size_t cap = b->types_len / 12, bytes;

	if (cap > BTF_MAX_TYPES)
		cap = BTF_MAX_TYPES;
	bytes = 2 * (cap + 1) * sizeof(uint32_t);
	if (bytes >= (size_t)256 << 10 && bytes < (size_t)1 << 20)
		bytes = (size_t)1 << 20; /* one huge page rather than a few hundred small ones */
	if (!(b->type_off = vmc_bigmem_alloc(bytes)))
		return vmc_fail(d, VMC_ERR_NOMEM, "BTF: too many types");
	b->type_off_bytes = bytes;
	*named = b->type_off + cap + 1;
	for (size_t pos = 0; pos < b->types_len;) {
		struct btf_type t;
		long extra;
		if (b->types_len - pos < 12)
			return vmc_fail(d, VMC_ERR_CORRUPT, "BTF: type %u is cut at offset %zu", b->start_id + b->ntypes, pos);
		memcpy(&t, b->types + pos, 12);
		extra = extra_len(t_kind(&t), t_vlen(&t));
		if (extra < 0 || (size_t)extra > b->types_len - pos - 12)
			return vmc_fail(d, VMC_ERR_CORRUPT, "BTF: type %u (kind %u) at offset %zu is unknown or cut",
					b->start_id + b->ntypes, t_kind(&t), pos);
		if (b->ntypes == cap) /* only at BTF_MAX_TYPES: a type is at least 12 bytes */
			return vmc_fail(d, VMC_ERR_LIMIT, "BTF: too many types");
		if (indexed_kind(t_kind(&t)) && t.name_off)
			(*named)[(*nnamed)++] = b->ntypes;
		b->type_off[b->ntypes++] = (uint32_t)pos;
		pos += 12 + (size_t)extra;
	}
	return VMC_OK;
}

/* Parse data (owned: freed with the result, or at once on failure). */
static enum vmc_status parse(const void *data, bool owned, size_t len, const struct vmc_btf *base, struct vmc_btf **out,
			     struct vmc_diag *d)
{
	uint32_t hdr_len, type_off, type_len, str_off, str_len, h[5];
	struct vmc_btf *b;
	uint32_t *named = NULL, nnamed = 0; /* the types to index */
	enum vmc_status rc;

	*out = NULL;
	if ((rc = check_header(data, len, h, d)) || !(b = calloc(1, sizeof(*b)))) {
		if (owned)
			free((void *)data);
		return rc ? rc : vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	hdr_len = h[0], type_off = h[1], type_len = h[2], str_off = h[3], str_len = h[4];
	b->data = data;
	b->owns_data = owned;
	b->len = len;
	b->base = base;
	b->types = b->data + hdr_len + type_off;
	b->types_len = type_len;
	b->strs = (const char *)b->data + hdr_len + str_off;
	b->strs_len = str_len;
	if (b->strs[str_len - 1] != '\0') {
		vmc_btf_free(b);
		return vmc_fail(d, VMC_ERR_CORRUPT, "BTF: the string section does not end in NUL");
	}
	b->start_id = base ? base->start_id + base->ntypes : 1;
	b->start_str = base ? base->start_str + base->strs_len : 0;
	rc = walk_types(b, &named, &nnamed, d);
	if (!rc && vmc_name_index_build(&b->name_index, &b->name_mask, nnamed, named, type_name, b))
		rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory for a BTF index");
	if (rc) {
		vmc_btf_free(b);
		return rc;
	}
	*out = b;
	return VMC_OK;
}

enum vmc_status vmc_btf_parse_owned(void *data, size_t len, const struct vmc_btf *base, struct vmc_btf **out,
				    struct vmc_diag *d)
{
	return parse(data, true, len, base, out, d);
}

enum vmc_status vmc_btf_parse_view(const void *data, size_t len, const struct vmc_btf *base, struct vmc_btf **out,
				   struct vmc_diag *d)
{
	return parse(data, false, len, base, out, d);
}

void vmc_btf_free(struct vmc_btf *btf)
{
	if (!btf)
		return;
	free(btf->name_index);
	vmc_bigmem_free(btf->type_off, btf->type_off_bytes);
	if (btf->owns_data)
		free((void *)btf->data);
	free(btf);
}

static const char *str_at(const struct vmc_btf *b, uint32_t off)
{
	while (b && off < b->start_str)
		b = b->base;
	if (!b || off - b->start_str >= b->strs_len)
		return "";
	return b->strs + (off - b->start_str);
}

/* The record of type id (NULL for void or an id out of range); *owner gets its blob. */
static const uint8_t *type_at(const struct vmc_btf *b, uint32_t id, struct btf_type *t)
{
	while (b && id < b->start_id)
		b = b->base;
	if (!b || id == 0 || id - b->start_id >= b->ntypes)
		return NULL;
	memcpy(t, b->types + b->type_off[id - b->start_id], 12);
	return b->types + b->type_off[id - b->start_id];
}

/* Type i of b is `kind name` with a body. */
static bool is_named(const struct vmc_btf *btf, const struct vmc_btf *b, uint32_t i, const char *name, unsigned kind)
{
	struct btf_type t;

	memcpy(&t, b->types + b->type_off[i], 12);
	if (t_kind(&t) != kind || strcmp(str_at(btf, t.name_off), name))
		return false;
	/* an empty declaration: look for the body */
	return !((kind == VMC_BTF_STRUCT || kind == VMC_BTF_UNION) && t.size_type == 0 && t_vlen(&t) == 0);
}

uint32_t vmc_btf_find(const struct vmc_btf *btf, const char *name, unsigned kind)
{
	uint32_t h = vmc_name_hash(name);

	if (!name[0])
		return 0;
	for (const struct vmc_btf *b = btf; b; b = b->base) {
		if (!indexed_kind(kind)) {
			for (uint32_t i = 0; i < b->ntypes; i++)
				if (is_named(btf, b, i, name, kind))
					return b->start_id + i;
			continue;
		}
		for (uint32_t slot = h & b->name_mask; b->name_index && b->name_index[slot];
		     slot = (slot + 1) & b->name_mask)
			if (is_named(btf, b, b->name_index[slot] - 1, name, kind))
				return b->start_id + b->name_index[slot] - 1;
	}
	return 0;
}

/* Strip typedefs and qualifiers. */
static uint32_t resolve(const struct vmc_btf *b, uint32_t id, struct btf_type *t)
{
	for (int depth = 0; depth < BTF_MAX_DEPTH; depth++) {
		if (!type_at(b, id, t))
			return 0;
		switch (t_kind(t)) {
		case VMC_BTF_TYPEDEF: case VMC_BTF_VOLATILE: case VMC_BTF_CONST: case VMC_BTF_RESTRICT:
		case VMC_BTF_TYPE_TAG:
			id = t->size_type;
			continue;
		default:
			return id;
		}
	}
	return 0;
}

static enum vmc_status size_of(const struct vmc_btf *b, uint32_t id, uint64_t *size, int depth, struct vmc_diag *d)
{
	struct btf_type t;
	const uint8_t *rec;

	if (depth > BTF_MAX_DEPTH || !(id = resolve(b, id, &t)) || !(rec = type_at(b, id, &t)))
		return vmc_fail(d, VMC_ERR_CORRUPT, "BTF: type %u has no size", id);
	switch (t_kind(&t)) {
	case VMC_BTF_INT: case VMC_BTF_STRUCT: case VMC_BTF_UNION: case VMC_BTF_ENUM: case VMC_BTF_ENUM64:
	case VMC_BTF_FLOAT:
		*size = t.size_type;
		return VMC_OK;
	case VMC_BTF_PTR:
		*size = 8;
		return VMC_OK;
	case VMC_BTF_ARRAY: {
		uint64_t es;
		enum vmc_status rc = size_of(b, vmc_le32(rec + 12), &es, depth + 1, d);
		if (rc)
			return rc;
		*size = es * vmc_le32(rec + 20);
		return VMC_OK;
	}
	default:
		return vmc_fail(d, VMC_ERR_CORRUPT, "BTF: type %u (kind %u) has no size", id, t_kind(&t));
	}
}

enum vmc_status vmc_btf_type_size(const struct vmc_btf *btf, uint32_t id, uint64_t *size, struct vmc_diag *d)
{
	return size_of(btf, id, size, 0, d);
}

/* Find member `name` in struct/union id, descending into anonymous members. */
static bool find_member(const struct vmc_btf *b, uint32_t id, const char *name, size_t nlen, uint64_t *bits,
			uint32_t *bitsize, uint32_t *mtype, int depth)
{
	struct btf_type t;
	const uint8_t *rec;

	if (depth > BTF_MAX_DEPTH || !(id = resolve(b, id, &t)) || !(rec = type_at(b, id, &t)) ||
	    (t_kind(&t) != VMC_BTF_STRUCT && t_kind(&t) != VMC_BTF_UNION))
		return false;
	for (unsigned i = 0; i < t_vlen(&t); i++) {
		const uint8_t *m = rec + 12 + 12 * i;
		const char *mn = str_at(b, vmc_le32(m));
		uint32_t off = vmc_le32(m + 8), bsz = 0;
		if (t_kflag(&t))
			bsz = off >> 24, off &= 0xffffff;
		if (strlen(mn) == nlen && memcmp(mn, name, nlen) == 0) {
			*bits = off;
			*bitsize = bsz;
			*mtype = vmc_le32(m + 4);
			return true;
		}
		if (!*mn && find_member(b, vmc_le32(m + 4), name, nlen, bits, bitsize, mtype, depth + 1)) {
			*bits += off;
			return true;
		}
	}
	return false;
}

enum vmc_status vmc_btf_member(const struct vmc_btf *btf, uint32_t struct_id, const char *path,
			       struct vmc_lmember *m, struct vmc_diag *d)
{
	uint64_t total_bits = 0, bits = 0;
	uint32_t id = struct_id, bitsize = 0, mtype = 0;
	struct btf_type t;
	const uint8_t *rec;
	const char *p = path;
	enum vmc_status rc;

	memset(m, 0, sizeof(*m));
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (!find_member(btf, id, p, n, &bits, &bitsize, &mtype, 0))
			return vmc_fail(d, VMC_ERR_MISSING, "BTF: no member '%.*s' in '%s'", (int)n, p, path);
		total_bits += bits;
		id = mtype;
		p += n + (dot ? 1 : 0);
	}
	if (!(id = resolve(btf, mtype, &t)) || !(rec = type_at(btf, id, &t)))
		return vmc_fail(d, VMC_ERR_CORRUPT, "BTF: member '%s' has a broken type", path);
	if (!bitsize && t_kind(&t) == VMC_BTF_INT) { /* old-style bitfield: the size is in the int */
		uint32_t enc = vmc_le32(rec + 12), nr_bits = enc & 0xff;
		if (nr_bits != t.size_type * 8)
			bitsize = nr_bits, total_bits += (enc >> 16) & 0xff;
	}
	m->offset = total_bits / 8;
	m->bit_offset = bitsize ? (uint32_t)(total_bits % 8) : 0;
	m->bit_size = bitsize;
	if (!bitsize && total_bits % 8)
		return vmc_fail(d, VMC_ERR_CORRUPT, "BTF: member '%s' is not byte-aligned", path);
	if ((rc = size_of(btf, id, &m->size, 0, d)))
		return rc;
	m->is_ptr = t_kind(&t) == VMC_BTF_PTR;
	if (t_kind(&t) == VMC_BTF_ARRAY) {
		m->nelems = vmc_le32(rec + 20);
		if ((rc = size_of(btf, vmc_le32(rec + 12), &m->elem_size, 0, d)))
			return rc;
	}
	return VMC_OK;
}

static const struct vmc_btf *set_unit(const struct vmc_btf_set *set, const char *unit)
{
	if (!strcmp(unit, "vmlinux"))
		return set->vmlinux;
	for (unsigned i = 0; i < set->nmods; i++)
		if (!strcmp(set->mods[i].name, unit))
			return set->mods[i].btf;
	return NULL;
}

static uint32_t set_struct(const struct vmc_btf *b, const char *sname)
{
	uint32_t id = vmc_btf_find(b, sname, VMC_BTF_STRUCT);
	return id ? id : vmc_btf_find(b, sname, VMC_BTF_UNION);
}

static enum vmc_status set_member(void *ctx, const char *unit, const char *sname, const char *path,
				  struct vmc_lmember *m, struct vmc_diag *d)
{
	const struct vmc_btf *b = set_unit(ctx, unit);
	uint32_t id;
	enum vmc_status rc;

	if (!b)
		return vmc_fail(d, VMC_ERR_MISSING, "no BTF for %s", unit);
	if (!(id = set_struct(b, sname)))
		return vmc_fail(d, VMC_ERR_MISSING, "%s BTF has no struct %s", unit, sname);
	if ((rc = vmc_btf_member(b, id, path, m, d)))
		return vmc_wrap(d, rc, "%s BTF, struct %s", unit, sname);
	return VMC_OK;
}

static enum vmc_status set_size(void *ctx, const char *unit, const char *sname, uint64_t *size, struct vmc_diag *d)
{
	const struct vmc_btf *b = set_unit(ctx, unit);
	uint32_t id;

	if (!b)
		return vmc_fail(d, VMC_ERR_MISSING, "no BTF for %s", unit);
	if (!(id = set_struct(b, sname)))
		return vmc_fail(d, VMC_ERR_MISSING, "%s BTF has no struct %s", unit, sname);
	return vmc_btf_type_size(b, id, size, d);
}

void vmc_btf_set_types(struct vmc_btf_set *set, struct vmc_ltypes *out)
{
	out->name = "BTF";
	out->ctx = set;
	out->member = set_member;
	out->size = set_size;
}
