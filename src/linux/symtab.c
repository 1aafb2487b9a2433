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
	for (size_t k = 0; k < ncodes; k++) {
		const char *tok = token_table + token_index[codes[k]];
		size_t tl = strlen(tok);
		if (*used + tl + 2 > *cap && *cap > (size_t)1 << 30)
			return vmc_fail(d, VMC_ERR_LIMIT, "kallsyms: more than 1 GiB of names");
		if (vmc_grow(names, cap, *used + tl + 2, 4096, d))
			return VMC_ERR_NOMEM;
		memcpy(*names + *used, tok, tl);
		*used += tl;
	}
	return VMC_OK;
}
