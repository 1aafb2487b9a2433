/* linux_kallsyms.c: decoding the kernel's compressed kallsyms tables out of a dump. */
#include "linux_kallsyms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "notes.h"

#define KSYM_MAX_SYMS (1u << 22)  /* a real kernel has ~10^5; bound hostile counts */
#define KSYM_NAME_MAX 512         /* KSYM_NAME_LEN is 512 since 6.1 */

static uint64_t sym_addr(const struct vmc_kallsyms *ks, uint32_t i, enum vmc_ksyms_mode mode)
{
	int32_t off = ks->offsets[i];
	if (mode == VMC_KSYMS_ABS_PERCPU)
		return off >= 0 ? (uint64_t)(uint32_t)off : ks->relative_base - 1 - (int64_t)off;
	return ks->relative_base + (uint32_t)off;
}

/* One entry's length prefix (1 byte, or 2 since 6.1 for big symbols); false when cut. */
static bool entry_len(const uint8_t *names, size_t names_len, size_t *pos, size_t *len)
{
	if (*pos >= names_len)
		return false;
	*len = names[(*pos)++];
	if (*len & 0x80) {
		if (*pos >= names_len)
			return false;
		*len = (*len & 0x7f) | ((size_t)names[(*pos)++] << 7);
	}
	return *len <= names_len - *pos;
}

/* Walk every entry once without expanding it: each must be within the table and decode to at
 * most KSYM_NAME_MAX bytes, so lookups need no bounds checks. *end: where the last one ends. */
static enum vmc_status check_names(const struct vmc_kallsyms_raw *raw, const uint32_t *token_len, size_t *end,
				   struct vmc_diag *d)
{
	size_t pos = 0, total = 0, max_tok = 0;
	bool bounded;

	/* an entry of len codes decodes to at most len * max_tok bytes: when that cannot break a
	 * limit, its codes need not be summed (a real table: tokens of a few bytes, 1.2 M codes).
	 * Only when the whole table cannot pass the 1 GiB limit, which needs the exact sum. */
	for (unsigned t = 0; t < 256; t++)
		max_tok = token_len[t] > max_tok ? token_len[t] : max_tok;
	bounded = (uint64_t)raw->names_len * max_tok + raw->num_syms <= (uint64_t)1 << 30;
	for (uint32_t i = 0; i < raw->num_syms; i++) {
		size_t len, bytes = 0;
		if (!entry_len(raw->names, raw->names_len, &pos, &len))
			return vmc_fail(d, VMC_ERR_TRUNCATED, "kallsyms: kallsyms_names ends before symbol %u of %u", i,
					raw->num_syms);
		if (bounded && (uint64_t)len * max_tok <= KSYM_NAME_MAX) {
			pos += len;
			continue;
		}
		for (size_t k = 0; k < len; k++)
			bytes += token_len[raw->names[pos + k]];
		if ((total += bytes + 1) > (size_t)1 << 30)
			return vmc_fail(d, VMC_ERR_LIMIT, "kallsyms: more than 1 GiB of names");
		if (bytes > KSYM_NAME_MAX)
			return vmc_fail(d, VMC_ERR_CORRUPT, "kallsyms: symbol %u decodes to %zu bytes", i, bytes);
		pos += len;
	}
	*end = pos;
	return VMC_OK;
}

/* Check raw and keep names, ttab and offs (raw's tables, or copies of them) in out; own holds
 * the malloc'ed ones among them, which out takes (freed on failure). */
static enum vmc_status adopt(const struct vmc_kallsyms_raw *raw, const uint8_t *names, const uint8_t *ttab,
			     const int32_t *offs, void *const own[3], enum vmc_ksyms_mode mode, struct vmc_kallsyms *out,
			     struct vmc_diag *d)
{
	uint32_t token_len[256];
	size_t end = 0;
	enum vmc_status rc = VMC_OK;

