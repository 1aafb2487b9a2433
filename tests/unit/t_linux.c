/* t_linux.c: the KVM memslot route's parsers on small hand-made inputs: kallsyms tables
 * (token decoding, 1- and 2-byte lengths, both address modes, corrupt tables), BTF blobs
 * (nested and anonymous members, bitfields, arrays, typedefs, split BTF, corrupt blobs),
 * the user page-table walk (4K/2M leaves, PROT_NONE inversion, swap entries, SME bit,
 * clipping, loops) and vmc_linux_kvm_find's diagnostics on dumps without the route. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "linux_btf.h"
#include "linux_kallsyms.h"
#include "linux_kvm.h"
#include "testdump.h"

static struct vmc_diag d;

/* ---- kallsyms ---- */

/* token id 0x80 = "_bar", 0x81 = "foo"; every other id is its own character */
struct ktab {
	uint8_t tt[1024];
	uint16_t ti[256];
	size_t ttlen;
	uint8_t names[2048];
	size_t nlen;
};

static void ktab_init(struct ktab *k)
{
	memset(k, 0, sizeof(*k));
	for (unsigned t = 0; t < 256; t++) {
		const char *tok = t == 0x80 ? "_bar" : t == 0x81 ? "foo" : NULL;
		k->ti[t] = (uint16_t)k->ttlen;
		if (tok) {
			memcpy(k->tt + k->ttlen, tok, strlen(tok) + 1);
			k->ttlen += strlen(tok) + 1;
		} else {
			k->tt[k->ttlen++] = t ? (uint8_t)t : 'x';
			k->tt[k->ttlen++] = 0;
		}
	}
}

static void ktab_add(struct ktab *k, const uint8_t *ids, size_t n)
{
	if (n > 127) {
		k->names[k->nlen++] = (uint8_t)(0x80 | (n & 0x7f));
		k->names[k->nlen++] = (uint8_t)(n >> 7);
	} else {
		k->names[k->nlen++] = (uint8_t)n;
	}
	memcpy(k->names + k->nlen, ids, n);
	k->nlen += n;
}

static void raw_of(struct ktab *k, const int32_t *offs, uint32_t n, struct vmc_kallsyms_raw *r)
{
	memset(r, 0, sizeof(*r));
	r->names = k->names;
	r->names_len = k->nlen;
	r->token_table = k->tt;
	r->token_table_len = k->ttlen;
	r->token_index = k->ti;
	r->offsets = offs;
	r->num_syms = n;
	r->relative_base = 0xffffffff81000000ull;
}

TEST(kallsyms_decodes_tokens_lengths_and_both_address_modes)
{
	struct ktab k;
	struct vmc_kallsyms ks;
	struct vmc_kallsyms_raw raw;
	uint8_t long_ids[200];
	int32_t offs[3] = { 0x1000, 0x2345, 0x40 };
	uint64_t a;
	char type;
	char longname[201];

	ktab_init(&k);
	ktab_add(&k, (const uint8_t[]){ 'T', 0x81 }, 2);            /* "Tfoo" */
	ktab_add(&k, (const uint8_t[]){ 'd', 0x81, 0x80, 'z' }, 4); /* "dfoo_barz" */
	long_ids[0] = 'D';
	for (int i = 1; i < 200; i++)
		long_ids[i] = 'a' + i % 26;
	ktab_add(&k, long_ids, 200); /* 2-byte length */
	raw_of(&k, offs, 3, &raw);
	vmc_diag_init(&d);
	REQUIRE(vmc_kallsyms_decode(&raw, VMC_KSYMS_RELATIVE, &ks, &d) == VMC_OK);
	CHECK_EQ(ks.n, 3);
	CHECK(vmc_kallsyms_lookup(&ks, "foo", &a, &type));
	CHECK_EQ(a, 0xffffffff81001000ull);
	CHECK_EQ(type, 'T');
	CHECK(vmc_kallsyms_lookup(&ks, "foo_barz", &a, &type));
	CHECK_EQ(a, 0xffffffff81002345ull);
	CHECK_EQ(type, 'd');
	for (int i = 1; i < 200; i++)
		longname[i - 1] = (char)long_ids[i];
	longname[199] = 0;
	CHECK(vmc_kallsyms_lookup(&ks, longname, &a, NULL));
	CHECK_EQ(a, 0xffffffff81000040ull);
	CHECK(!vmc_kallsyms_lookup(&ks, "fo", &a, NULL));
	vmc_kallsyms_free(&ks);

	/* absolute per-cpu: >= 0 is absolute, < 0 counts down from relative_base - 1 */
	offs[0] = 0x1a000;
	offs[1] = -1 - 0x2345;
	REQUIRE(vmc_kallsyms_decode(&raw, VMC_KSYMS_ABS_PERCPU, &ks, &d) == VMC_OK);
	CHECK(vmc_kallsyms_lookup(&ks, "foo", &a, NULL));
	CHECK_EQ(a, 0x1a000);
	CHECK(vmc_kallsyms_lookup(&ks, "foo_barz", &a, NULL));
	CHECK_EQ(a, 0xffffffff81002345ull);
	vmc_kallsyms_free(&ks);
}

