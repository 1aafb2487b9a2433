/* linux_modules.c: walking the host kernel's module list for module symbols and BTF. */
#include "linux_modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MODULES 8192        /* list-walk bound */
#define MAX_MOD_SYMS (1u << 20)
#define MAX_MOD_BTF (64u << 20)
#define MODULE_NAME_LEN 56

struct mod_offs {
	uint64_t list, name, kallsyms, btf_data, btf_data_size;
	bool has_btf_data;
	uint64_t ks_symtab, ks_num, ks_strtab;
	uint64_t bm_list, bm_module, bm_btf, btf_data_ptr, btf_size;
	bool has_btf_modules;
};

static enum vmc_status off(const struct vmc_ltypes *ty, const char *s, const char *path, uint64_t *o, struct vmc_diag *d)
{
	struct vmc_lmember m;
	enum vmc_status rc = ty->member(ty->ctx, "vmlinux", s, path, &m, d);
	if (!rc)
		*o = m.offset;
	return rc;
}

static enum vmc_status get_offs(const struct vmc_ltypes *ty, struct mod_offs *o, struct vmc_diag *d)
{
	enum vmc_status rc;
	struct vmc_diag tmp;

	memset(o, 0, sizeof(*o));
	if ((rc = off(ty, "module", "list", &o->list, d)) || (rc = off(ty, "module", "name", &o->name, d)) ||
	    (rc = off(ty, "module", "kallsyms", &o->kallsyms, d)) || (rc = off(ty, "mod_kallsyms", "symtab", &o->ks_symtab, d)) ||
	    (rc = off(ty, "mod_kallsyms", "num_symtab", &o->ks_num, d)) || (rc = off(ty, "mod_kallsyms", "strtab", &o->ks_strtab, d)))
		return vmc_wrap(d, rc, "module layout (%s)", ty->name);
	vmc_diag_init(&tmp);
	o->has_btf_data = !off(ty, "module", "btf_data", &o->btf_data, &tmp) && !off(ty, "module", "btf_data_size", &o->btf_data_size, &tmp);
	o->has_btf_modules = !off(ty, "btf_module", "list", &o->bm_list, &tmp) && !off(ty, "btf_module", "module", &o->bm_module, &tmp) &&
			     !off(ty, "btf_module", "btf", &o->bm_btf, &tmp) && !off(ty, "btf", "data", &o->btf_data_ptr, &tmp) &&
			     !off(ty, "btf", "data_size", &o->btf_size, &tmp);
	return VMC_OK;
}

static enum vmc_status read_btf(struct vmc_lkmem *km, uint64_t va, uint64_t len, struct vmc_lmod *m, const char *where,
				struct vmc_diag *d)
{
	enum vmc_status rc;

	if (!va || len < 24 || len > MAX_MOD_BTF) {
		snprintf(m->btf_where, sizeof(m->btf_where), "%s: implausible BTF at 0x%llx, %llu bytes", where,
			 (unsigned long long)va, (unsigned long long)len);
		return VMC_ERR_CORRUPT;
	}
	if (!(m->btf_blob = malloc(len)))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	if ((rc = vmc_lkmem_read(km, va, m->btf_blob, len, d))) {
		snprintf(m->btf_where, sizeof(m->btf_where), "%s: BTF at 0x%llx not readable", where, (unsigned long long)va);
		free(m->btf_blob);
		m->btf_blob = NULL;
		return rc;
	}
	m->btf_len = len;
	snprintf(m->btf_where, sizeof(m->btf_where), "%s", where);
	return VMC_OK;
}

/* The module's BTF: mod->btf_data (set while loading; cleared after init on 6.x), else the
 * kernel's own copy on btf_modules. */
static void find_btf(struct vmc_lkmem *km, uint64_t head, const struct mod_offs *o, struct vmc_lmod *m)
{
	struct vmc_diag tmp;
	uint64_t node, va = 0, len = 0;

	vmc_diag_init(&tmp);
	snprintf(m->btf_where, sizeof(m->btf_where), "not found");
	if (o->has_btf_data && !vmc_lkmem_read_u64(km, m->mod_va + o->btf_data, &va, &tmp) && va) {
		uint32_t l32 = 0;
		if (!vmc_lkmem_read_u32(km, m->mod_va + o->btf_data_size, &l32, &tmp) &&
		    !read_btf(km, va, l32, m, "mod->btf_data", &tmp))
			return;
	}
	if (!o->has_btf_modules || !head)
		return;
	if (vmc_lkmem_read_u64(km, head, &node, &tmp))
		return;
	for (unsigned i = 0; node != head && i < MAX_MODULES; i++) {
		uint64_t bm = node - o->bm_list, mod, btf;
		uint32_t l32;
		if (vmc_lkmem_read_u64(km, bm + o->bm_module, &mod, &tmp))
			return;
		if (mod == m->mod_va) {
			if (vmc_lkmem_read_u64(km, bm + o->bm_btf, &btf, &tmp) || vmc_lkmem_read_u64(km, btf + o->btf_data_ptr, &va, &tmp) ||
			    vmc_lkmem_read_u32(km, btf + o->btf_size, &l32, &tmp))
				return;
			len = l32;
			read_btf(km, va, len, m, "btf_modules", &tmp);
			return;
		}
		if (vmc_lkmem_read_u64(km, node, &node, &tmp))
			return;
	}
}

static enum vmc_status load_syms(struct vmc_lkmem *km, const struct mod_offs *o, struct vmc_lmod *m, struct vmc_diag *d)
{
	uint64_t ksa, symtab, strtab;
	uint32_t num, max_name = 0;
	char tail[512];
	enum vmc_status rc;

