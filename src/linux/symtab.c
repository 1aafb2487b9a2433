/* symtab.c: the name index shared by the kallsyms and BTF tables (see symtab.h). */
#include "symtab.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"

uint32_t vmc_name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

int vmc_name_index_build(uint32_t **index, uint32_t *mask, uint32_t n, const uint32_t *items, vmc_name_fn *name,
			 const void *arg)
{
	uint32_t cap = 1024;

	while (cap < 2 * (uint64_t)n + 2)
		cap *= 2;
	if (!(*index = calloc(cap, sizeof(**index))))
		return -1;
	*mask = cap - 1;
	for (uint32_t j = 0; j < n; j++) {
		uint32_t i = items ? items[j] : j, slot;
		const char *s = name(arg, i);
		if (!s || !s[0])
			continue;
		slot = vmc_name_hash(s) & *mask;
		while ((*index)[slot])
			slot = (slot + 1) & *mask;
		(*index)[slot] = i + 1;
	}
	return 0;
}

enum vmc_status vmc_ksym_expand(const uint8_t *codes, size_t ncodes, const char *token_table,
				const uint16_t *token_index, char **names, size_t *used, size_t *cap, struct vmc_diag *d)
{
	size_t u = *used;
	char *out = *names;

	/* tokens are a few bytes: copied inline, the buffer grown only when one would not fit
	 * (a libc call per token was most of expanding Xen's 7000 names) */
	for (size_t k = 0; k < ncodes; k++) {
		const char *tok = token_table + token_index[codes[k]];
		size_t tl = 0;
		while (tok[tl])
			tl++;
		if (u + tl + 2 > *cap) {
			if (*cap > (size_t)1 << 30)
				return vmc_fail(d, VMC_ERR_LIMIT, "kallsyms: more than 1 GiB of names");
			if (vmc_grow(names, cap, u + tl + 2, 4096, d))
				return VMC_ERR_NOMEM;
			out = *names;
		}
		for (size_t c = 0; c < tl; c++)
			out[u + c] = tok[c];
		u += tl;
		*used = u;
	}
	return VMC_OK;
}