/* Lookups compare the compressed entries: a name split across tokens differently, a token that
 * carries the type letter with the first characters, prefixes and duplicates. */
TEST(kallsyms_lookup_matches_whole_names_first_in_table_order)
{
	struct ktab k;
	struct vmc_kallsyms ks;
	struct vmc_kallsyms_raw raw;
	int32_t offs[6] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60 };
	uint64_t a;
	char type;

	ktab_init(&k);
	ktab_add(&k, (const uint8_t[]){ 'T', 'f', 'o' }, 3);             /* "Tfo" */
	ktab_add(&k, (const uint8_t[]){ 't', 0x81, '_', 'b', 'a', 'r' }, 6); /* "tfoo_bar" */
	ktab_add(&k, (const uint8_t[]){ 'D', 'f', 'o', 'o', 0x80 }, 5);   /* "Dfoo_bar": a duplicate, other tokens */
	ktab_add(&k, (const uint8_t[]){ 'T' }, 1);                       /* a type letter, no name */
	ktab_add(&k, (const uint8_t[]){ 'T', 0x81, 0x80, 0x80 }, 4);      /* "Tfoo_bar_bar" */
	ktab_add(&k, (const uint8_t[]){ 'r', 'z' }, 2);                  /* "rz" */
	raw_of(&k, offs, 6, &raw);
	vmc_diag_init(&d);
	REQUIRE(vmc_kallsyms_decode(&raw, VMC_KSYMS_RELATIVE, &ks, &d) == VMC_OK);
	CHECK(vmc_kallsyms_lookup(&ks, "foo_bar", &a, &type));
	CHECK_EQ(a, 0xffffffff81000020ull); /* the first of the two */
	CHECK_EQ(type, 't');
	CHECK(vmc_kallsyms_lookup(&ks, "fo", &a, &type));
	CHECK_EQ(a, 0xffffffff81000010ull);
	CHECK(vmc_kallsyms_lookup(&ks, "foo_bar_bar", &a, NULL));
	CHECK_EQ(a, 0xffffffff81000050ull);
	CHECK(vmc_kallsyms_lookup(&ks, "z", &a, &type));
	CHECK_EQ(type, 'r');
	CHECK(!vmc_kallsyms_lookup(&ks, "foo_ba", &a, NULL));
	CHECK(!vmc_kallsyms_lookup(&ks, "foo_bar_", &a, NULL));
	CHECK(!vmc_kallsyms_lookup(&ks, "f", &a, NULL));
	CHECK(!vmc_kallsyms_lookup(&ks, "", &a, NULL));
	CHECK(!vmc_kallsyms_lookup(&ks, "Tfo", &a, NULL)); /* the type letter is not part of the name */
	vmc_kallsyms_free(&ks);
}

/* Many names in one call (more than one walk's batch of 64, duplicates among them): each
 * resolves as a lookup of its own would. */