	memset(out, 0, sizeof(*out));
	if (raw->num_syms == 0 || raw->num_syms > KSYM_MAX_SYMS)
		rc = vmc_fail(d, VMC_ERR_CORRUPT, "kallsyms: implausible kallsyms_num_syms %u", raw->num_syms);
	for (unsigned t = 0; !rc && t < 256; t++) {
		const uint8_t *tok = raw->token_table + raw->token_index[t], *nul;
		if (raw->token_index[t] >= raw->token_table_len ||
		    !(nul = memchr(tok, 0, raw->token_table_len - raw->token_index[t])))
			rc = vmc_fail(d, VMC_ERR_CORRUPT, "kallsyms: token %u at offset %u is outside the token table (%zu bytes)",
				      t, raw->token_index[t], raw->token_table_len);
		else
			token_len[t] = (uint32_t)(nul - tok);
	}
	if (!rc)
		rc = check_names(raw, token_len, &end, d);
	if (rc) {
		for (int k = 0; k < 3; k++)
			free(own[k]);
		return rc;
	}
	out->n = raw->num_syms;
	out->mode = mode;
	out->names = names;
	out->names_len = end;
	out->token_table = ttab;
	out->token_table_len = raw->token_table_len;
	out->offsets = offs;
	out->relative_base = raw->relative_base;
	memcpy(out->owned, own, sizeof(out->owned));
	memcpy(out->token_index, raw->token_index, sizeof(out->token_index));
	for (unsigned t = 0; t < 256; t++) /* tokens are short: KSYM_NAME_MAX bounds any that is used */
		out->token_len[t] = (uint16_t)(token_len[t] > 0xffff ? 0xffff : token_len[t]);
	return VMC_OK;
}

enum vmc_status vmc_kallsyms_decode(const struct vmc_kallsyms_raw *raw, enum vmc_ksyms_mode mode,
				    struct vmc_kallsyms *out, struct vmc_diag *d)
{
	uint8_t *names, *ttab;
	int32_t *offs;
	void *none[3] = { NULL, NULL, NULL };

