/* t_xen_ksyms.c: Xen's embedded symbol table (src/xen_ksyms.c) on tables built here the way
 * xen/tools/symbols.c lays them out: token compression, markers every 256 symbols, the
 * offsets and the older absolute-address forms, symbols_sorted_offsets; then corrupt and
 * hostile tables (counts past the end, bad indexes, unsorted values, non-printable tokens),
 * which must fail with a message and never crash (run under ASan); then the search for a table
 * in a host dump, down from the data symbols and, when that misses, over the whole image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "harness.h"
#include "testdump.h"
#include "xen_host.h"

#define MEM_BASE 0x7f900000ull /* where the test "image" lies */
#define MEM_SIZE (1u << 20)

struct mem {
	uint8_t *b;
	uint64_t base;
	size_t len;
};

static enum vmc_status mem_read(void *arg, uint64_t addr, void *buf, size_t len, struct vmc_diag *d)
{
	struct mem *m = arg;
	if (addr < m->base || addr - m->base > m->len || len > m->len - (addr - m->base))
		return vmc_fail(d, VMC_ERR_MISSING, "test memory: 0x%llx+%zu outside", (unsigned long long)addr, len);
	memcpy(buf, m->b + (addr - m->base), len);
	return VMC_OK;
}

struct tsym {
	char full[96]; /* type letter + name */
	uint64_t value;
};

static const char *const multi[] = { "symbols_", "per_cpu__", "domain", "token_", "fn_", ".c#" };

static int by_value(const void *a, const void *b)
{
	const struct tsym *x = a, *y = b;
	return x->value < y->value ? -1 : x->value > y->value;
}

/* compress one symbol: multi-char tokens at codes 0x80.., single printable chars as themselves */
static size_t encode(const char *s, uint8_t *out)
{
	size_t n = 0;
	while (*s) {
		unsigned code = (unsigned char)*s, tl = 1;
		for (unsigned t = 0; t < sizeof(multi) / sizeof(multi[0]); t++)
			if (!strncmp(s, multi[t], strlen(multi[t]))) {
				code = 0x80 + t;
				tl = (unsigned)strlen(multi[t]);
				break;
			}
		out[n++] = (uint8_t)code;
		s += tl;
	}
	return n;
}

struct layout {
	uint64_t values, num, names, markers, tokens, index, sorted, end;
};

static uint64_t up(uint64_t v, unsigned a)
{
	return (v + a - 1) & ~(uint64_t)(a - 1);
}

static const struct tsym *g_syms;
static int by_full_name(const void *a, const void *b)
{
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	int c = strcmp(g_syms[i].full + 1, g_syms[j].full + 1);
	return c ? c : g_syms[i].full[0] - g_syms[j].full[0];
}

/* Build a table at m->base + start. nsyms ordinary symbols plus the table's own (unless
 * text_only). Returns the token index's address; *lay gets where everything went. */
static uint64_t build(struct mem *m, uint64_t start, unsigned nsyms, bool absolute, bool sorted, bool text_only,
		      struct layout *lay, struct tsym **syms_out, unsigned *n_out)
{
	unsigned align = absolute ? 8 : 4, vsize = absolute ? 8 : 4, n = 0, cap = nsyms + 16;
	struct tsym *s = calloc(cap, sizeof(*s));
	uint8_t enc[256];
	char tokens[256][16];
	uint64_t at, names_len = 0, tok_len = 0;
	const uint64_t origin = 0xffff82d040000000ull;

