/* xen_ksyms.c: the symbol table Xen links into its own image, so the carver needs no
 * --xen-syms. Xen's build (xen/tools/symbols.c) emits into .rodata, in this order:
 *   symbols_offsets   u32[n] from XEN_VIRT_START (x86 since 4.6; older: symbols_addresses u64[n])
 *   symbols_num_syms  u32 n
 *   symbols_names     per symbol a length byte, then that many token codes
 *   symbols_markers   u32[(n+255)/256]: stream offset of every 256th symbol
 *   symbols_token_table  256 NUL-terminated strings
 *   symbols_token_index  u16[256] offsets into the token table
 *   symbols_sorted_offsets {u32 stream, u32 index}[n], by name (CONFIG_FAST_SYMBOL_LOOKUP)
 * each starting aligned (4 with offsets, 8 with addresses). The token index has a rigid shape,
 * so it is what is searched for; the other arrays are then found from it and every one is
 * validated. A decoded name is "<type letter><name>", locals "<type>file.c#name". All bytes
 * come from the dump and are untrusted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "symtab.h"
#include "xen_host.h"

#define TOKEN_MAX 128           /* a token is at most a KSYM_NAME_LEN (127) name */
#define KSYMS_MAX (1u << 18)    /* Xen has ~10^4 symbols; bound hostile counts */
#define NAME_MAX_LEN 512        /* decoded, file prefix included */
#define GIB (1ull << 30)
#define SCAN_DECODES 64         /* decode attempts per scan: bounds a hostile dump's cost */
#define IMAGE_SCAN (64ull << 20) /* how far past xen_phys_start the tables may lie */
#define BELOW_4G (4ull << 30)   /* x86 Xen relocates (multiboot) or must be loaded (EFI) below 4 GiB */
/* HYPERVISOR_VIRT_START..END (public/arch-x86/xen-x86_64.h): Xen's 16 PML4 slots */
#define XEN_HV_VIRT_START 0xffff800000000000ull
#define XEN_HV_VIRT_END 0xffff880000000000ull

bool vmc_xen_ksyms_index_like(const uint8_t *p)
{
	if (vmc_le16(p))
		return false;
	for (unsigned i = 1; i < 256; i++) {
		unsigned a = vmc_le16(p + 2 * (i - 1)), b = vmc_le16(p + 2 * i);
		if (b <= a || b - a > TOKEN_MAX)
			return false;
	}
	return true;
}

void vmc_xen_ksyms_free(struct xen_ksyms *k)
{
	free(k->value);
	free(k->type);
	free(k->name_off);
	free(k->short_off);
	free(k->names);
	memset(k, 0, sizeof(*k));
}

/* The token table ends (plus alignment padding) where the index starts; each token's NUL must
 * sit exactly where the next index entry says. Returns the table's start, or ~0 when none fits. */
static uint64_t find_token_table(const uint8_t *win, uint64_t win_at, uint64_t index_at, const uint16_t *idx)
{
	uint64_t last = idx[255];

	for (uint64_t t = (index_at - last - 2) & ~3ull; t + TOKEN_MAX + last + 8 >= index_at && t >= win_at; t -= 4) {
		const uint8_t *tt = win + (t - win_at);
		uint64_t q;
		bool ok = true;
		for (unsigned i = 0; i < 255 && ok; i++) {
			for (uint64_t c = idx[i]; c + 1 < idx[i + 1]; c++)
				if (tt[c] < 0x21 || tt[c] > 0x7e)
					ok = false;
			if (tt[idx[i + 1] - 1])
				ok = false;
		}
		for (q = t + last; ok && q < index_at && tt[q - t]; q++)
			if (tt[q - t] < 0x21 || tt[q - t] > 0x7e)
				ok = false;
		if (ok && q < index_at && index_at - (q + 1) < 8)
			return t;
		if (t < 4)
			break;
	}
	return ~0ull;
}

/* Expand every name of the stream; names[i] = type letter + name. */
static enum vmc_status expand_names(struct xen_ksyms *k, const uint8_t *stream, const uint8_t *tokens,
				    const uint16_t *idx, uint32_t *stream_off, struct vmc_diag *d)
{
	size_t cap = (size_t)k->n * 32 + 4096, used = 0, pos = 0;

	if (!(k->names = malloc(cap)))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < k->n; i++) {
		size_t len = stream[pos], start = used;
		const char *hash;
		enum vmc_status rc;
		stream_off[i] = (uint32_t)pos;
		/* tokens NUL-checked by find_token_table */
		if ((rc = vmc_ksym_expand(stream + pos + 1, len, (const char *)tokens, idx, &k->names, &used, &cap, d)))
			return rc;
		if (used - start > NAME_MAX_LEN)
			return vmc_fail(d, VMC_ERR_CORRUPT, "Xen symbol table: symbol %u at stream offset 0x%zx expands past %d bytes",
					i, pos, NAME_MAX_LEN);
		if (used - start < 2 || !((k->names[start] | 0x20) >= 'a' && (k->names[start] | 0x20) <= 'z'))
			return vmc_fail(d, VMC_ERR_CORRUPT, "Xen symbol table: symbol %u (stream offset 0x%zx) has no type letter and name",
					i, pos);
		hash = memchr(k->names + start + 1, '#', used - start - 1);
		k->names[used++] = 0;
		k->type[i] = k->names[start];
		k->name_off[i] = (uint32_t)start + 1;
		k->short_off[i] = hash ? (uint32_t)(hash + 1 - k->names) : k->name_off[i];
		pos += 1 + len;
	}
	return VMC_OK;
}