TEST(kallsyms_lookup_many_resolves_each_name)
{
	static const struct {
		const char *name;
		bool found;
		uint64_t addr;
	} want[] = { { "foo_bar", true, 0xffffffff81000020ull }, { "fo", true, 0xffffffff81000010ull },
		     { "foo_bar_bar", true, 0xffffffff81000050ull }, { "z", true, 0xffffffff81000060ull },
		     { "foo_ba", false, 0 }, { "foo_bar_", false, 0 }, { "f", false, 0 }, { "", false, 0 },
		     { "Tfo", false, 0 } };
	const unsigned nw = sizeof(want) / sizeof(want[0]), n = 8 * nw; /* 72: two batches */
	struct ktab k;
	struct vmc_kallsyms ks;
	struct vmc_kallsyms_raw raw;
	int32_t offs[6] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60 };
	const char *names[72];
	uint64_t addr[72];
	bool found[72];

	ktab_init(&k);
	ktab_add(&k, (const uint8_t[]){ 'T', 'f', 'o' }, 3);
	ktab_add(&k, (const uint8_t[]){ 't', 0x81, '_', 'b', 'a', 'r' }, 6);
	ktab_add(&k, (const uint8_t[]){ 'D', 'f', 'o', 'o', 0x80 }, 5);
	ktab_add(&k, (const uint8_t[]){ 'T' }, 1);
	ktab_add(&k, (const uint8_t[]){ 'T', 0x81, 0x80, 0x80 }, 4);
	ktab_add(&k, (const uint8_t[]){ 'r', 'z' }, 2);
	raw_of(&k, offs, 6, &raw);
	vmc_diag_init(&d);
	REQUIRE(vmc_kallsyms_decode(&raw, VMC_KSYMS_RELATIVE, &ks, &d) == VMC_OK);
	for (unsigned j = 0; j < n; j++)
		names[j] = want[(j * 5) % nw].name; /* an order other than the table's */
	memset(found, 0, sizeof(found));
	vmc_kallsyms_lookup_many(&ks, names, n, addr, found);
	for (unsigned j = 0; j < n; j++) {
		unsigned w = (j * 5) % nw;
		CHECK_EQ(found[j], want[w].found);
		if (want[w].found && found[j])
			CHECK_EQ(addr[j], want[w].addr);
	}
	vmc_kallsyms_free(&ks);
}

TEST(kallsyms_rejects_corrupt_tables)
{
	struct ktab k;
	struct vmc_kallsyms ks;
	struct vmc_kallsyms_raw raw;
	int32_t offs[2] = { 0, 0 };

	ktab_init(&k);
	ktab_add(&k, (const uint8_t[]){ 'T', 0x81 }, 2);
	raw_of(&k, offs, 2, &raw); /* claims two symbols, holds one */
	vmc_diag_init(&d);
	CHECK(vmc_kallsyms_decode(&raw, VMC_KSYMS_RELATIVE, &ks, &d) == VMC_ERR_TRUNCATED);
	CHECK(strstr(d.msg, "symbol 1 of 2") != NULL);
	harness_note("%s", d.msg);

	raw_of(&k, offs, 1, &raw);
	raw.names_len = 2; /* length byte says 2 ids, only 1 there */
	vmc_diag_init(&d);
	CHECK(vmc_kallsyms_decode(&raw, VMC_KSYMS_RELATIVE, &ks, &d) == VMC_ERR_TRUNCATED);

	raw_of(&k, offs, 1, &raw);
	k.ti[7] = (uint16_t)(k.ttlen + 5); /* a token outside the table */
	vmc_diag_init(&d);
	CHECK(vmc_kallsyms_decode(&raw, VMC_KSYMS_RELATIVE, &ks, &d) == VMC_ERR_CORRUPT);

	ktab_init(&k);
	raw_of(&k, offs, 0xffffffffu, &raw); /* absurd count */
	vmc_diag_init(&d);
	CHECK(vmc_kallsyms_decode(&raw, VMC_KSYMS_RELATIVE, &ks, &d) == VMC_ERR_CORRUPT);
	CHECK(ks.offsets == NULL && ks.names == NULL);
}

/* check_names sums an entry's token lengths only when len x the longest token could pass
 * KSYM_NAME_MAX: a long token must still be counted, short entries still pass. */