	memset(tokens, 0, sizeof(tokens));
	for (unsigned c = 0x21; c < 0x7f; c++)
		tokens[c][0] = (char)c;
	for (unsigned t = 0; t < sizeof(multi) / sizeof(multi[0]); t++)
		strcpy(tokens[0x80 + t], multi[t]);
	for (unsigned i = 0; i < nsyms; i++) {
		if (i % 7 == 3)
			snprintf(s[n].full, sizeof(s[n].full), "tfile%u.c#fn_local_%u", i % 5, i);
		else
			snprintf(s[n].full, sizeof(s[n].full), "%cfn_%u", i % 3 ? 'T' : 'D', i);
		s[n++].value = 0x200000 + 0x40ull * i;
	}
	strcpy(s[n].full, "Bdomain_list"), s[n++].value = 0x37b380;
	strcpy(s[n].full, "Bper_cpu__curr_vcpu"), s[n++].value = 0x37a8f8;
	strcpy(s[n].full, "dmm.c#_frame_table.0"), s[n++].value = 0x19e858;
	strcpy(s[n].full, "ddomain.c#dup"), s[n++].value = 0x19e860; /* a static twice: left out */
	strcpy(s[n].full, "dsched.c#dup"), s[n++].value = 0x19e868;
	if (!text_only) {
		static const char *const own[] = { "Dsymbols_offsets", "Dsymbols_num_syms", "Dsymbols_names", "Dsymbols_markers",
						   "Dsymbols_token_table", "Dsymbols_token_index", "Dsymbols_sorted_offsets" };
		for (unsigned i = 0; i < 7; i++) {
			if (i == 6 && !sorted)
				continue;
			strcpy(s[n].full, own[i]);
			if (absolute && i == 0)
				strcpy(s[n].full, "Dsymbols_addresses");
			s[n++].value = 0; /* filled below */
		}
	}
	for (unsigned i = 0; i < n; i++)
		names_len += 1 + encode(s[i].full, enc);
	for (unsigned c = 0; c < 256; c++)
		tok_len += strlen(tokens[c]) + 1;
	lay->values = m->base + start;
	lay->num = lay->values + (uint64_t)n * vsize;
	lay->names = lay->num + align;
	lay->markers = up(lay->names + names_len, align);
	lay->tokens = up(lay->markers + 4ull * ((n + 255) / 256), align);
	lay->index = up(lay->tokens + tok_len, align);
	lay->sorted = up(lay->index + 512, align);
	lay->end = lay->sorted + (sorted ? 8ull * n : 0);
	for (unsigned i = 0; i < n; i++) {
		const char *nm = s[i].full + 1;
		uint64_t *v = &s[i].value, img = MEM_BASE - 0x100000; /* the "image" starts 1 MiB below */
		if (!strcmp(nm, "symbols_offsets") || !strcmp(nm, "symbols_addresses"))
			*v = lay->values - img;
		else if (!strcmp(nm, "symbols_num_syms"))
			*v = lay->num - img;
		else if (!strcmp(nm, "symbols_names"))
			*v = lay->names - img;
		else if (!strcmp(nm, "symbols_markers"))
			*v = lay->markers - img;
		else if (!strcmp(nm, "symbols_token_table"))
			*v = lay->tokens - img;
		else if (!strcmp(nm, "symbols_token_index"))
			*v = lay->index - img;
		else if (!strcmp(nm, "symbols_sorted_offsets"))
			*v = lay->sorted - img;
		if (absolute)
			*v += origin;
	}
	qsort(s, n, sizeof(*s), by_value);
	memset(m->b + start, 0, lay->end - lay->values);
	{
		uint32_t *stream_off = calloc(n, 4), *order = calloc(n, 4), nn = n;
		uint8_t *p = m->b + (lay->names - m->base);
		uint64_t off = 0;
		for (unsigned i = 0; i < n; i++) {
			if (absolute)
				memcpy(m->b + (lay->values - m->base) + 8ull * i, &s[i].value, 8);
			else {
				uint32_t v = (uint32_t)s[i].value;
				memcpy(m->b + (lay->values - m->base) + 4ull * i, &v, 4);
			}
			if (!(i & 255)) {
				uint32_t mk = (uint32_t)off;
				memcpy(m->b + (lay->markers - m->base) + 4ull * (i >> 8), &mk, 4);
			}
			stream_off[i] = (uint32_t)off;
			size_t l = encode(s[i].full, enc);
			p[off] = (uint8_t)l;
			memcpy(p + off + 1, enc, l);
			off += 1 + l;
		}
		memcpy(m->b + (lay->num - m->base), &nn, 4);
		at = 0;
		for (unsigned c = 0; c < 256; c++) {
			uint16_t ix = (uint16_t)at;
			memcpy(m->b + (lay->index - m->base) + 2 * c, &ix, 2);
			strcpy((char *)m->b + (lay->tokens - m->base) + at, tokens[c]);
			at += strlen(tokens[c]) + 1;
		}
		if (sorted) {
			for (unsigned i = 0; i < n; i++)
				order[i] = i;
			g_syms = s;
			qsort(order, n, 4, by_full_name);
			for (unsigned i = 0; i < n; i++) {
				uint32_t pair[2] = { stream_off[order[i]], order[i] };
				memcpy(m->b + (lay->sorted - m->base) + 8ull * i, pair, 8);
			}
		}
		free(stream_off);
		free(order);
	}
	*syms_out = s;
	*n_out = n;
	return lay->index;
}