	memset(out, 0, sizeof(*out));
	if (raw->num_syms == 0 || raw->num_syms > KSYM_MAX_SYMS) /* before sizing a copy by it */
		return adopt(raw, NULL, NULL, NULL, none, mode, out, d);
	names = malloc(raw->names_len ? raw->names_len : 1);
	ttab = malloc(raw->token_table_len ? raw->token_table_len : 1);
	offs = malloc((size_t)raw->num_syms * sizeof(*offs));
	if (!names || !ttab || !offs) {
		free(names);
		free(ttab);
		free(offs);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	memcpy(names, raw->names, raw->names_len);
	memcpy(ttab, raw->token_table, raw->token_table_len);
	memcpy(offs, raw->offsets, (size_t)raw->num_syms * sizeof(*offs));
	return adopt(raw, names, ttab, offs, (void *const[3]){ names, ttab, offs }, mode, out, d);
}

/* Does the entry expand to a type letter followed by exactly name (nlen bytes)? */
static bool entry_is(const struct vmc_kallsyms *ks, const uint8_t *codes, size_t ncodes, const char *name,
		     size_t nlen, char *type)
{
	size_t q = 0;
	bool typed = false;

	for (size_t k = 0; k < ncodes; k++) {
		const char *tok = (const char *)ks->token_table + ks->token_index[codes[k]];
		size_t tl = ks->token_len[codes[k]];
		if (!typed) {
			if (!tl)
				continue;
			*type = *tok++;
			tl--;
			typed = true;
		}
		if (tl > nlen - q || memcmp(tok, name + q, tl))
			return false;
		q += tl;
	}
	return typed && q == nlen;
}

/* Can token t begin an entry "<type>name"? A token of the type letter alone (or empty) can. */
static bool may_begin(const struct vmc_kallsyms *ks, unsigned t, const char *name, size_t nlen)
{
	const char *tok = (const char *)ks->token_table + ks->token_index[t];
	size_t tl = ks->token_len[t];

	return tl <= 1 || (tl - 1 <= nlen && memcmp(tok + 1, name, tl - 1) == 0);
}

/* Can token t follow a first token of the type letter alone? Only if name starts with it. */
static bool may_follow_type(const struct vmc_kallsyms *ks, unsigned t, const char *name, size_t nlen)
{
	const char *tok = (const char *)ks->token_table + ks->token_index[t];
	size_t tl = ks->token_len[t];

	return tl == 0 || (tl <= nlen && memcmp(tok, name, tl) == 0);
}

#define FIND_BATCH 64 /* names resolved per walk: one bit each in a token's mask */

/* Which of the names an entry's first codes allow: most entries are ruled out by their first
 * token, or, when that is the type letter alone (most are), by their second. */
struct find_masks {
	uint64_t begins[256], follows[256];
};

static uint64_t candidates(const struct vmc_kallsyms *ks, const struct find_masks *fm, const uint8_t *codes, size_t len)
{
	uint64_t m = len ? fm->begins[codes[0]] : 0;

	if (m && len > 1 && ks->token_len[codes[0]] == 1)
		m &= fm->follows[codes[1]];
	return m;
}

/* The index (and type) of the first symbol called names[j], for up to FIND_BATCH names in one
 * walk of the table; found[j] says which were. */
static void find_many(const struct vmc_kallsyms *ks, const char *const *names, unsigned n, uint32_t *idx, char *type,
		      bool *found)
{
	struct find_masks fm;
	uint64_t todo = 0;
	size_t nlen[FIND_BATCH], pos = 0;

	memset(&fm, 0, sizeof(fm));
	for (unsigned j = 0; j < n && j < FIND_BATCH; j++) {
		found[j] = false;
		if (!(nlen[j] = strlen(names[j])) || !ks->names)
			continue;
		todo |= 1ull << j;
		for (unsigned t = 0; t < 256; t++) {
			fm.begins[t] |= (uint64_t)may_begin(ks, t, names[j], nlen[j]) << j;
			fm.follows[t] |= (uint64_t)may_follow_type(ks, t, names[j], nlen[j]) << j;
		}
	}
	for (uint32_t i = 0; i < ks->n && todo; i++) {
		size_t len = ks->names[pos++];
		if (len & 0x80)
			len = (len & 0x7f) | ((size_t)ks->names[pos++] << 7);
		for (uint64_t m = candidates(ks, &fm, ks->names + pos, len) & todo; m; m &= m - 1) {
			unsigned j = (unsigned)__builtin_ctzll(m);
			if (entry_is(ks, ks->names + pos, len, names[j], nlen[j], &type[j])) {
				idx[j] = i;
				found[j] = true;
				todo &= ~(1ull << j);
			}
		}
		pos += len;
	}
}

/* The index of the first symbol called name. */
static bool find(const struct vmc_kallsyms *ks, const char *name, uint32_t *idx, char *type)
{
	bool found;

	find_many(ks, &name, 1, idx, type, &found);
	return found;
}

void vmc_kallsyms_lookup_many(const struct vmc_kallsyms *ks, const char *const *names, unsigned n, uint64_t *addr,
			      bool *found)
{
	uint32_t idx[FIND_BATCH];
	char type[FIND_BATCH];

	for (unsigned b = 0; b < n; b += FIND_BATCH) {
		unsigned k = n - b < FIND_BATCH ? n - b : FIND_BATCH;
		find_many(ks, names + b, k, idx, type, found + b);
		for (unsigned j = 0; j < k; j++)
			if (found[b + j])
				addr[b + j] = sym_addr(ks, idx[j], ks->mode);
	}
}

bool vmc_kallsyms_lookup(const struct vmc_kallsyms *ks, const char *name, uint64_t *addr, char *type)
{
	uint32_t i;
	char t;

	if (!find(ks, name, &i, &t))
		return false;
	*addr = sym_addr(ks, i, ks->mode);
	if (type)
		*type = t;
	return true;
}

void vmc_kallsyms_free(struct vmc_kallsyms *ks)
{
	for (int k = 0; k < 3; k++)
		free(ks->owned[k]);
	memset(ks, 0, sizeof(*ks));
}

/* kallsyms_names has no recorded length: read it in chunks while walking the entries. */
struct namebuf {
	uint8_t *b;
	size_t have, cap;
};

static enum vmc_status ensure(struct vmc_lkmem *km, uint64_t va, struct namebuf *nb, size_t need, struct vmc_diag *d)
{
	while (nb->have < need) {
		enum vmc_status rc;
		if (nb->have + 65536 > nb->cap && (nb->cap ? nb->cap * 2 : (size_t)1 << 20) > (size_t)256 << 20)
			return vmc_fail(d, VMC_ERR_LIMIT, "kallsyms: kallsyms_names larger than 256 MiB");
		if ((rc = vmc_grow(&nb->b, &nb->cap, nb->have + 65536, (size_t)1 << 20, d)))
			return rc;
		if ((rc = vmc_lkmem_read(km, va + nb->have, nb->b + nb->have, 65536, d)))
			return vmc_wrap(d, rc, "kallsyms_names");
		nb->have += 65536;
	}
	return VMC_OK;
}

static enum vmc_status read_names(struct vmc_lkmem *km, uint64_t va, uint32_t n, uint8_t **buf, size_t *len,
				  struct vmc_diag *d)
{
	struct namebuf nb = { 0 };
	size_t pos = 0;
	enum vmc_status rc;