TEST(kallsyms_long_tokens_are_still_counted)
{
	struct ktab k;
	struct vmc_kallsyms ks;
	struct vmc_kallsyms_raw raw;
	int32_t offs[3] = { 0, 0, 0 };
	uint8_t ids[40];
	uint64_t a;

	ktab_init(&k);
	/* token 0x82 becomes 100 bytes of 'q' (its slot in the table now holds a long token) */
	k.ti[0x82] = (uint16_t)k.ttlen;
	memset(k.tt + k.ttlen, 'q', 100);
	k.tt[k.ttlen + 100] = 0;
	k.ttlen += 101;
	ktab_add(&k, (const uint8_t[]){ 'T', 0x81 }, 2);           /* 2 x 100 <= 512: not summed */
	ktab_add(&k, (const uint8_t[]){ 't', 0x82, 0x82, 0x82 }, 4); /* 301 bytes: summed, passes */
	raw_of(&k, offs, 2, &raw);
	vmc_diag_init(&d);
	REQUIRE(vmc_kallsyms_decode(&raw, VMC_KSYMS_RELATIVE, &ks, &d) == VMC_OK);
	CHECK(vmc_kallsyms_lookup(&ks, "foo", &a, NULL));
	vmc_kallsyms_free(&ks);
	ids[0] = 'T';
	memset(ids + 1, 0x82, 6);                                /* 601 bytes: too long */
	ktab_add(&k, ids, 7);
	raw_of(&k, offs, 3, &raw);
	vmc_diag_init(&d);
	CHECK(vmc_kallsyms_decode(&raw, VMC_KSYMS_RELATIVE, &ks, &d) == VMC_ERR_CORRUPT);
	CHECK(strstr(d.msg, "symbol 2 decodes to 601 bytes") != NULL);
	harness_note("%s", d.msg);
}

/* ---- BTF ---- */

struct bb {
	uint8_t types[4096];
	size_t tlen;
	char strs[1024];
	size_t slen;
	uint32_t str_base; /* split BTF: offsets continue after the base's strings */
};

static uint32_t bstr(struct bb *b, const char *s)
{
	uint32_t off = (uint32_t)b->slen + b->str_base;
	if (!*s && b->str_base == 0)
		return 0;
	memcpy(b->strs + b->slen, s, strlen(s) + 1);
	b->slen += strlen(s) + 1;
	return off;
}

static void bput(struct bb *b, uint32_t v)
{
	memcpy(b->types + b->tlen, &v, 4);
	b->tlen += 4;
}

static void btype(struct bb *b, const char *name, unsigned kind, unsigned vlen, bool kflag, uint32_t size_type)
{
	bput(b, *name ? bstr(b, name) : 0);
	bput(b, (kflag ? 1u << 31 : 0) | kind << 24 | vlen);
	bput(b, size_type);
}

static void bmember(struct bb *b, const char *name, uint32_t type, uint32_t off)
{
	bput(b, *name ? bstr(b, name) : 0);
	bput(b, type);
	bput(b, off);
}

static uint8_t *bblob(struct bb *b, size_t *len)
{
	uint8_t *p = calloc(1, 24 + b->tlen + b->slen);
	uint32_t h[6] = { 0x0001eB9F, 24, 0, (uint32_t)b->tlen, (uint32_t)b->tlen, (uint32_t)b->slen };
	memcpy(p, h, 24);
	memcpy(p + 24, b->types, b->tlen);
	memcpy(p + 24 + b->tlen, b->strs, b->slen);
	*len = 24 + b->tlen + b->slen;
	return p;
}

/* [1] int  [2] int *  [3] struct inner {int a; int b;}  [4] union {int *u1; int u2;}
 * [5] struct outer {int first; struct inner in; union {..}; int bits:3 (at bit 197);
 *                   arr_t arr; }   [6] int[4]   [7] typedef int[4] arr_t
 * [8] struct loop_s { loop_t x; }  [9] typedef loop_t -> 9 (a typedef loop) */
static uint8_t *base_btf(size_t *len)
{
	struct bb b;
	memset(&b, 0, sizeof(b));
	b.strs[0] = 0;
	b.slen = 1;
	btype(&b, "int", VMC_BTF_INT, 0, false, 4);
	bput(&b, 32);
	btype(&b, "", VMC_BTF_PTR, 0, false, 1);
	btype(&b, "inner", VMC_BTF_STRUCT, 2, false, 8);
	bmember(&b, "a", 1, 0);
	bmember(&b, "b", 1, 32);
	btype(&b, "", VMC_BTF_UNION, 2, false, 8);
	bmember(&b, "u1", 2, 0);
	bmember(&b, "u2", 1, 0);
	btype(&b, "outer", VMC_BTF_STRUCT, 5, true, 48);
	bmember(&b, "first", 1, 0);
	bmember(&b, "in", 3, 64);
	bmember(&b, "", 4, 128);
	bmember(&b, "bits", 1, 3u << 24 | 197);
	bmember(&b, "arr", 7, 256);
	btype(&b, "", VMC_BTF_ARRAY, 0, false, 0);
	bput(&b, 1);
	bput(&b, 1);
	bput(&b, 4);
	btype(&b, "arr_t", VMC_BTF_TYPEDEF, 0, false, 6);
	btype(&b, "loop_s", VMC_BTF_STRUCT, 1, false, 8);
	bmember(&b, "x", 9, 0);
	btype(&b, "loop_t", VMC_BTF_TYPEDEF, 0, false, 9);
	return bblob(&b, len);
}