static struct mem new_mem(void)
{
	struct mem m = { calloc(1, MEM_SIZE), MEM_BASE, MEM_SIZE };
	return m;
}

TEST(offsets_form_with_markers_and_sorted_offsets)
{
	struct mem m = new_mem();
	struct layout lay;
	struct tsym *s;
	unsigned n;
	struct xen_ksyms k;
	struct xen_syms xs;
	struct vmc_diag d;
	uint64_t ti = build(&m, 0x1234 & ~3u, 1000, false, true, false, &lay, &s, &n), v;

	vmc_diag_init(&d);
	REQUIRE(vmc_xen_ksyms_decode(mem_read, &m, ti, &k, &d) == VMC_OK);
	CHECK_EQ(k.n, n);
	CHECK(!k.absolute);
	CHECK(k.sorted_checked);
	CHECK_EQ(k.values_at, lay.values);
	CHECK_EQ(k.num_syms_at, lay.num);
	CHECK_EQ(k.names_at, lay.names);
	CHECK_EQ(k.markers_at, lay.markers);
	CHECK_EQ(k.token_table_at, lay.tokens);
	CHECK_EQ(k.sorted_at, lay.sorted);
	for (unsigned i = 0; i < n; i++) {
		CHECK(!strcmp(k.names + k.name_off[i], s[i].full + 1));
		CHECK_EQ(k.type[i], s[i].full[0]);
		CHECK_EQ(k.value[i], s[i].value);
	}
	REQUIRE(vmc_xen_ksyms_to_syms(&k, 0xffff82d040000000ull, &xs, &d) == VMC_OK);
	CHECK(vmc_xen_syms_get(&xs, "domain_list", &v) && v == 0xffff82d04037b380ull);
	CHECK(vmc_xen_syms_get(&xs, "per_cpu__curr_vcpu", &v) && v == 0xffff82d04037a8f8ull);
	CHECK(vmc_xen_syms_get(&xs, "_frame_table.0", &v) && v == 0xffff82d04019e858ull); /* "mm.c#" dropped */
	CHECK(vmc_xen_syms_get(&xs, "fn_local_3", &v));
	CHECK(!vmc_xen_syms_get(&xs, "dup", &v)); /* two statics at different addresses: ambiguous */
	CHECK(!vmc_xen_syms_get(&xs, "nonexistent", &v));
	/* in strcmp order (the binary search relies on it; names share 8-byte prefixes such as
	 * "symbols_" and "per_cpu_"), and every short name that is not ambiguous is found */
	for (size_t i = 1; i < xs.n; i++)
		CHECK(strcmp(xs.v[i - 1].name, xs.v[i].name) < 0);
	for (unsigned i = 0; i < n; i++) {
		const char *full = k.names + k.name_off[i], *hash = strchr(full, '#');
		if (strcmp(hash ? hash + 1 : full, "dup"))
			CHECK(vmc_xen_syms_get(&xs, hash ? hash + 1 : full, &v));
	}
	vmc_xen_syms_free(&xs);
	vmc_xen_ksyms_free(&k);
	free(s);
	free(m.b);
}