	if ((rc = vmc_lkmem_read_u64(km, m->mod_va + o->kallsyms, &ksa, d)) || (rc = vmc_lkmem_read_u64(km, ksa + o->ks_symtab, &symtab, d)) ||
	    (rc = vmc_lkmem_read_u32(km, ksa + o->ks_num, &num, d)) || (rc = vmc_lkmem_read_u64(km, ksa + o->ks_strtab, &strtab, d)))
		return vmc_wrap(d, rc, "module %s: mod->kallsyms", m->name);
	if (num == 0 || num > MAX_MOD_SYMS)
		return vmc_fail(d, VMC_ERR_CORRUPT, "module %s: mod->kallsyms at 0x%llx claims %u symbols", m->name,
				(unsigned long long)ksa, num);
	if (!(m->symtab = malloc((size_t)num * 24)))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	if ((rc = vmc_lkmem_read(km, symtab, m->symtab, (size_t)num * 24, d)))
		return vmc_wrap(d, rc, "module %s: symtab", m->name);
	m->nsyms = num;
	for (uint32_t i = 0; i < num; i++) {
		uint32_t n;
		memcpy(&n, m->symtab + 24 * i, 4);
		if (n > max_name)
			max_name = n;
	}
	if (max_name > (16u << 20))
		return vmc_fail(d, VMC_ERR_CORRUPT, "module %s: symbol name offset %u", m->name, max_name);
	/* read up to the last name, then that name: the strtab's size is not recorded */
	if ((rc = vmc_lkmem_read_str(km, strtab + max_name, tail, sizeof(tail), d)))
		return vmc_wrap(d, rc, "module %s: strtab", m->name);
	m->strtab_len = max_name + strlen(tail) + 1;
	if (!(m->strtab = malloc(m->strtab_len)))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	if ((rc = vmc_lkmem_read(km, strtab, m->strtab, max_name, d)))
		return vmc_wrap(d, rc, "module %s: strtab", m->name);
	memcpy(m->strtab + max_name, tail, strlen(tail) + 1);
	return VMC_OK;
}

enum vmc_status vmc_lmods_load(struct vmc_lkmem *km, uint64_t modules_va, uint64_t btf_modules_va,
			       const struct vmc_ltypes *ty, const char *const *want, struct vmc_lmods *out,
			       struct vmc_diag *d)
{
	struct mod_offs o;
	uint64_t head = modules_va, node;
	enum vmc_status rc;
	unsigned nwant = 0, i;

	memset(out, 0, sizeof(*out));
	while (want[nwant])
		nwant++;
	if ((rc = get_offs(ty, &o, d)))
		return rc;
	if (!(out->mods = calloc(nwant ? nwant : 1, sizeof(*out->mods))))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	if ((rc = vmc_lkmem_read_u64(km, head, &node, d)))
		return vmc_wrap(d, rc, "modules list head");
	for (i = 0; node != head; i++) {
		char name[MODULE_NAME_LEN + 1];
		uint64_t mod = node - o.list;
		if (i >= MAX_MODULES)
			return vmc_fail(d, VMC_ERR_LIMIT, "modules list at 0x%llx: more than %u entries (a loop?)",
					(unsigned long long)head, MAX_MODULES);
		if ((rc = vmc_lkmem_read(km, mod + o.name, name, MODULE_NAME_LEN, d)))
			return vmc_wrap(d, rc, "module %u on the modules list", i);
		name[MODULE_NAME_LEN] = '\0';
		for (unsigned w = 0; w < nwant; w++) {
			struct vmc_lmod *m;
			if (strcmp(name, want[w]) || vmc_lmods_get(out, name))
				continue;
			m = &out->mods[out->n++];
			snprintf(m->name, sizeof(m->name), "%s", name);
			m->mod_va = mod;
			if ((rc = load_syms(km, &o, m, d)))
				return rc;
			find_btf(km, btf_modules_va, &o, m);
		}
		if ((rc = vmc_lkmem_read_u64(km, node, &node, d)))
			return vmc_wrap(d, rc, "modules list after %s", name);
	}
	out->listed = i;
	return VMC_OK;
}

const struct vmc_lmod *vmc_lmods_get(const struct vmc_lmods *ms, const char *name)
{
	for (unsigned i = 0; i < ms->n; i++)
		if (!strcmp(ms->mods[i].name, name))
			return &ms->mods[i];
	return NULL;
}

bool vmc_lmod_symbol(const struct vmc_lmod *m, const char *name, uint64_t *addr)
{
	for (uint32_t i = 0; i < m->nsyms; i++) {
		const uint8_t *s = m->symtab + 24 * (size_t)i;
		uint32_t n;
		uint16_t shndx;
		memcpy(&n, s, 4);
		memcpy(&shndx, s + 6, 2);
		if (shndx == 0 || n >= m->strtab_len || strnlen(m->strtab + n, m->strtab_len - n) == m->strtab_len - n)
			continue;
		if (!strcmp(m->strtab + n, name)) {
			memcpy(addr, s + 8, 8);
			return true;
		}
	}
	return false;
}

void vmc_lmods_free(struct vmc_lmods *ms)
{
	for (unsigned i = 0; i < ms->n; i++) {
		free(ms->mods[i].symtab);
		free(ms->mods[i].strtab);
		free(ms->mods[i].btf_blob);
	}
	free(ms->mods);
	memset(ms, 0, sizeof(*ms));
}