	for (uint32_t i = 0; i < n; i++) {
		size_t l, hdr = 1;
		if ((rc = ensure(km, va, &nb, pos + 2, d)))
			goto fail;
		l = nb.b[pos];
		if (l & 0x80)
			l = (l & 0x7f) | ((size_t)nb.b[pos + 1] << 7), hdr = 2;
		pos += hdr + l;
		if ((rc = ensure(km, va, &nb, pos, d)))
			goto fail;
	}
	*buf = nb.b;
	*len = pos;
	return VMC_OK;
fail:
	free(nb.b);
	return rc;
}

/* Extend the view *p of the names at va so that it covers what read_names would have read to
 * see need bytes (whole 64 KiB chunks): false when that is not one mapped run, or is more than
 * read_names itself may take (it then reads and judges). */
static bool cover(struct vmc_lkmem *km, uint64_t va, const uint8_t **p, size_t *win, size_t *have, size_t need)
{
	while (*have < need)
		if ((*have += 65536) > (size_t)128 << 20)
			return false;
	if (*have <= *win)
		return true;
	while (*win < *have)
		*win = *win ? *win * 2 : 65536;
	return (*p = vmc_lkmem_map(km, va, *win)) != NULL;
}

/* kallsyms_names in place, in the dump's mapping: the n entries' extent, found as read_names
 * finds it and in a window holding every chunk read_names would read, so the mapping is used
 * only where read_names would have succeeded. NULL: read_names must copy it. */
static const uint8_t *names_view(struct vmc_lkmem *km, uint64_t va, uint32_t n, size_t *len)
{
	const uint8_t *p = NULL;
	size_t win = 0, have = 0, pos = 0;

	for (uint32_t i = 0; i < n; i++) {
		size_t l;
		if (!cover(km, va, &p, &win, &have, pos + 2))
			return NULL;
		l = p[pos];
		pos += (l & 0x80) ? 2 + ((l & 0x7f) | ((size_t)p[pos + 1] << 7)) : 1 + l;
		if (!cover(km, va, &p, &win, &have, pos))
			return NULL;
	}
	*len = pos;
	return p;
}

/* A table of len bytes at va: in place in the dump's mapping, else a copy in *copy. */
static enum vmc_status table_at(struct vmc_lkmem *km, uint64_t va, size_t len, const void **p, void **copy,
				struct vmc_diag *d)
{
	enum vmc_status rc;

