/* symtab.h: the name index shared by the kallsyms and BTF tables: an FNV-1a hash and an
 * open-addressing table of item + 1 (0 = empty), probed linearly. */
#ifndef VMC_SYMTAB_H
#define VMC_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

uint32_t vmc_name_hash(const char *s);

/* The name of item i, or NULL or "" when it is not to be indexed. */
typedef const char *vmc_name_fn(const void *arg, uint32_t i);

/* Index items by name in increasing order, so among equal names a probe meets the lowest item
 * first: items 0..n-1, or with `items` the n item numbers it lists (increasing). -1 when out of
 * memory (nothing allocated). */
int vmc_name_index_build(uint32_t **index, uint32_t *mask, uint32_t n, const uint32_t *items, vmc_name_fn *name,
			 const void *arg);

/* The kallsyms token-table expansion, Linux's and Xen's (whose symbols.c descends from it):
 * append to *names (at *used, growing *cap) the tokens the ncodes codes name, token c being the
 * NUL-terminated string at token_table + token_index[c] (the caller has checked it ends). Not
 * NUL-terminated; VMC_ERR_LIMIT past 1 GiB of names. */
enum vmc_status vmc_ksym_expand(const uint8_t *codes, size_t ncodes, const char *token_table,
				const uint16_t *token_index, char **names, size_t *used, size_t *cap, struct vmc_diag *d);

#endif