TEST(btf_member_offsets_nested_anonymous_bitfield_array)
{
	size_t len;
	uint8_t *blob = base_btf(&len);
	struct vmc_btf *btf;
	struct vmc_lmember m;
	uint32_t outer;
	uint64_t size;

	vmc_diag_init(&d);
	REQUIRE(vmc_btf_parse(blob, len, NULL, &btf, &d) == VMC_OK);
	free(blob);
	CHECK_EQ(btf->ntypes, 9);
	outer = vmc_btf_find(btf, "outer", VMC_BTF_STRUCT);
	CHECK_EQ(outer, 5);
	CHECK_EQ(vmc_btf_find(btf, "nope", VMC_BTF_STRUCT), 0);
	REQUIRE(vmc_btf_member(btf, outer, "in.b", &m, &d) == VMC_OK);
	CHECK_EQ(m.offset, 12);
	CHECK_EQ(m.size, 4);
	REQUIRE(vmc_btf_member(btf, outer, "u1", &m, &d) == VMC_OK); /* through the anonymous union */
	CHECK_EQ(m.offset, 16);
	CHECK(m.is_ptr);
	CHECK_EQ(m.size, 8);
	REQUIRE(vmc_btf_member(btf, outer, "bits", &m, &d) == VMC_OK);
	CHECK_EQ(m.offset, 24);
	CHECK_EQ(m.bit_offset, 5);
	CHECK_EQ(m.bit_size, 3);
	REQUIRE(vmc_btf_member(btf, outer, "arr", &m, &d) == VMC_OK); /* typedef of an array */
	CHECK_EQ(m.offset, 32);
	CHECK_EQ(m.nelems, 4);
	CHECK_EQ(m.elem_size, 4);
	CHECK_EQ(m.size, 16);
	CHECK(vmc_btf_type_size(btf, outer, &size, &d) == VMC_OK && size == 48);
	vmc_diag_init(&d);
	CHECK(vmc_btf_member(btf, outer, "in.c", &m, &d) == VMC_ERR_MISSING);
	CHECK(strstr(d.msg, "'c'") != NULL);
	/* a typedef that names itself: bounded, an error, no hang */
	vmc_diag_init(&d);
	CHECK(vmc_btf_member(btf, vmc_btf_find(btf, "loop_s", VMC_BTF_STRUCT), "x", &m, &d) != VMC_OK);
	vmc_btf_free(btf);
}

TEST(btf_split_module_types_extend_the_base)
{
	size_t blen, slen;
	uint8_t *base_blob = base_btf(&blen), *split_blob;
	struct vmc_btf *base, *split;
	struct vmc_btf_set set;
	struct vmc_ltypes ty;
	struct vmc_lmember m;
	struct bb b;

	vmc_diag_init(&d);
	REQUIRE(vmc_btf_parse(base_blob, blen, NULL, &base, &d) == VMC_OK);
	memset(&b, 0, sizeof(b));
	b.str_base = base->strs_len; /* split strings continue the base's */
	/* [10] struct modstruct { long pad; struct outer o; }  [11] long */
	btype(&b, "modstruct", VMC_BTF_STRUCT, 2, false, 56);
	bmember(&b, "pad", 11, 0);
	bmember(&b, "o", 5, 64);
	btype(&b, "long", VMC_BTF_INT, 0, false, 8);
	bput(&b, 64);
	split_blob = bblob(&b, &slen);
	REQUIRE(vmc_btf_parse(split_blob, slen, base, &split, &d) == VMC_OK);
	CHECK_EQ(split->start_id, 10);
	memset(&set, 0, sizeof(set));
	set.vmlinux = base;
	strcpy(set.mods[0].name, "kvm");
	set.mods[0].btf = split;
	set.nmods = 1;
	vmc_btf_set_types(&set, &ty);
	REQUIRE(ty.member(ty.ctx, "kvm", "modstruct", "o.in.b", &m, &d) == VMC_OK);
	CHECK_EQ(m.offset, 8 + 12);
	REQUIRE(ty.member(ty.ctx, "kvm", "outer", "bits", &m, &d) == VMC_OK); /* base types via the module */
	CHECK_EQ(m.offset, 24);
	vmc_diag_init(&d);
	CHECK(ty.member(ty.ctx, "vmlinux", "modstruct", "pad", &m, &d) == VMC_ERR_MISSING);
	CHECK(ty.member(ty.ctx, "kvm_amd", "modstruct", "pad", &m, &d) == VMC_ERR_MISSING);
	vmc_btf_free(split);
	vmc_btf_free(base);
	free(split_blob);
	free(base_blob);
}