	*copy = NULL;
	if ((*p = vmc_lkmem_map(km, va, len)))
		return VMC_OK;
	if (!(*copy = malloc(len ? len : 1)))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	if ((rc = vmc_lkmem_read(km, va, *copy, len, d))) {
		free(*copy);
		*copy = NULL;
		return rc;
	}
	*p = *copy;
	return VMC_OK;
}

static bool vi_symbol(const struct vmc_lkmem *km, const char *name, uint64_t *va)
{
	char key[96];
	snprintf(key, sizeof(key), "SYMBOL(%s)", name);
	return vmcoreinfo_get_u64(km->vmcoreinfo, km->vmcoreinfo_len, key, 16, va);
}

/* The SYMBOL() names of VMCOREINFO, looked up FIND_BATCH at a time. */
struct vi_batch {
	char name[FIND_BATCH][80];
	const char *ptr[FIND_BATCH];
	unsigned n;
};

static void count_batch(const struct vmc_lkmem *km, const struct vmc_kallsyms *ks, struct vi_batch *b, unsigned agree[2],
			unsigned disagree[2])
{
	uint32_t idx[FIND_BATCH];
	char type[FIND_BATCH];
	bool found[FIND_BATCH];
	uint64_t vi_va;

	find_many(ks, b->ptr, b->n, idx, type, found);
	for (unsigned j = 0; j < b->n; j++)
		if (found[j] && vi_symbol(km, b->name[j], &vi_va))
			for (int m = 0; m < 2; m++) {
				if (vi_va == sym_addr(ks, idx[j], (enum vmc_ksyms_mode)m))
					agree[m]++;
				else
					disagree[m]++;
			}
	b->n = 0;
}

/* How many VMCOREINFO SYMBOL() lines agree / disagree with the table, under each address
 * mode (indexed by enum vmc_ksyms_mode): each name is looked up once for both, and a walk of
 * the table resolves a batch of names (a kernel exports a few dozen). */
static void check_against_vmcoreinfo(const struct vmc_lkmem *km, const struct vmc_kallsyms *ks, unsigned agree[2],
				     unsigned disagree[2])
{
	const char *p = (const char *)km->vmcoreinfo, *end = p + km->vmcoreinfo_len;
	struct vi_batch batch, *b = &batch;

	agree[0] = agree[1] = disagree[0] = disagree[1] = 0;
	b->n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		if (le - p > 8 && memcmp(p, "SYMBOL(", 7) == 0) {
			const char *close = memchr(p, ')', (size_t)(le - p));
			char *name = b->name[b->n];
			if (close && close - p - 7 < 80 && close + 1 < le && close[1] == '=') {
				memcpy(name, p + 7, (size_t)(close - p - 7));
				name[close - p - 7] = '\0';
				/* SYMBOL(mem_section) holds the pointer's value (VMCOREINFO_SYMBOL_ARRAY) */
				if (strcmp(name, "mem_section")) {
					b->ptr[b->n] = name;
					if (++b->n == FIND_BATCH)
						count_batch(km, ks, b, agree, disagree);
				}
			}
		}
		p = le + 1;
	}
	if (b->n)
		count_batch(km, ks, b, agree, disagree);
}

