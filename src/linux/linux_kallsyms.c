/* linux_kallsyms.c: decoding the kernel's compressed kallsyms tables out of a dump. */
#include "linux_kallsyms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "notes.h"
#include "symtab.h"

#define KSYM_MAX_SYMS (1u << 22)  /* a real kernel has ~10^5; bound hostile counts */
#define KSYM_NAME_MAX 512         /* KSYM_NAME_LEN is 512 since 6.1 */

static uint64_t sym_addr(const struct vmc_kallsyms_raw *raw, uint32_t i, enum vmc_ksyms_mode mode)
{
	int32_t off = raw->offsets[i];
	if (mode == VMC_KSYMS_ABS_PERCPU)
		return off >= 0 ? (uint64_t)(uint32_t)off : raw->relative_base - 1 - (int64_t)off;
	return raw->relative_base + (uint32_t)off;
}

/* Name lookups run for every symbol the KVM route needs: index the ~100k names once. Symbols
 * are inserted in table order, so among equal names the probe meets the first one first. */
static const char *ksym_name(const void *arg, uint32_t i)
{
	const struct vmc_kallsyms *ks = arg;
	const char *s = ks->names + ks->name_off[i];
	return s[0] ? s + 1 : NULL; /* past the type letter */
}

static int build_index(struct vmc_kallsyms *ks)
{
	return vmc_name_index_build(&ks->index, &ks->index_mask, ks->n, ksym_name, ks);
}

enum vmc_status vmc_kallsyms_decode(const struct vmc_kallsyms_raw *raw, enum vmc_ksyms_mode mode,
				    struct vmc_kallsyms *out, struct vmc_diag *d)
{
	size_t pos = 0, cap, used = 0;
	uint32_t i;
	char *names;
	enum vmc_status rc;

	memset(out, 0, sizeof(*out));
	if (raw->num_syms == 0 || raw->num_syms > KSYM_MAX_SYMS)
		return vmc_fail(d, VMC_ERR_CORRUPT, "kallsyms: implausible kallsyms_num_syms %u", raw->num_syms);
	for (unsigned t = 0; t < 256; t++)
		if (raw->token_index[t] >= raw->token_table_len ||
		    !memchr(raw->token_table + raw->token_index[t], 0, raw->token_table_len - raw->token_index[t]))
			return vmc_fail(d, VMC_ERR_CORRUPT, "kallsyms: token %u at offset %u is outside the token table (%zu bytes)",
					t, raw->token_index[t], raw->token_table_len);
	cap = (size_t)raw->num_syms * 24 + 4096;
	out->addr = malloc(raw->num_syms * sizeof(*out->addr));
	out->name_off = malloc(raw->num_syms * sizeof(*out->name_off));
	names = malloc(cap);
	if (!out->addr || !out->name_off || !names) {
		free(names);
		vmc_kallsyms_free(out);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < raw->num_syms; i++) {
		size_t len, start = used;

		if (pos >= raw->names_len)
			goto trunc;
		len = raw->names[pos++];
		if (len & 0x80) { /* since 6.1: a second length byte (big symbols) */
			if (pos >= raw->names_len)
				goto trunc;
			len = (len & 0x7f) | ((size_t)raw->names[pos++] << 7);
		}
		if (len > raw->names_len - pos)
			goto trunc;
		if ((rc = vmc_ksym_expand(raw->names + pos, len, (const char *)raw->token_table, raw->token_index, &names,
					  &used, &cap, d))) {
			free(names);
			vmc_kallsyms_free(out);
			return rc;
		}
		if (used - start > KSYM_NAME_MAX) {
			free(names);
			vmc_kallsyms_free(out);
			return vmc_fail(d, VMC_ERR_CORRUPT, "kallsyms: symbol %u decodes to %zu bytes", i, used - start);
		}
		names[used++] = '\0';
		pos += len;
		out->name_off[i] = (uint32_t)start;
		out->addr[i] = sym_addr(raw, i, mode);
	}
	out->names = names;
	out->names_len = used;
	out->n = raw->num_syms;
	out->mode = mode;
	if (build_index(out)) {
		vmc_kallsyms_free(out);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for the kallsyms index");
	}
	return VMC_OK;
trunc:
	free(names);
	vmc_kallsyms_free(out);
	return vmc_fail(d, VMC_ERR_TRUNCATED, "kallsyms: kallsyms_names ends before symbol %u of %u", i, raw->num_syms);
}

bool vmc_kallsyms_lookup(const struct vmc_kallsyms *ks, const char *name, uint64_t *addr, char *type)
{
	for (uint32_t slot = vmc_name_hash(name) & ks->index_mask; ks->index && ks->index[slot];
	     slot = (slot + 1) & ks->index_mask) {
		uint32_t i = ks->index[slot] - 1;
		const char *s = ks->names + ks->name_off[i];
		if (s[0] && strcmp(s + 1, name) == 0) {
			*addr = ks->addr[i];
			if (type)
				*type = s[0];
			return true;
		}
	}
	return false;
}