/* Each of the tables' own symbols that the table holds must name where it was found. */
static enum vmc_status self_check(const struct xen_ksyms *k, struct vmc_diag *d)
{
	static const char *const names[] = { "symbols_token_table", "symbols_names", "symbols_markers", "symbols_num_syms",
					     "symbols_offsets", "symbols_addresses", "symbols_sorted_offsets" };
	const uint64_t at[] = { k->token_table_at, k->names_at, k->markers_at, k->num_syms_at,
				k->values_at, k->values_at, k->sorted_at };
	uint64_t base, v;

	if (!vmc_xen_ksyms_value(k, "symbols_token_index", &base))
		return vmc_fail(d, VMC_ERR_UNSUPPORTED,
				"Xen symbol table at 0x%llx (%u symbols) holds no data symbols, not even its own: Xen built "
				"without CONFIG_LIVEPATCH keeps only text symbols; give --xen-syms",
				(unsigned long long)k->token_index_at, k->n);
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!vmc_xen_ksyms_value(k, names[i], &v) || (!k->sorted_at && i == 6))
			continue;
		if (v - base != at[i] - k->token_index_at)
			return vmc_fail(d, VMC_ERR_CORRUPT,
					"Xen symbol table at 0x%llx: %s is at 0x%llx but its own symbol puts it at 0x%llx",
					(unsigned long long)k->token_index_at, names[i], (unsigned long long)at[i],
					(unsigned long long)(k->token_index_at + (v - base)));
	}
	return VMC_OK;
}

static int name_type_cmp(const struct xen_ksyms *k, uint32_t a, uint32_t b)
{
	int c = strcmp(k->names + k->name_off[a], k->names + k->name_off[b]);
	return c ? c : (unsigned char)k->type[a] - (unsigned char)k->type[b];
}

/* symbols_sorted_offsets, when the table names it: every entry a symbol's stream offset with
 * that symbol's index, in (name, type) order. */
static enum vmc_status check_sorted(xen_ksyms_read_fn *rd, void *arg, struct xen_ksyms *k, const uint32_t *stream_off,
				    struct vmc_diag *d)
{
	uint64_t vs, vi;
	uint32_t *pairs = NULL;
	enum vmc_status rc = VMC_OK;
	struct vmc_diag tmp;

	if (!vmc_xen_ksyms_value(k, "symbols_sorted_offsets", &vs) || !vmc_xen_ksyms_value(k, "symbols_token_index", &vi))
		return VMC_OK;
	k->sorted_at = k->token_index_at + (vs - vi);
	if (!(pairs = malloc((size_t)k->n * 8))) {
		rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		goto out;
	}
	vmc_diag_init(&tmp);
	if (vs - vi > 4096 || rd(arg, k->sorted_at, pairs, (size_t)k->n * 8, &tmp)) {
		rc = vmc_fail(d, VMC_ERR_CORRUPT, "Xen symbol table: symbols_sorted_offsets at 0x%llx unreadable (%s)",
			      (unsigned long long)k->sorted_at, tmp.msg[0] ? tmp.msg : "too far from the token index");
		goto out;
	}
	for (uint32_t i = 0; i < k->n; i++) {
		uint32_t so = pairs[2 * i], ix = pairs[2 * i + 1];
		if (ix >= k->n || stream_off[ix] != so || (i && name_type_cmp(k, pairs[2 * i - 1], ix) > 0)) {
			rc = vmc_fail(d, VMC_ERR_CORRUPT,
				      "Xen symbol table: symbols_sorted_offsets[%u] at 0x%llx (stream 0x%x, index %u) is not a symbol in name order",
				      i, (unsigned long long)(k->sorted_at + 8ull * i), so, ix);
			goto out;
		}
	}
	k->sorted_checked = true;
out:
	free(pairs);
	return rc;
}