/* The three tables (kallsyms_token_table, _offsets, _names) in place or copied; own gets the copies. */
static enum vmc_status load_tables(struct vmc_lkmem *km, const uint64_t va[3], struct vmc_kallsyms_raw *raw,
				   void *own[3], struct vmc_diag *d)
{
	const void *ttab, *offs;
	enum vmc_status rc;

	if ((rc = table_at(km, va[0], raw->token_table_len, &ttab, &own[0], d)) ||
	    (rc = table_at(km, va[1], (size_t)raw->num_syms * 4, &offs, &own[1], d)))
		return rc;
	raw->token_table = ttab;
	raw->offsets = offs;
	if ((raw->names = names_view(km, va[2], raw->num_syms, &raw->names_len)))
		return VMC_OK;
	if ((rc = read_names(km, va[2], raw->num_syms, (uint8_t **)&own[2], &raw->names_len, d)))
		return rc;
	raw->names = own[2];
	return VMC_OK;
}

enum vmc_status vmc_kallsyms_load(struct vmc_lkmem *km, struct vmc_kallsyms *out, struct vmc_diag *d)
{
	uint64_t va_names, va_num, va_ttab, va_tidx, va_offs, va_base;
	struct vmc_kallsyms_raw raw;
	uint16_t tidx[256];
	void *own[3] = { NULL, NULL, NULL };
	uint32_t num;
	enum vmc_status rc;
	unsigned agree[2], disagree[2];

	memset(out, 0, sizeof(*out));
	if (!vi_symbol(km, "kallsyms_names", &va_names) || !vi_symbol(km, "kallsyms_num_syms", &va_num) ||
	    !vi_symbol(km, "kallsyms_token_table", &va_ttab) || !vi_symbol(km, "kallsyms_token_index", &va_tidx) ||
	    !vi_symbol(km, "kallsyms_offsets", &va_offs) || !vi_symbol(km, "kallsyms_relative_base", &va_base))
		return vmc_fail(d, VMC_ERR_MISSING,
				"%s: VMCOREINFO does not carry the kallsyms tables (Linux >= 6.0 exports them; give --host-debuginfo)",
				km->dump->name);
	memset(&raw, 0, sizeof(raw));
	if ((rc = vmc_lkmem_read_u32(km, va_num, &num, d)) || (rc = vmc_lkmem_read_u64(km, va_base, &raw.relative_base, d)) ||
	    (rc = vmc_lkmem_read(km, va_tidx, tidx, sizeof(tidx), d)))
		return vmc_wrap(d, rc, "kallsyms");
	if (num == 0 || num > KSYM_MAX_SYMS)
		return vmc_fail(d, VMC_ERR_CORRUPT, "kallsyms: kallsyms_num_syms at 0x%llx is %u", (unsigned long long)va_num, num);
	for (unsigned t = 0; t < 256; t++)
		if (tidx[t] + (size_t)64 > raw.token_table_len)
			raw.token_table_len = tidx[t] + (size_t)64; /* tokens are short; the decoder checks the NUL */
	raw.token_index = tidx;
	raw.num_syms = num;
	if ((rc = load_tables(km, (const uint64_t[3]){ va_ttab, va_offs, va_names }, &raw, own, d))) {
		for (int k = 0; k < 3; k++)
			free(own[k]);
		return rc == VMC_ERR_NOMEM ? rc : vmc_wrap(d, rc, "kallsyms");
	}
	if ((rc = adopt(&raw, raw.names, raw.token_table, raw.offsets, own, VMC_KSYMS_RELATIVE, out, d)))
		return rc; /* adopt freed own */
	/* the build's address mode is not recorded: take the one that agrees with VMCOREINFO */
	check_against_vmcoreinfo(km, out, agree, disagree);
	for (int m = 0; m < 2; m++)
		if (agree[m] >= 2 && disagree[m] == 0) {
			out->mode = (enum vmc_ksyms_mode)m;
			out->checked = agree[m];
			return VMC_OK;
		}
	vmc_kallsyms_free(out);
	return vmc_fail(d, VMC_ERR_CORRUPT,
			"kallsyms: decoded addresses disagree with VMCOREINFO (relative: %u agree, %u differ; absolute-percpu: %u agree, %u differ)",
			agree[0], disagree[0], agree[1], disagree[1]);
}