/* A view parses the caller's blob in place: the same answers as a copy, the blob is the
 * caller's to free after the BTF, and a corrupt one is refused without freeing it. */
TEST(btf_view_answers_as_a_copy_and_leaves_the_blob)
{
	size_t len;
	uint8_t *blob = base_btf(&len);
	struct vmc_btf *copy, *view;
	struct vmc_lmember mc, mv;

	vmc_diag_init(&d);
	REQUIRE(vmc_btf_parse(blob, len, NULL, &copy, &d) == VMC_OK);
	REQUIRE(vmc_btf_parse_view(blob, len, NULL, &view, &d) == VMC_OK);
	CHECK(view->data == blob && copy->data != blob);
	CHECK_EQ(view->ntypes, copy->ntypes);
	CHECK_EQ(vmc_btf_find(view, "outer", VMC_BTF_STRUCT), vmc_btf_find(copy, "outer", VMC_BTF_STRUCT));
	REQUIRE(vmc_btf_member(view, 5, "in.b", &mv, &d) == VMC_OK);
	REQUIRE(vmc_btf_member(copy, 5, "in.b", &mc, &d) == VMC_OK);
	CHECK(memcmp(&mv, &mc, sizeof(mv)) == 0);
	vmc_btf_free(view);
	vmc_btf_free(copy);
	blob[24 + 7] = 0x1f; /* type 1's kind: unknown */
	vmc_diag_init(&d);
	CHECK(vmc_btf_parse_view(blob, len, NULL, &view, &d) == VMC_ERR_CORRUPT && view == NULL);
	CHECK_EQ(blob[24 + 7], 0x1f); /* still the caller's */
	free(blob);
}

TEST(btf_rejects_corrupt_blobs)
{
	size_t len;
	uint8_t *blob = base_btf(&len);
	struct vmc_btf *btf;

	vmc_diag_init(&d);
	CHECK(vmc_btf_parse(blob, 20, NULL, &btf, &d) == VMC_ERR_CORRUPT && btf == NULL);
	CHECK(vmc_btf_parse(blob, len - 3, NULL, &btf, &d) == VMC_ERR_CORRUPT); /* sections past the end */
	blob[0] ^= 1;
	CHECK(vmc_btf_parse(blob, len, NULL, &btf, &d) == VMC_ERR_CORRUPT);
	blob[0] ^= 1;
	blob[24 + 7] = 0x1f; /* type 1's kind: unknown (31) */
	vmc_diag_init(&d);
	CHECK(vmc_btf_parse(blob, len, NULL, &btf, &d) == VMC_ERR_CORRUPT);
	harness_note("%s", d.msg);
	blob[24 + 7] = VMC_BTF_STRUCT; /* a struct with 0 members but... */
	blob[24 + 4] = 0xff;           /* vlen 255: runs past the type section */
	vmc_diag_init(&d);
	CHECK(vmc_btf_parse(blob, len, NULL, &btf, &d) == VMC_ERR_CORRUPT);
	free(blob);
}

/* ---- user page-table walk ---- */

#define PT_PGD 0x100000ull
#define PT_PUD 0x101000ull
#define PT_PMD 0x102000ull
#define PT_PT 0x103000ull
#define SME (1ull << 46)
#define MASK 0x000ffffffffff000ull