/* One layout hypothesis: names start at names_at, values as the form says; markers given. */
static enum vmc_status try_layout(xen_ksyms_read_fn *rd, void *arg, struct xen_ksyms *k, bool absolute,
				  uint64_t names_at, uint64_t markers_at, const uint32_t *markers, uint32_t nmark,
				  const uint8_t *namewin, uint64_t namewin_at, const uint8_t *tokens, uint64_t tokens_at,
				  const uint16_t *idx, uint64_t idx_at, struct vmc_diag *d)
{
	unsigned align = absolute ? 8 : 4;
	uint64_t num_at = names_at - align, pos = names_at, vsize = absolute ? 8 : 4;
	uint32_t n, *stream_off = NULL;
	uint8_t *vals = NULL;
	enum vmc_status rc;

	/* every array starts aligned (output_label's ALGN) */
	if (num_at < namewin_at || (markers_at & (align - 1)) || (tokens_at & (align - 1)))
		return VMC_ERR_CORRUPT;
	n = vmc_le32(namewin + (num_at - namewin_at));
	if (!n || n > KSYMS_MAX || (n + 255) / 256 != nmark)
		return VMC_ERR_CORRUPT;
	for (uint32_t i = 0; i < n; i++) {
		if (!(i & 255) && pos - names_at != markers[i >> 8])
			return VMC_ERR_CORRUPT;
		if (pos >= markers_at || !namewin[pos - namewin_at])
			return VMC_ERR_CORRUPT;
		pos += 1 + namewin[pos - namewin_at];
	}
	if (pos > markers_at || markers_at - pos >= align)
		return VMC_ERR_CORRUPT;
	/* a name stream that fits the markers exactly: from here on failures are reported */
	memset(k, 0, sizeof(*k));
	k->n = n;
	k->absolute = absolute;
	k->token_index_at = idx_at;
	k->token_table_at = tokens_at;
	k->names_at = names_at;
	k->num_syms_at = num_at;
	k->markers_at = markers_at;
	k->values_at = num_at - (uint64_t)n * vsize;
	if (num_at < (uint64_t)n * vsize)
		return vmc_fail(d, VMC_ERR_CORRUPT, "Xen symbol table: %u values would start below address 0", n);
	k->value = malloc((size_t)n * 8);
	k->type = malloc(n);
	k->name_off = malloc((size_t)n * 4);
	k->short_off = malloc((size_t)n * 4);
	stream_off = malloc((size_t)n * 4);
	vals = malloc((size_t)n * vsize);
	if (!k->value || !k->type || !k->name_off || !k->short_off || !stream_off || !vals) {
		rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = rd(arg, k->values_at, vals, (size_t)n * vsize, d))) {
		rc = vmc_wrap(d, rc, "Xen symbol table: reading its %u %s at 0x%llx", n, absolute ? "addresses" : "offsets",
			      (unsigned long long)k->values_at);
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		k->value[i] = absolute ? vmc_le64(vals + 8ull * i) : vmc_le32(vals + 4ull * i);
		if (absolute && k->value[i] < XEN_HV_VIRT_START) {
			rc = vmc_fail(d, VMC_ERR_CORRUPT, "Xen symbol table: address %u (0x%llx at 0x%llx) is not in Xen's range",
				      i, (unsigned long long)k->value[i], (unsigned long long)(k->values_at + 8ull * i));
			goto out;
		}
		if (i && k->value[i] < k->value[i - 1]) {
			rc = vmc_fail(d, VMC_ERR_CORRUPT, "Xen symbol table: %s %u at 0x%llx (0x%llx) is below the one before it (not sorted)",
				      absolute ? "address" : "offset", i, (unsigned long long)(k->values_at + vsize * i),
				      (unsigned long long)k->value[i]);
			goto out;
		}
	}
	if ((rc = expand_names(k, namewin + (names_at - namewin_at), tokens, idx, stream_off, d)) ||
	    (rc = check_sorted(rd, arg, k, stream_off, d)) || (rc = self_check(k, d)))
		goto out;
out:
	free(stream_off);
	free(vals);
	return rc;
}

/* What vmc_xen_ksyms_decode() reads around the token index: windows of the dump before it (the
 * token table, the markers, the names) and the markers found. */
struct ksyms_decode {
	xen_ksyms_read_fn *rd;
	void *arg;
	uint64_t index_at;
	struct xen_ksyms *k;
	uint16_t idx[256];
	uint8_t *twin, *mwin, *nwin;
	uint64_t twin_at, tt_at, mwin_at;
	uint32_t markers[KSYMS_MAX / 256];
	enum vmc_status last;   /* the failure to report when no layout fits */
	char why[200];
};

static void ksyms_decode_release(struct ksyms_decode *c)
{
	free(c->twin);
	free(c->mwin);
	free(c->nwin);
}

static enum vmc_status read_token_index(struct ksyms_decode *c, struct vmc_diag *d)
{
	uint8_t raw[512];
	enum vmc_status rc;

	if ((rc = c->rd(c->arg, c->index_at, raw, sizeof(raw), d)))
		return vmc_wrap(d, rc, "Xen symbol table: token index at 0x%llx", (unsigned long long)c->index_at);
	if ((c->index_at & 3) || !vmc_xen_ksyms_index_like(raw))
		return vmc_fail(d, VMC_ERR_CORRUPT, "Xen symbol table: 0x%llx holds no symbols_token_index (256 rising offsets)",
				(unsigned long long)c->index_at);
	for (unsigned i = 0; i < 256; i++)
		c->idx[i] = vmc_le16(raw + 2 * i);
	return VMC_OK;
}

/* the token table: up to the last token's end + padding before the index */
static enum vmc_status read_token_table(struct ksyms_decode *c, struct vmc_diag *d)
{
	uint64_t tlen = c->idx[255] + TOKEN_MAX + 8;
	enum vmc_status rc = VMC_OK;