TEST(absolute_form_small_table_no_sorted_offsets)
{
	struct mem m = new_mem();
	struct layout lay;
	struct tsym *s;
	unsigned n;
	struct xen_ksyms k;
	struct vmc_diag d;
	uint64_t ti = build(&m, 0x8000, 100, true, false, false, &lay, &s, &n), v;

	vmc_diag_init(&d);
	if (vmc_xen_ksyms_decode(mem_read, &m, ti, &k, &d) != VMC_OK)
		harness_note("%s", d.msg);
	REQUIRE(d.msg[0] == 0);
	CHECK_EQ(k.n, n);
	CHECK(k.absolute);
	CHECK(!k.sorted_checked);
	CHECK(vmc_xen_ksyms_value(&k, "domain_list", &v) && v == 0xffff82d04037b380ull);
	vmc_xen_ksyms_free(&k);
	free(s);
	free(m.b);
}

TEST(text_only_table_is_a_clear_error)
{
	struct mem m = new_mem();
	struct layout lay;
	struct tsym *s;
	unsigned n;
	struct xen_ksyms k;
	struct vmc_diag d;
	uint64_t ti = build(&m, 0x4000, 300, false, false, true, &lay, &s, &n);

	vmc_diag_init(&d);
	CHECK_EQ(vmc_xen_ksyms_decode(mem_read, &m, ti, &k, &d), VMC_ERR_UNSUPPORTED);
	CHECK(strstr(d.msg, "CONFIG_LIVEPATCH") != NULL);
	harness_note("%s", d.msg);
	free(s);
	free(m.b);
}

/* One corruption of a good table: decode must fail with a message naming what is wrong. */
static void corrupt_case(const char *what, void (*mutate)(struct mem *, const struct layout *), const char *expect)
{
	struct mem m = new_mem();
	struct layout lay;
	struct tsym *s;
	unsigned n;
	struct xen_ksyms k;
	struct vmc_diag d;
	uint64_t ti = build(&m, 0x2000, 700, false, true, false, &lay, &s, &n);
	enum vmc_status rc;

	mutate(&m, &lay);
	vmc_diag_init(&d);
	rc = vmc_xen_ksyms_decode(mem_read, &m, ti, &k, &d);
	harness_note("%s: rc %d: %s", what, rc, d.msg);
	CHECK(rc != VMC_OK);
	CHECK(d.msg[0] != 0);
	if (expect)
		CHECK(strstr(d.msg, expect) != NULL);
	if (!rc)
		vmc_xen_ksyms_free(&k);
	free(s);
	free(m.b);
}