struct leafrec {
	uint64_t va[16], pa[16], size[16];
	unsigned n;
};

static enum vmc_status rec_leaf(uint64_t va, uint64_t pa, uint64_t size, uint64_t entry, void *arg)
{
	struct leafrec *r = arg;
	(void)entry;
	if (r->n < 16) {
		r->va[r->n] = va;
		r->pa[r->n] = pa;
		r->size[r->n] = size;
	}
	r->n++;
	return VMC_OK;
}

static struct vmc_dump *pt_dump(uint8_t **elf)
{
	static uint64_t pgd[512], pud[512], pmd[512], pt[512];
	static const struct td_seg seg = { 0, 16 << 20, 16 << 20 };
	static struct td_patch patches[4];
	struct td_spec s;
	struct vmc_bytesrc *src;
	struct vmc_dump *dump;
	size_t len;

	memset(pgd, 0, sizeof(pgd));
	memset(pud, 0, sizeof(pud));
	memset(pmd, 0, sizeof(pmd));
	memset(pt, 0, sizeof(pt));
	pgd[0] = PT_PUD | SME | 0x67;
	pud[0] = PT_PMD | 0x67;
	pmd[2] = PT_PT | 0x67;                          /* 0x400000: 4K table */
	pmd[3] = 0x800000 | 0x1000 | 0x80 | 0x67;       /* 0x600000: 2M leaf, PAT bit set */
	pmd[4] = PT_PUD | 0x67;                         /* 0x800000: a table on its own path */
	pmd[5] = ((~0xa00000ull) & MASK & ~0x1fffffull) | 0x80 | 0x100; /* 0xa00000: 2M PROT_NONE */
	pt[0] = 0x200000 | 0x67;                        /* present */
	pt[1] = ((~0x205000ull) & MASK) | 0x100 | 0x60; /* PROT_NONE: pfn inverted */
	pt[2] = 0x1234000 | 0x40;                       /* swap entry: neither present nor PROT_NONE */
	pt[3] = 0x206000 | SME | 0x67;                  /* SME bit stripped */
	patches[0] = (struct td_patch){ PT_PGD, pgd, sizeof(pgd) };
	patches[1] = (struct td_patch){ PT_PUD, pud, sizeof(pud) };
	patches[2] = (struct td_patch){ PT_PMD, pmd, sizeof(pmd) };
	patches[3] = (struct td_patch){ PT_PT, pt, sizeof(pt) };
	memset(&s, 0, sizeof(s));
	s.segs = &seg;
	s.nsegs = 1;
	s.seed = 7;
	s.vmcoreinfo = "OSRELEASE=6.1.0\nPAGESIZE=4096\nNUMBER(sme_mask)=70368744177664\n";
	s.patches = patches;
	s.npatches = 4;
	*elf = td_build_elf(&s, &len);
	if (!*elf || vmc_bytesrc_new_mem("pt", *elf, len, &src, &d))
		return NULL;
	if (vmc_dump_open_srcs(&src, 1, &dump, &d)) {
		vmc_bytesrc_free(src);
		return NULL;
	}
	return dump;
}