	c->twin_at = c->index_at > tlen ? c->index_at - tlen : 0;
	tlen = c->index_at - c->twin_at;
	if (!(c->twin = malloc(tlen)) || (rc = c->rd(c->arg, c->twin_at, c->twin, tlen, d)))
		return c->twin ? vmc_wrap(d, rc, "Xen symbol table: token table before 0x%llx", (unsigned long long)c->index_at)
			       : vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	if ((c->tt_at = find_token_table(c->twin, c->twin_at, c->index_at, c->idx)) == ~0ull)
		return vmc_fail(d, VMC_ERR_CORRUPT,
				"Xen symbol table: no token table of 256 printable NUL-terminated tokens ends at 0x%llx",
				(unsigned long long)c->index_at);
	return VMC_OK;
}

/* markers end at the token table (with 8-byte alignment maybe 4 bytes before) */
static enum vmc_status read_marker_window(struct ksyms_decode *c, struct vmc_diag *d)
{
	uint64_t mlen = sizeof(c->markers) + 8;
	enum vmc_status rc = VMC_OK;

	c->mwin_at = c->tt_at > mlen ? c->tt_at - mlen : 0;
	mlen = c->tt_at - c->mwin_at;
	if (!(c->mwin = malloc(mlen + 1)) || (rc = c->rd(c->arg, c->mwin_at, c->mwin, mlen, d)))
		return c->mwin ? vmc_wrap(d, rc, "Xen symbol table: markers before 0x%llx", (unsigned long long)c->tt_at)
			       : vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	return VMC_OK;
}

/* The nmark markers end at `at`: try every start of the name stream below them, in both forms.
 * True when that gave the answer (*rc: a table, or the failure of one whose stream fitted). */
static bool try_names(struct ksyms_decode *c, uint64_t at, uint32_t nmark, enum vmc_status *rc, struct vmc_diag *d)
{
	/* names start below the markers: the last marker plus 1..256 symbols of <= 256 bytes */
	uint64_t nhi = at - c->markers[nmark - 1], nlo, nwin_at;

	if (nhi < 2)
		return false;
	nhi -= 2;
	nlo = nhi > 256 * 256 + 16 ? nhi - 256 * 256 - 16 : 0;
	free(c->nwin);
	if (!(c->nwin = malloc(at - nlo + 1))) {
		*rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		return true;
	}
	/* the window may reach below readable memory: shrink it a page at a time */
	while (nlo < nhi && c->rd(c->arg, nlo, c->nwin, at - nlo, &(struct vmc_diag){ 0 }))
		nlo = (nlo + 4096) & ~4095ull;
	nwin_at = nlo;
	if (nlo >= nhi) {
		snprintf(c->why, sizeof(c->why), "names before the markers at 0x%llx unreadable", (unsigned long long)at);
		return false;
	}
	for (uint64_t na = nhi & ~3ull; na >= nlo + 8; na -= 4) {
		for (int absolute = 0; absolute <= 1; absolute++) {
			if (absolute && (na & 7))
				continue;
			vmc_diag_clear(d);
			*rc = try_layout(c->rd, c->arg, c->k, absolute, na, at, c->markers, nmark, c->nwin, nwin_at,
					 c->twin + (c->tt_at - c->twin_at), c->tt_at, c->idx, c->index_at, d);
			if (*rc == VMC_OK)
				return true;
			if (d->msg[0]) { /* the stream fitted but the rest did not: that is the answer */
				c->last = *rc;
				vmc_xen_ksyms_free(c->k);
				return true;
			}
		}
		if (na < 4)
			break;
	}
	snprintf(c->why, sizeof(c->why), "no symbols_num_syms + name stream fits the %u markers before 0x%llx", nmark,
		 (unsigned long long)at);
	return false;
}

/* The markers ending pad bytes before the token table: walk back while values fall
 * (markers[0] is 0), then the names below them. True when that gave the answer. */
static bool try_markers(struct ksyms_decode *c, unsigned pad, enum vmc_status *rc, struct vmc_diag *d)
{
	uint64_t at = c->tt_at - pad;
	uint32_t nmark = 0, prev = ~0u;

	while (at >= c->mwin_at + 4 && nmark < KSYMS_MAX / 256) {
		uint32_t m = vmc_le32(c->mwin + (at - 4 - c->mwin_at));
		if (m >= prev || (prev != ~0u && prev - m < 512))
			break;
		at -= 4;
		nmark++;
		prev = m;
		if (!m)
			break;
	}
	if (!nmark || prev)
		return false;
	for (uint32_t i = 0; i < nmark; i++)
		c->markers[i] = vmc_le32(c->mwin + (at - c->mwin_at) + 4ull * i);
	return try_names(c, at, nmark, rc, d);
}

enum vmc_status vmc_xen_ksyms_decode(xen_ksyms_read_fn *rd, void *arg, uint64_t token_index_at, struct xen_ksyms *k,
				     struct vmc_diag *d)
{
	struct ksyms_decode c = { .rd = rd, .arg = arg, .index_at = token_index_at, .k = k, .last = VMC_ERR_CORRUPT };
	enum vmc_status rc;