void vmc_kallsyms_free(struct vmc_kallsyms *ks)
{
	free(ks->index);
	free(ks->addr);
	free(ks->name_off);
	free(ks->names);
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

static bool vi_symbol(const struct vmc_lkmem *km, const char *name, uint64_t *va)
{
	char key[96];
	snprintf(key, sizeof(key), "SYMBOL(%s)", name);
	return vmcoreinfo_get_u64(km->vmcoreinfo, km->vmcoreinfo_len, key, 16, va);
}

/* How many VMCOREINFO SYMBOL() lines agree / disagree with the decoded table. */
static void check_against_vmcoreinfo(const struct vmc_lkmem *km, const struct vmc_kallsyms *ks, unsigned *agree,
				     unsigned *disagree)
{
	const char *p = (const char *)km->vmcoreinfo, *end = p + km->vmcoreinfo_len;

	*agree = *disagree = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		if (le - p > 8 && memcmp(p, "SYMBOL(", 7) == 0) {
			const char *close = memchr(p, ')', (size_t)(le - p));
			char name[80];
			uint64_t vi_va, ks_va;
			if (close && close - p - 7 < (long)sizeof(name) && close + 1 < le && close[1] == '=') {
				memcpy(name, p + 7, (size_t)(close - p - 7));
				name[close - p - 7] = '\0';
				/* SYMBOL(mem_section) holds the pointer's value (VMCOREINFO_SYMBOL_ARRAY) */
				if (strcmp(name, "mem_section") && vi_symbol(km, name, &vi_va) &&
				    vmc_kallsyms_lookup(ks, name, &ks_va, NULL)) {
					if (vi_va == ks_va)
						(*agree)++;
					else
						(*disagree)++;
				}
			}
		}
		p = le + 1;
	}
}

enum vmc_status vmc_kallsyms_load(struct vmc_lkmem *km, struct vmc_kallsyms *out, struct vmc_diag *d)
{
	uint64_t va_names, va_num, va_ttab, va_tidx, va_offs, va_base;
	struct vmc_kallsyms_raw raw;
	uint16_t tidx[256];
	uint8_t *names = NULL, *ttab = NULL;
	int32_t *offs = NULL;
	uint32_t num;
	size_t names_len = 0, ttab_len = 0;
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
		if (tidx[t] + (size_t)64 > ttab_len)
			ttab_len = tidx[t] + (size_t)64; /* tokens are short; the decoder checks the NUL */
	rc = VMC_ERR_NOMEM;
	if (!(ttab = malloc(ttab_len)) || !(offs = malloc((size_t)num * 4)))
		goto nomem;
	if ((rc = vmc_lkmem_read(km, va_ttab, ttab, ttab_len, d)) || (rc = vmc_lkmem_read(km, va_offs, offs, (size_t)num * 4, d)) ||
	    (rc = read_names(km, va_names, num, &names, &names_len, d))) {
		vmc_wrap(d, rc, "kallsyms");
		goto out;
	}
	raw.names = names;
	raw.names_len = names_len;
	raw.token_table = ttab;
	raw.token_table_len = ttab_len;
	raw.token_index = tidx;
	raw.offsets = offs;
	raw.num_syms = num;
	/* the build's address mode is not recorded: take the one that agrees with VMCOREINFO */
	if ((rc = vmc_kallsyms_decode(&raw, (enum vmc_ksyms_mode)0, out, d)))
		goto out;
	for (int m = 0; m < 2; m++) {
		if (m) { /* the names do not depend on the mode: only the addresses are redone */
			for (uint32_t i = 0; i < out->n; i++)
				out->addr[i] = sym_addr(&raw, i, (enum vmc_ksyms_mode)m);
			out->mode = (enum vmc_ksyms_mode)m;
		}
		check_against_vmcoreinfo(km, out, &agree[m], &disagree[m]);
		if (agree[m] >= 2 && disagree[m] == 0) {
			out->checked = agree[m];
			goto out;
		}
	}
	vmc_kallsyms_free(out);
	rc = vmc_fail(d, VMC_ERR_CORRUPT,
		      "kallsyms: decoded addresses disagree with VMCOREINFO (relative: %u agree, %u differ; absolute-percpu: %u agree, %u differ)",
		      agree[0], disagree[0], agree[1], disagree[1]);
	goto out;
nomem:
	vmc_fail(d, rc, "out of memory");
out:
	free(names);
	free(ttab);
	free(offs);
	return rc;
}