TEST(uva_walk_protnone_swap_sme_large_and_clipping)
{
	uint8_t *elf;
	struct vmc_dump *dump;
	struct vmc_physmem pm;
	struct leafrec r;
	struct vmc_pt_stats st;

	vmc_diag_init(&d);
	REQUIRE((dump = pt_dump(&elf)) != NULL);
	REQUIRE(vmc_physmem_init(&pm, dump, &d) == VMC_OK);
	memset(&r, 0, sizeof(r));
	memset(&st, 0, sizeof(st));
	REQUIRE(vmc_linux_uva_walk(&pm, PT_PGD | SME, 4, 0, 0, rec_leaf, &r, &st, &d) == VMC_OK);
	REQUIRE(r.n == 5);
	CHECK_EQ(r.va[0], 0x400000);
	CHECK_EQ(r.pa[0], 0x200000);
	CHECK_EQ(r.va[1], 0x401000);
	CHECK_EQ(r.pa[1], 0x205000); /* inverted PROT_NONE pfn */
	CHECK_EQ(r.va[2], 0x403000); /* 0x402000 is a swap entry: skipped */
	CHECK_EQ(r.pa[2], 0x206000); /* SME bit stripped */
	CHECK_EQ(r.va[3], 0x600000);
	CHECK_EQ(r.pa[3], 0x800000); /* PAT bit of a 2M leaf is not address */
	CHECK_EQ(r.size[3], 0x200000);
	CHECK_EQ(r.va[4], 0xa00000);
	CHECK_EQ(r.pa[4], 0xa00000); /* 2M PROT_NONE, inverted */
	CHECK_EQ(st.loops, 1);       /* pmd[4] points back at the PUD */
	CHECK_EQ(st.leaves[0], 3);
	CHECK_EQ(st.leaves[1], 2);

	/* a range inside a 2M leaf sees only that part */
	memset(&r, 0, sizeof(r));
	REQUIRE(vmc_linux_uva_walk(&pm, PT_PGD, 4, 0x601000, 0x603000, rec_leaf, &r, NULL, &d) == VMC_OK);
	REQUIRE(r.n == 1);
	CHECK_EQ(r.va[0], 0x601000);
	CHECK_EQ(r.pa[0], 0x801000);
	CHECK_EQ(r.size[0], 0x2000);

	/* a root outside the dump: counted, not a crash */
	memset(&r, 0, sizeof(r));
	memset(&st, 0, sizeof(st));
	REQUIRE(vmc_linux_uva_walk(&pm, 0x40000000, 4, 0, 0, rec_leaf, &r, &st, &d) == VMC_OK);
	CHECK_EQ(r.n, 0);
	CHECK_EQ(st.tables_absent, 1);
	CHECK(vmc_linux_uva_walk(&pm, PT_PGD, 3, 0, 0, rec_leaf, &r, NULL, &d) == VMC_ERR_ARGS);
	vmc_physmem_fini(&pm);
	vmc_dump_close(dump);
	free(elf);
}

/* ---- the route's diagnostics ---- */

TEST(kvm_find_says_why_the_route_is_unavailable)
{
	static const struct td_seg seg = { 0, 4 << 20, 4 << 20 };
	struct td_spec s;
	struct vmc_bytesrc *src;
	struct vmc_dump *dump;
	struct vmc_kvm_host h;
	uint8_t *elf;
	size_t len;

	memset(&s, 0, sizeof(s));
	s.segs = &seg;
	s.nsegs = 1;
	s.vmcoreinfo = "OSRELEASE=5.10.0\nPAGESIZE=4096\nNUMBER(phys_base)=0\nSYMBOL(swapper_pg_dir)=ffffffff82000000\n";
	vmc_diag_init(&d);
	REQUIRE((elf = td_build_elf(&s, &len)) != NULL);
	REQUIRE(vmc_bytesrc_new_mem("old", elf, len, &src, &d) == VMC_OK);
	REQUIRE(vmc_dump_open_srcs(&src, 1, &dump, &d) == VMC_OK);
	CHECK(vmc_linux_kvm_find(dump, NULL, &h, &d) == VMC_ERR_MISSING);
	CHECK(strstr(d.msg, "kallsyms") != NULL);
	harness_note("%s", d.msg);
	CHECK(h.nvms == 0 && h.vms == NULL);
	vmc_linux_kvm_free(&h);
	vmc_diag_init(&d);
	CHECK(vmc_linux_kvm_find(dump, "/nonexistent-debuginfo", &h, &d) == VMC_ERR_MISSING);
	CHECK(strstr(d.msg, "/nonexistent-debuginfo") != NULL);
	harness_note("%s", d.msg);
	vmc_linux_kvm_free(&h);
	vmc_dump_close(dump);
	free(elf);

	s.vmcoreinfo = NULL;
	REQUIRE((elf = td_build_elf(&s, &len)) != NULL);
	REQUIRE(vmc_bytesrc_new_mem("novi", elf, len, &src, &d) == VMC_OK);
	REQUIRE(vmc_dump_open_srcs(&src, 1, &dump, &d) == VMC_OK);
	vmc_diag_init(&d);
	CHECK(vmc_linux_kvm_find(dump, NULL, &h, &d) == VMC_ERR_MISSING);
	CHECK(strstr(d.msg, "VMCOREINFO") != NULL);
	vmc_linux_kvm_free(&h);
	vmc_dump_close(dump);
	free(elf);
}