	memset(k, 0, sizeof(*k));
	if ((rc = read_token_index(&c, d)) || (rc = read_token_table(&c, d)) || (rc = read_marker_window(&c, d))) {
		ksyms_decode_release(&c);
		return rc;
	}
	for (unsigned pad = 0; pad <= 4; pad += 4)
		if (try_markers(&c, pad, &rc, d)) {
			ksyms_decode_release(&c);
			return rc;
		}
	rc = vmc_fail(d, c.last, "Xen symbol table (token index at 0x%llx): %s", (unsigned long long)token_index_at,
		      c.why[0] ? c.why : "no symbols_markers (rising from 0) before the token table");
	ksyms_decode_release(&c);
	return rc;
}

bool vmc_xen_ksyms_value(const struct xen_ksyms *k, const char *name, uint64_t *value)
{
	/* linear: used for a handful of names while validating (n <= KSYMS_MAX); the first bytes
	 * are compared before a call, as nearly every name differs there */
	for (uint32_t i = 0; i < k->n; i++) {
		const char *full = k->names + k->name_off[i], *tail = k->names + k->short_off[i];
		if ((tail[0] == name[0] && !strcmp(tail, name)) || (full != tail && full[0] == name[0] && !strcmp(full, name))) {
			*value = k->value[i];
			return true;
		}
	}
	return false;
}

/* A symbol on its way into xen_syms: key is its name's first 8 bytes as a big-endian number,
 * 0-padded past the name's end, so that comparing keys orders as strcmp does on those bytes
 * and most comparisons of a sort need no strcmp (qsort with strcmp was 1.8 ms of a carve). */
struct keyed_sym {
	uint64_t key;
	struct xen_sym sym;
};

static uint64_t name_key(const char *name)
{
	uint64_t key = 0;
	unsigned i = 0;

	for (; i < 8 && name[i]; i++)
		key = key << 8 | (uint8_t)name[i];
	return i ? key << (8 * (8 - i)) : 0;
}

static int by_name_global_first(const void *a, const void *b)
{
	const struct keyed_sym *x = a, *y = b;
	int c = 0;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->key & 0xff) /* both names go past 8 equal bytes */
		c = strcmp(x->sym.name + 8, y->sym.name + 8);
	/* vmc_xen_ksyms_to_syms puts 'G' (global) or 'l' (local) before each name in strings */
	if (c)
		return c;
	return (x->sym.name[-1] == 'G' ? 0 : 1) - (y->sym.name[-1] == 'G' ? 0 : 1);
}

enum vmc_status vmc_xen_ksyms_to_syms(const struct xen_ksyms *k, uint64_t origin, struct xen_syms *s,
				      struct vmc_diag *d)
{
	size_t total = 0, used = 0, out = 0;
	struct keyed_sym *ks;

	memset(s, 0, sizeof(*s));
	for (uint32_t i = 0; i < k->n; i++)
		total += strlen(k->names + k->short_off[i]) + 2;
	ks = malloc((k->n + 1) * sizeof(*ks));
	if (!ks || !(s->strings = malloc(total + 1)) || !(s->v = calloc(k->n + 1, sizeof(*s->v)))) {
		free(ks);
		vmc_xen_syms_free(s);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < k->n; i++) {
		const char *nm = k->names + k->short_off[i];
		size_t l = strlen(nm);
		bool global = k->type[i] >= 'A' && k->type[i] <= 'Z';
		s->strings[used++] = global ? 'G' : 'l';
		memcpy(s->strings + used, nm, l + 1);
		ks[i].sym.name = s->strings + used;
		ks[i].sym.va = origin + k->value[i];
		ks[i].key = name_key(nm);
		used += l + 1;
	}
	qsort(ks, k->n, sizeof(*ks), by_name_global_first);
	for (uint32_t i = 0; i < k->n; i++)
		s->v[i] = ks[i].sym;
	s->n = k->n;
	free(ks);
	/* one entry per name: the global one, else the locals' common value; statics of the same
	 * name at different addresses in several files are left out (a guess could mislead) */
	for (size_t i = 0, j; i < s->n; i = j) {
		bool same = true;
		for (j = i + 1; j < s->n && !strcmp(s->v[i].name, s->v[j].name); j++)
			same = same && s->v[j].va == s->v[i].va;
		if (s->v[i].name[-1] == 'G' || same)
			s->v[out++] = s->v[i];
	}
	s->n = out;
	return VMC_OK;
}

/* ---- in a dump ------------------------------------------------------------------------------ */

static enum vmc_status pm_read(void *arg, uint64_t addr, void *buf, size_t len, struct vmc_diag *d)
{
	struct xen_host *x = arg;
	return vmc_physmem_read(&x->pm, addr, buf, len, d);
}

/* The scan's frames, read ahead in the scan's direction. */
struct scan_win {
	struct vmc_physmem_window win;
	uint64_t lo_pfn, hi_pfn;
	bool downward;
};

/* The run a miss at pfn reads: the stored frames from pfn on in the scan's direction. */
static uint64_t scan_run(void *arg, uint64_t pfn, uint64_t max, uint64_t *first)
{
	const struct scan_win *w = arg;
	const struct vmc_physmem *pm = w->win.pm;
	uint64_t f = pfn, n = 1;

	if (w->downward)
		while (n < max && f > w->lo_pfn && vmc_physmem_has(pm, f - 1))
			f--, n++;
	else
		while (n < max && pfn + n < w->hi_pfn && vmc_physmem_has(pm, pfn + n))
			n++;
	*first = f;
	return n;
}