static uint8_t *at(struct mem *m, uint64_t addr)
{
	return m->b + (addr - m->base);
}
static void m_count_huge(struct mem *m, const struct layout *l)
{
	uint32_t v = 0xfffffff0u;
	memcpy(at(m, l->num), &v, 4);
}
static void m_count_one_more(struct mem *m, const struct layout *l)
{
	uint32_t v;
	memcpy(&v, at(m, l->num), 4);
	v += 1;
	memcpy(at(m, l->num), &v, 4);
}
static void m_index_not_rising(struct mem *m, const struct layout *l)
{
	uint16_t v = 3;
	memcpy(at(m, l->index + 2 * 100), &v, 2);
}
static void m_index_past_tokens(struct mem *m, const struct layout *l)
{
	uint16_t v;
	memcpy(&v, at(m, l->index + 2 * 255), 2);
	v += 100; /* the last token would start beyond the table */
	memcpy(at(m, l->index + 2 * 255), &v, 2);
}
static void m_token_nonprintable(struct mem *m, const struct layout *l)
{
	at(m, l->tokens)[(uint64_t)'a' * 2] = 0x07; /* token 'a' */
}
static void m_unsorted(struct mem *m, const struct layout *l)
{
	uint32_t v = 0xffffff;
	memcpy(at(m, l->values + 4 * 10), &v, 4);
}
static void m_marker(struct mem *m, const struct layout *l)
{
	uint32_t v;
	memcpy(&v, at(m, l->markers + 4), 4);
	v += 2;
	memcpy(at(m, l->markers + 4), &v, 4);
}
static void m_name_len_past_end(struct mem *m, const struct layout *l)
{
	at(m, l->names)[0] = 0xff;
}
static void m_sorted_index(struct mem *m, const struct layout *l)
{
	uint32_t v = 0x7fffffff;
	memcpy(at(m, l->sorted + 8 * 5 + 4), &v, 4);
}
static void m_sorted_order(struct mem *m, const struct layout *l)
{
	uint8_t a[8], b[8];
	memcpy(a, at(m, l->sorted + 8 * 5), 8);
	memcpy(b, at(m, l->sorted + 8 * 6), 8);
	memcpy(at(m, l->sorted + 8 * 5), b, 8);
	memcpy(at(m, l->sorted + 8 * 6), a, 8);
}
TEST(hostile_tables_fail_cleanly)
{
	corrupt_case("count far past the end", m_count_huge, NULL);
	corrupt_case("count one too many", m_count_one_more, NULL);
	corrupt_case("token index not rising", m_index_not_rising, "symbols_token_index");
	corrupt_case("token index past the table", m_index_past_tokens, "token table");
	corrupt_case("non-printable token", m_token_nonprintable, "printable");
	corrupt_case("offsets not sorted", m_unsorted, "not sorted");
	corrupt_case("a marker off by 2", m_marker, NULL);
	corrupt_case("first name's length past the stream", m_name_len_past_end, NULL);
	corrupt_case("sorted_offsets index out of range", m_sorted_index, "symbols_sorted_offsets");
	corrupt_case("sorted_offsets out of name order", m_sorted_order, "name order");
}

TEST(own_symbol_elsewhere_is_refused)
{
	struct mem m = new_mem();
	struct layout lay;
	struct tsym *s;
	unsigned n;
	struct xen_ksyms k;
	struct vmc_diag d;
	uint64_t ti = build(&m, 0x2000, 50, false, false, false, &lay, &s, &n);

	/* symbols_names' value (the values array is sorted: find it by value) moved by 8 */
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(s[i].full + 1, "symbols_names")) {
			uint32_t v = (uint32_t)s[i].value + 8;
			if (i + 1 < n && s[i + 1].value < v)
				continue; /* keep the values sorted */
			memcpy(at(&m, lay.values + 4ull * i), &v, 4);
		}
	vmc_diag_init(&d);
	CHECK(vmc_xen_ksyms_decode(mem_read, &m, ti, &k, &d) != VMC_OK);
	CHECK(strstr(d.msg, "its own symbol") != NULL);
	harness_note("%s", d.msg);
	free(s);
	free(m.b);
}

TEST(not_a_token_index_and_reads_outside_memory)
{
	struct mem m = new_mem();
	struct xen_ksyms k;
	struct vmc_diag d;

	vmc_diag_init(&d);
	CHECK(vmc_xen_ksyms_decode(mem_read, &m, MEM_BASE + 0x100, &k, &d) != VMC_OK); /* zeros */
	CHECK(d.msg[0] != 0);
	/* a valid-looking index at the very start: the token table would lie below memory */
	for (unsigned i = 0; i < 256; i++) {
		uint16_t v = (uint16_t)(2 * i);
		memcpy(m.b + 2 * i, &v, 2);
	}
	vmc_diag_init(&d);
	CHECK(vmc_xen_ksyms_decode(mem_read, &m, MEM_BASE, &k, &d) != VMC_OK);
	CHECK(d.msg[0] != 0);
	vmc_diag_init(&d);
	CHECK(vmc_xen_ksyms_decode(mem_read, &m, MEM_BASE + MEM_SIZE - 100, &k, &d) != VMC_OK);
	free(m.b);
}

