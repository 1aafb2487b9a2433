/* symtab.c: the name index shared by the kallsyms and BTF tables (see symtab.h). */
#include "symtab.h"

#include <stdlib.h>

uint32_t vmc_name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

int vmc_name_index_build(uint32_t **index, uint32_t *mask, uint32_t n, vmc_name_fn *name, const void *arg)
{
	uint32_t cap = 1024;

	while (cap < 2 * n + 2)
		cap *= 2;
	if (!(*index = calloc(cap, sizeof(**index))))
		return -1;
	*mask = cap - 1;
	for (uint32_t i = 0; i < n; i++) {
		const char *s = name(arg, i);
		uint32_t slot;
		if (!s || !s[0])
			continue;
		slot = vmc_name_hash(s) & *mask;
		while ((*index)[slot])
			slot = (slot + 1) & *mask;
		(*index)[slot] = i + 1;
	}
	return 0;
}