/* Frame pfn's bytes (from the window, else the physmem cache, which a read of the same physmem
 * reuses); NULL if absent. */
static const uint8_t *scan_frame(struct scan_win *w, uint64_t pfn)
{
	struct vmc_diag tmp;

	vmc_diag_init(&tmp);
	return vmc_physmem_window_frame(&w->win, pfn, scan_run, w, &tmp);
}

/* One candidate at byte off of frame pfn (pg its bytes): decoded into k when it is a token
 * index whose image lies at want_base (~0: anywhere 2 MiB aligned). 1 found, 0 not, -1 the
 * decode budget spent (d says so). last: why the last decode was refused. */
static int try_table(struct xen_host *x, const uint8_t *pg, uint64_t pfn, unsigned off, uint64_t want_base,
		     unsigned *tries, char *last, size_t last_len, struct xen_ksyms *k, struct vmc_diag *d)
{
	uint8_t raw[512];
	const uint8_t *idx = pg + off; /* the 512 bytes index_like looks at, in place when they fit */
	uint64_t at = (pfn << 12) + off, vi = 0, base;
	struct vmc_diag tmp;

	vmc_diag_init(&tmp);
	if (off + 512 > 4096) {
		if (vmc_physmem_read(&x->pm, at, raw, 512, &tmp))
			return 0;
		idx = raw;
	}
	if (!vmc_xen_ksyms_index_like(idx))
		return 0;
	if (++*tries > SCAN_DECODES) {
		vmc_fail(d, VMC_ERR_LIMIT, "%s: %u token-index look-alikes decoded, none valid (last: %s)", x->dump->name,
			 SCAN_DECODES, last);
		return -1;
	}
	if (vmc_xen_ksyms_decode(pm_read, x, at, k, &tmp)) {
		snprintf(last, last_len, "%s", tmp.msg);
		return 0;
	}
	vmc_xen_ksyms_value(k, "symbols_token_index", &vi);
	base = at - (k->absolute ? vi & (GIB - 1) : vi);
	if (!(base & 0x1fffff) && (want_base == ~0ull || base == want_base))
		return 1;
	/* a table of another image (a guest's?), or not where xen_phys_start says */
	snprintf(last, last_len, "a table at 0x%llx puts the image at 0x%llx, %s", (unsigned long long)at,
		 (unsigned long long)base, want_base != ~0ull ? "not at xen_phys_start" : "not 2 MiB aligned");
	vmc_xen_ksyms_free(k);
	return 0;
}

/* Machine frames lo..hi-1 (top down when downward), stored ones only: token-index candidates,
 * each decoded. want_base: the image's machine base when known (CRASH_INFO), else ~0. */
static enum vmc_status scan_range(struct xen_host *x, uint64_t lo_pfn, uint64_t hi_pfn, bool downward, uint64_t want_base,
				  struct xen_ksyms *k, struct vmc_diag *d)
{
	struct scan_win w = { .lo_pfn = lo_pfn, .hi_pfn = hi_pfn, .downward = downward };
	unsigned tries = 0;
	char last[sizeof(((struct vmc_diag *)0)->msg)] = "";
	int found = 0;

	if (hi_pfn <= lo_pfn) /* e.g. a xen_phys_start past the end of the dump */
		return vmc_fail(d, VMC_ERR_MISSING, "frames 0x%llx-0x%llx are not in the dump", (unsigned long long)lo_pfn,
				(unsigned long long)hi_pfn);
	vmc_physmem_window_init(&w.win, &x->pm);
	for (uint64_t i = 0; i < hi_pfn - lo_pfn && !found; i++) {
		uint64_t pfn = downward ? hi_pfn - 1 - i : lo_pfn + i;
		const uint8_t *pg;

		if (!vmc_physmem_has(&x->pm, pfn) || !(pg = scan_frame(&w, pfn)))
			continue;
		for (unsigned off = 0; off + 6 <= 4096 && !found; off += 4) {
			unsigned a = vmc_le16(pg + off + 2), b = vmc_le16(pg + off + 4);
			if (vmc_le16(pg + off) || !a || a > TOKEN_MAX || b <= a || b - a > TOKEN_MAX)
				continue;
			found = try_table(x, pg, pfn, off, want_base, &tries, last, sizeof(last), k, d);
			/* the decode read through the physmem cache, which may have held pg */
			if (!found && !(pg = scan_frame(&w, pfn)))
				break;
		}
	}
	vmc_physmem_window_fini(&w.win);
	if (found)
		return found > 0 ? VMC_OK : VMC_ERR_LIMIT;
	return vmc_fail(d, VMC_ERR_NOTFOUND, "%s", last[0] ? last : "no symbols_token_index look-alike");
}

/* XEN_VIRT_START from the CPUs' page tables: the lowest 1 GiB boundary in Xen's PML4 slots
 * under which the table's own symbols and domain_list map where the image lies. */