/* random byte flips all over a good table: every outcome is a success or a message */
TEST(random_corruption_never_crashes)
{
	struct mem m = new_mem(), orig;
	struct layout lay;
	struct tsym *s;
	unsigned n, ok = 0, failed = 0;
	uint64_t ti = build(&m, 0x3000, 600, false, true, false, &lay, &s, &n);
	uint32_t seed = 12345;

	orig.b = malloc(MEM_SIZE);
	memcpy(orig.b, m.b, MEM_SIZE);
	for (unsigned iter = 0; iter < 300; iter++) {
		struct xen_ksyms k;
		struct vmc_diag d;
		memcpy(m.b, orig.b, MEM_SIZE);
		for (unsigned f = 0; f < 1 + iter % 4; f++) {
			seed = seed * 1103515245u + 12345u;
			uint64_t pos = lay.values + (seed >> 8) % (lay.end - lay.values);
			seed = seed * 1103515245u + 12345u;
			at(&m, pos)[0] ^= (uint8_t)(1u << ((seed >> 16) & 7));
		}
		vmc_diag_init(&d);
		if (vmc_xen_ksyms_decode(mem_read, &m, ti, &k, &d) == VMC_OK) {
			ok++;
			vmc_xen_ksyms_free(&k);
		} else {
			failed++;
			CHECK(d.msg[0] != 0);
		}
	}
	harness_note("300 corrupted tables: %u decoded (flips in names/values that keep them valid), %u refused", ok, failed);
	CHECK(failed > 0);
	free(orig.b);
	free(s);
	free(m.b);
}

/* frame owners for filtering a Xen host (xen_frames.c): Xen's own and free frames, a
 * domain's frames as its guest index, and every frame whose owner is not a listed guest, or
 * whose state is odd or unread, unknown (kept by the filter) */
TEST(frame_owners_by_state_and_domain)
{
	struct vmc_hv hv = { 0 };
	struct xen_host x = { .hv = &hv, .nowner = 10 };
	/* runs of frames 0, 1, 2, 3, 4, 5, 6, 7-8 and 9 (9 is dom 0x100's again) */
	struct xen_frun runs[] = {
		{ 0, 0, XEN_PS_INUSE }, { 1, 0x100, XEN_PS_INUSE }, { 2, 0x200, XEN_PS_INUSE },
		{ 3, XEN_OWNER_HEAP | 0x100, XEN_PS_INUSE }, { 4, 0x300, XEN_PS_INUSE }, { 5, 0, XEN_PS_FREE },
		{ 6, 0x100, XEN_PS_OTHER }, { 7, 0, XEN_PS_UNREAD }, { 9, 0x100, XEN_PS_INUSE },
	};
	const uint32_t want[10] = { VMC_HV_FRAME_HV,      /* in use by no domain: Xen's */
				    VMC_HV_FRAME_GUEST + 1, VMC_HV_FRAME_GUEST + 0,
				    VMC_HV_FRAME_HV,      /* a Xen-heap page shared with a domain */
				    VMC_HV_FRAME_UNKNOWN, /* owner is no guest */
				    VMC_HV_FRAME_FREE,
				    VMC_HV_FRAME_UNKNOWN, /* offlining/offlined */
				    VMC_HV_FRAME_UNKNOWN, VMC_HV_FRAME_UNKNOWN, /* page_info not in the dump */
				    VMC_HV_FRAME_GUEST + 1 };
	const uint32_t pickled[3] = { 0x100, 0x200, 0x300 };
	const int guest_of[3] = { 1, 0, -1 }; /* 0x300: a domain that is no guest (dom_io, dying) */
	struct vmc_diag d;
	size_t hint = 0;

	vmc_diag_init(&d);
	x.fruns = runs;
	x.nfruns = sizeof(runs) / sizeof(runs[0]);
	/* owner lookups in any order, past the end too */
	for (uint64_t k = 0; k < 23; k++) {
		uint64_t mfn = (k * 7) % 12;
		CHECK_EQ(vmc_xen_frames_owner(&x, mfn), mfn >= 10 ? 0 : mfn == 8 ? 0 : mfn == 9 ? 0x100 : runs[mfn].owner);
	}
	CHECK(vmc_xen_frames_owned_by(&x, 3, 0x100) && !vmc_xen_frames_owned_by(&x, 5, 0));
	REQUIRE(vmc_xen_frames_owners(&x, pickled, guest_of, 3, &d) == VMC_OK);
	REQUIRE(hv.frame_runs != NULL);
	CHECK_EQ(hv.nframe_owner, 10);
	CHECK_EQ(hv.nframe_runs, 8); /* 3 and 4's HV and UNKNOWN stay apart; 6 to 8 are one UNKNOWN run */
	for (uint64_t mfn = 0; mfn < 12; mfn++)
		CHECK_EQ(vmc_hv_frame_owner(&hv, mfn, &hint), mfn < 10 ? want[mfn] : VMC_HV_FRAME_UNKNOWN);
	for (uint64_t mfn = 10; mfn-- > 0;)
		CHECK_EQ(vmc_hv_frame_owner(&hv, mfn, &hint), want[mfn]);
	free(hv.frame_runs);
}

/* ---- the table found in a host dump (vmc_xen_ksyms_load's search) ---------------------------- */

#define IMG_MA (MEM_BASE - 0x100000) /* build()'s image start: xen_phys_start */
#define ORIGIN 0xffff82d040000000ull  /* XEN_VIRT_START */

/* A host dump holding Xen's image at IMG_MA as two stored runs, 512 KiB at its start and 3 MiB
 * from MEM_BASE on (the table's 1 MiB overlaid at MEM_BASE), a hole between them. */
struct ksyms_host {
	struct mem m;
	struct tsym *s;
	uint8_t *elf;
	struct vmc_dump *dump;
	struct vmc_hv hv;
	struct xen_host x;
	struct vmc_bitmap log; /* every frame the search read */
};

static bool ksyms_host_new(struct ksyms_host *h, uint64_t table_off)
{
	static const struct td_seg segs[] = { { IMG_MA, 0x80000, 0x80000 }, { MEM_BASE, 0x300000, 0x300000 } };
	struct layout lay;
	struct vmc_bytesrc *src;
	struct vmc_diag d;
	unsigned n;
	size_t len;

	memset(h, 0, sizeof(*h));
	vmc_diag_init(&d);
	h->m = new_mem();
	build(&h->m, table_off, 1000, false, true, false, &lay, &h->s, &n);
	struct td_patch p = { .paddr = MEM_BASE, .data = h->m.b, .len = MEM_SIZE };
	h->elf = td_build_elf(&(struct td_spec){ .segs = segs, .nsegs = 2, .seed = 11, .patches = &p, .npatches = 1 }, &len);
	if (!h->elf || vmc_bytesrc_new_mem("xen-host", h->elf, len, &src, &d))
		return false;
	if (vmc_dump_open_srcs(&src, 1, &h->dump, &d) || vmc_bitmap_init(&h->log, h->dump->max_pfn, &d)) {
		harness_note("open: %s", d.msg);
		return false;
	}
	h->dump->read_log = &h->log;
	vmc_msgs_init(&h->hv.msgs);
	h->x = (struct xen_host){ .dump = h->dump, .hv = &h->hv, .has_crash_info = true, .xen_phys_start = IMG_MA,
				  .has_vmcoreinfo = true, .sym_domain_list = ORIGIN + 0x37b380 };
	return vmc_physmem_init(&h->x.pm, h->dump, &d) == VMC_OK;
}