static bool origin_from_cr3(struct xen_host *x, const struct xen_ksyms *k, uint64_t base_ma, uint64_t *origin,
			    unsigned *cpu)
{
	static const char *const probe_syms[] = { "symbols_token_index", "symbols_names", "domain_list", "idle_pg_table" };
	uint64_t off[4];
	struct vmc_pt pt = { .pm = &x->pm, .format = VMC_PT_X86_64, .levels = 4 };

	for (unsigned i = 0; i < 4; i++)
		if (!vmc_xen_ksyms_value(k, probe_syms[i], &off[i]))
			return false;
	for (unsigned c = 0; c < x->npcpu_cr3; c++) {
		pt.root = x->pcpu_cr3[c] & 0x000ffffffffff000ull;
		for (uint64_t va = XEN_HV_VIRT_START; va < XEN_HV_VIRT_END; va += GIB) {
			unsigned ok = 0;
			for (unsigned i = 0; i < 4; i++) {
				uint64_t ma;
				struct vmc_diag tmp;
				vmc_diag_init(&tmp);
				if (vmc_pt_translate(&pt, va + off[i], &ma, NULL, &tmp) || ma != base_ma + off[i])
					break;
				ok++;
			}
			if (ok == 4) {
				*origin = va;
				*cpu = c;
				return true;
			}
		}
	}
	return false;
}

/* What vmc_xen_ksyms_load() learns: the table, where the image lies and XEN_VIRT_START. */
struct ksyms_load {
	struct xen_ksyms k;
	uint64_t base_ma, origin;
	const char *origin_src;
	unsigned agree, cpu;
	char how[160];
};

static const char from_cr3[] = "the CPUs' page tables";

/* The frame below which the table likely ends, 0 if unknown: the lowest of the image's data
 * symbols that VMCOREINFO_XEN gives (the tables close .rodata, before .data and .bss). An
 * offset in the image is the VA modulo 1 GiB, XEN_VIRT_START being 1 GiB aligned (checked
 * by find_origin once the table is found). */
static uint64_t data_hint_pfn(const struct xen_host *x, uint64_t lo, uint64_t hi)
{
	const uint64_t va[] = { x->sym_domain_list, x->sym_max_page, x->sym_pgd_l4, x->sym_dom_xen, x->sym_dom_io };
	uint64_t best = 0;

	for (unsigned i = 0; i < sizeof(va) / sizeof(va[0]); i++) {
		uint64_t pfn = (x->xen_phys_start + (va[i] & (GIB - 1))) >> 12;
		if (va[i] >= XEN_HV_VIRT_START && va[i] < XEN_HV_VIRT_END && pfn > lo && pfn < hi && (!best || pfn < best))
			best = pfn;
	}
	return best;
}

/* In the image at CRASH_INFO's xen_phys_start (first down from the data symbols, a quarter of
 * the way on the test bed's Xen; then the whole image up, as if no hint had been tried), else
 * by a scan of machine memory below 4 GiB. */
static enum vmc_status find_table(struct xen_host *x, struct ksyms_load *l, struct vmc_diag *d)
{
	uint64_t max_pfn = x->dump->max_pfn;
	enum vmc_status rc;

	if (x->has_crash_info && x->xen_phys_start) {
		uint64_t lo = x->xen_phys_start >> 12, hi = lo + (IMAGE_SCAN >> 12), hint;
		if (hi > max_pfn)
			hi = max_pfn;
		hint = data_hint_pfn(x, lo, hi);
		if ((!hint || scan_range(x, lo, hint + 1, true, x->xen_phys_start, &l->k, &(struct vmc_diag){ 0 })) &&
		    (rc = scan_range(x, lo, hi, false, x->xen_phys_start, &l->k, d)))
			return vmc_wrap(d, rc, "%s: no Xen symbol table in the image at xen_phys_start 0x%llx", x->dump->name,
					(unsigned long long)x->xen_phys_start);
		snprintf(l->how, sizeof(l->how), "in the image at CRASH_INFO's xen_phys_start");
	} else {
		uint64_t hi = max_pfn < (BELOW_4G >> 12) ? max_pfn : BELOW_4G >> 12;
		if ((rc = scan_range(x, 0, hi, true, ~0ull, &l->k, d)))
			return vmc_wrap(d, rc, "%s: no Xen symbol table found in machine memory below 0x%llx", x->dump->name,
					(unsigned long long)(hi << 12));
		snprintf(l->how, sizeof(l->how), "by a scan of machine memory below 0x%llx", (unsigned long long)(hi << 12));
	}
	return VMC_OK;
}

/* XEN_VIRT_START: 0 for absolute addresses, else from VMCOREINFO_XEN or the CPUs' CR3s. */
static enum vmc_status find_origin(struct xen_host *x, struct ksyms_load *l, struct vmc_diag *d)
{
	uint64_t ti = 0, v;

	vmc_xen_ksyms_value(&l->k, "symbols_token_index", &ti);
	l->base_ma = l->k.token_index_at - ti; /* machine address of XEN_VIRT_START (offsets form) */
	if (l->k.absolute) {
		l->origin = 0;
		l->origin_src = "absolute addresses";
		l->base_ma = l->k.token_index_at - (ti & (GIB - 1));
	} else if (x->has_vmcoreinfo && x->sym_domain_list && vmc_xen_ksyms_value(&l->k, "domain_list", &v)) {
		l->origin = x->sym_domain_list - v;
		l->origin_src = "VMCOREINFO_XEN's domain_list";
	} else if (origin_from_cr3(x, &l->k, l->base_ma, &l->origin, &l->cpu)) {
		l->origin_src = from_cr3;
	} else {
		return vmc_fail(d, VMC_ERR_CORRUPT,
				"%s: the Xen symbol table at 0x%llx is not mapped by any of the %u saved CR3s at a 1 GiB "
				"boundary in Xen's range 0x%llx-0x%llx (image at 0x%llx)",
				x->dump->name, (unsigned long long)l->k.token_index_at, x->npcpu_cr3,
				(unsigned long long)XEN_HV_VIRT_START, (unsigned long long)XEN_HV_VIRT_END,
				(unsigned long long)l->base_ma);
	}
	if (l->origin & (GIB - 1))
		return vmc_fail(d, VMC_ERR_CORRUPT,
				"%s: the Xen symbol table puts XEN_VIRT_START at 0x%llx (from %s): not 1 GiB aligned",
				x->dump->name, (unsigned long long)l->origin, l->origin_src);
	return VMC_OK;
}

/* every symbol VMCOREINFO_XEN also gives must agree */
static enum vmc_status check_vmcoreinfo_syms(struct xen_host *x, struct ksyms_load *l, struct vmc_diag *d)
{
	struct {
		const char *name, *alt;
		uint64_t va;
	} vi[] = { { "domain_list", NULL, x->sym_domain_list }, { "_frame_table.0", "_frame_table", x->sym_frame_table },
		   { "max_page", NULL, x->sym_max_page },       { "idle_pg_table", NULL, x->sym_pgd_l4 },
		   { "dom_xen", NULL, x->sym_dom_xen },         { "dom_io", NULL, x->sym_dom_io } };
	uint64_t v;

	for (unsigned i = 0; i < sizeof(vi) / sizeof(vi[0]); i++) {
		if (!vi[i].va ||
		    !(vmc_xen_ksyms_value(&l->k, vi[i].name, &v) || (vi[i].alt && vmc_xen_ksyms_value(&l->k, vi[i].alt, &v))))
			continue;
		if (l->origin + v != vi[i].va)
			return vmc_fail(d, VMC_ERR_CORRUPT,
					"%s: the Xen symbol table at 0x%llx says %s is 0x%llx, VMCOREINFO_XEN says 0x%llx",
					x->dump->name, (unsigned long long)l->k.token_index_at, vi[i].name,
					(unsigned long long)(l->origin + v), (unsigned long long)vi[i].va);
		l->agree++;
	}
	return VMC_OK;
}

static void report_table(struct xen_host *x, struct ksyms_load *l)
{
	const struct xen_ksyms *k = &l->k;

	vmc_hv_report(x->hv, "xen_syms=embedded symbol table in Xen's image (%u symbols, %s form, found %s)", k->n,
		      k->absolute ? "symbols_addresses" : "symbols_offsets", l->how);
	vmc_hv_report(x->hv,
		      "xen_syms.embedded: token_index=0x%llx token_table=0x%llx markers=0x%llx names=0x%llx num_syms=0x%llx %s=0x%llx%s",
		      (unsigned long long)k->token_index_at, (unsigned long long)k->token_table_at,
		      (unsigned long long)k->markers_at, (unsigned long long)k->names_at, (unsigned long long)k->num_syms_at,
		      k->absolute ? "addresses" : "offsets", (unsigned long long)k->values_at,
		      k->sorted_checked ? " sorted_offsets=consistent" : " (no symbols_sorted_offsets)");
	if (l->origin_src == from_cr3)
		snprintf(l->how, sizeof(l->how), "%s: pcpu%u's CR3 0x%llx maps it", from_cr3, l->cpu,
			 (unsigned long long)x->pcpu_cr3[l->cpu]);
	else
		snprintf(l->how, sizeof(l->how), "%s", l->origin_src);
	vmc_hv_report(x->hv, "xen_syms.embedded: image at machine 0x%llx, XEN_VIRT_START=0x%llx (from %s); %u VMCOREINFO_XEN symbols agree",
		      (unsigned long long)l->base_ma, (unsigned long long)l->origin, l->how, l->agree);
}

enum vmc_status vmc_xen_ksyms_load(struct xen_host *x, struct xen_syms *s, struct vmc_diag *d)
{
	struct ksyms_load l = { 0 };
	enum vmc_status rc;

	memset(s, 0, sizeof(*s));
	if ((rc = find_table(x, &l, d)))
		return rc;
	if (!(rc = find_origin(x, &l, d)) && !(rc = check_vmcoreinfo_syms(x, &l, d)) &&
	    !(rc = vmc_xen_ksyms_to_syms(&l.k, l.origin, s, d)))
		report_table(x, &l);
	vmc_xen_ksyms_free(&l.k);
	return rc;
}