static void ksyms_host_free(struct ksyms_host *h)
{
	vmc_physmem_fini(&h->x.pm);
	vmc_msgs_release(&h->hv.msgs);
	if (h->dump)
		h->dump->read_log = NULL;
	vmc_bitmap_release(&h->log);
	vmc_dump_close(h->dump);
	free(h->elf);
	free(h->s);
	free(h->m.b);
}

/* The table loaded from h's dump, its symbols placed at XEN_VIRT_START. */
static void load_and_check(struct ksyms_host *h)
{
	struct xen_syms xs;
	struct vmc_diag d;
	uint64_t v;

	vmc_diag_init(&d);
	if (vmc_xen_ksyms_load(&h->x, &xs, &d))
		harness_note("%s", d.msg);
	REQUIRE(d.msg[0] == 0);
	CHECK(vmc_xen_syms_get(&xs, "domain_list", &v) && v == ORIGIN + 0x37b380);
	CHECK(vmc_xen_syms_get(&xs, "per_cpu__curr_vcpu", &v) && v == ORIGIN + 0x37a8f8);
	CHECK(vmc_xen_syms_get(&xs, "fn_local_3", &v) && v == ORIGIN + 0x200000 + 0x40 * 3);
	vmc_xen_syms_free(&xs);
}

/* The usual case: the table ends below the lowest data symbol VMCOREINFO_XEN gives, and the
 * scan down from there finds it without reading the image's start. */
TEST(table_below_the_data_symbols_found_from_them_down)
{
	struct ksyms_host h;

	REQUIRE(ksyms_host_new(&h, 0x20000));
	load_and_check(&h);
	CHECK(vmc_bitmap_test(&h.log, (MEM_BASE + 0x20000) >> 12)); /* the table's first frame */
	CHECK(!vmc_bitmap_test(&h.log, IMG_MA >> 12));             /* the whole-image scan did not run */
	ksyms_host_free(&h);
}

/* A data symbol below the table (a layout the hint does not expect): the scan down from it
 * finds nothing, and the whole image, scanned up, still gives the table. */
TEST(table_above_the_data_symbols_found_by_the_whole_image_scan)
{
	struct ksyms_host h;

	REQUIRE(ksyms_host_new(&h, 0x20000));
	h.x.sym_dom_io = ORIGIN + 0x40000; /* in the first run: the hint, below the table */
	load_and_check(&h);
	CHECK(vmc_bitmap_test(&h.log, IMG_MA >> 12));
	CHECK(strstr(h.hv.msgs.report, "in the image at CRASH_INFO's xen_phys_start") != NULL);
	ksyms_host_free(&h);
}

/* A table whose image lies elsewhere than CRASH_INFO says: both scans refuse it, and the error
 * names the dump and xen_phys_start. */
TEST(table_of_another_image_is_refused_naming_the_dump)
{
	struct ksyms_host h;
	struct xen_syms xs;
	struct vmc_diag d;

	vmc_diag_init(&d);
	REQUIRE(ksyms_host_new(&h, 0x20000));
	h.x.xen_phys_start = IMG_MA - 0x200000;
	CHECK_EQ(vmc_xen_ksyms_load(&h.x, &xs, &d), VMC_ERR_NOTFOUND);
	harness_note("%s", d.msg);
	CHECK(strstr(d.msg, "xen-host: no Xen symbol table in the image at xen_phys_start 0x7f600000") != NULL);
	CHECK(strstr(d.msg, "not at xen_phys_start") != NULL);
	ksyms_host_free(&h);
}
