/* linux_dwarf.c: struct layouts and vmlinux symbols from host debug info (--host-debuginfo
 * DIR: vmlinux and kvm*.ko with DWARF, as linux-image-*-dbg installs them), read with
 * libdwfl/libdw (libdwfl applies the relocations a module's ET_REL debug sections need).
 * Struct definitions are indexed lazily, one compilation unit at a time, so a lookup stops
 * at the first CU that defines the struct instead of indexing all of a 600 MB vmlinux. */
#include "linux_dwarf.h"

#include <dirent.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <dwarf.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "notes.h"

#define DW_MAX_DEPTH 32
#define DIR_MAX_DEPTH 12
#define DIR_MAX_ENTRIES 200000

enum { F_VMLINUX, F_KVM, F_KVM_AMD, F_KVM_INTEL, F_N };
static const char *const unit_names[F_N] = { "vmlinux", "kvm", "kvm_amd", "kvm_intel" };
static const char *const file_names[F_N] = { NULL, "kvm.ko", "kvm-amd.ko", "kvm-intel.ko" };

struct ent {
	const char *name; /* in the DWARF string section */
	Dwarf_Off off;
};

struct dfile {
	char *path;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwarf *dw;
	Dwarf_Addr bias;
	Dwarf_Off next_cu; /* where lazy indexing resumes */
	bool done;
	struct ent *tab;   /* open addressing, power-of-two size */
	size_t cap, n;
};

struct vmc_ldwarf {
	struct dfile f[F_N];
	int64_t kaslr;     /* KERNELOFFSET */
	char dir[256];
};

static const Dwfl_Callbacks offline_cb = {
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* ---- finding the files ---- */

struct found {
	char *path[F_N];
	unsigned entries;
	const char *release;
};

static bool better(const char *old, const char *cand, const char *release)
{
	/* prefer the file whose path names the dump's kernel release */
	return !old || (release && *release && strstr(cand, release) && !strstr(old, release));
}

static void scan_dir(const char *dir, unsigned depth, struct found *fd)
{
	DIR *dp;
	struct dirent *de;

	if (depth > DIR_MAX_DEPTH || !(dp = opendir(dir)))
		return;
	while ((de = readdir(dp)) && fd->entries++ < DIR_MAX_ENTRIES) {
		char p[4096];
		struct stat st;
		int k = -1;

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p) || lstat(p, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			scan_dir(p, depth + 1, fd);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (!strcmp(de->d_name, "vmlinux") || !strncmp(de->d_name, "vmlinux-", 8))
			k = F_VMLINUX;
		for (int i = 1; i < F_N; i++)
			if (!strcmp(de->d_name, file_names[i]))
				k = i;
		if (k >= 0 && better(fd->path[k], p, fd->release)) {
			free(fd->path[k]);
			fd->path[k] = strdup(p);
		}
	}
	closedir(dp);
}

static enum vmc_status open_file(struct dfile *f, const char *path, struct vmc_diag *d)
{
	f->path = strdup(path);
	if (!f->path || !(f->dwfl = dwfl_begin(&offline_cb)))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	dwfl_report_begin(f->dwfl);
	f->mod = dwfl_report_offline(f->dwfl, path, path, -1);
	dwfl_report_end(f->dwfl, NULL, NULL);
	if (!f->mod || !(f->dw = dwfl_module_getdwarf(f->mod, &f->bias)))
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: no DWARF: %s", path, dwfl_errmsg(-1));
	return VMC_OK;
}

static void close_file(struct dfile *f)
{
	if (f->dwfl)
		dwfl_end(f->dwfl);
	free(f->tab);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

void vmc_ldwarf_close(struct vmc_ldwarf *w)
{
	if (!w)
		return;
	for (int i = 0; i < F_N; i++)
		close_file(&w->f[i]);
	free(w);
}

static bool symtab_lookup(struct dfile *f, const char *name, uint64_t *addr)
{
	int n = f->mod ? dwfl_module_getsymtab(f->mod) : -1;

	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr a;
		const char *s = dwfl_module_getsym_info(f->mod, i, &sym, &a, NULL, NULL, NULL);
		if (s && sym.st_shndx != SHN_UNDEF && !strcmp(s, name)) {
			*addr = sym.st_value;
			return true;
		}
	}
	return false;
}

bool vmc_ldwarf_symbol(struct vmc_ldwarf *w, const char *name, uint64_t *va)
{
	uint64_t a;

	if (!w || !symtab_lookup(&w->f[F_VMLINUX], name, &a))
		return false;
	*va = a + (uint64_t)w->kaslr;
	return true;
}

/* The vmlinux must be the dumped kernel: same build id, and _stext where VMCOREINFO says. */
static enum vmc_status check_vmlinux(struct vmc_ldwarf *w, struct vmc_lkmem *km, struct vmc_diag *d)
{
	const struct dfile *f = &w->f[F_VMLINUX];
	char vi_id[128], hex[128] = "";
	const unsigned char *bits;
	GElf_Addr bva;
	int len = dwfl_module_build_id(f->mod, &bits, &bva);
	uint64_t vi_stext, stext;

	for (int i = 0; i < len && i < 60; i++)
		snprintf(hex + 2 * i, 3, "%02x", bits[i]);
	if (vmcoreinfo_get(km->vmcoreinfo, km->vmcoreinfo_len, "BUILD-ID", vi_id, sizeof(vi_id)) && len > 0 &&
	    strncmp(vi_id, hex, strlen(hex)))
		return vmc_fail(d, VMC_ERR_ARGS, "%s is not the dump's kernel: build id %s, the dump's %s", f->path, hex, vi_id);
	if (vmcoreinfo_get_u64(km->vmcoreinfo, km->vmcoreinfo_len, "SYMBOL(_stext)", 16, &vi_stext) &&
	    vmc_ldwarf_symbol(w, "_stext", &stext) && stext != vi_stext)
		return vmc_fail(d, VMC_ERR_ARGS, "%s: _stext + KERNELOFFSET = 0x%llx, but the dump's VMCOREINFO says 0x%llx", f->path,
				(unsigned long long)stext, (unsigned long long)vi_stext);
	return VMC_OK;
}

enum vmc_status vmc_ldwarf_open(const char *dir, struct vmc_lkmem *km, struct vmc_ldwarf **out, struct vmc_diag *d)
{
	struct found fd;
	struct vmc_ldwarf *w;
	char release[80] = "", off[40];
	enum vmc_status rc;

	*out = NULL;
	memset(&fd, 0, sizeof(fd));
	vmcoreinfo_get(km->vmcoreinfo, km->vmcoreinfo_len, "OSRELEASE", release, sizeof(release));
	fd.release = release;
	scan_dir(dir, 0, &fd);
	if (!fd.path[F_VMLINUX] || !fd.path[F_KVM]) {
		for (int i = 0; i < F_N; i++)
			free(fd.path[i]);
		return vmc_fail(d, VMC_ERR_MISSING, "--host-debuginfo %s: no %s found under it (looked for vmlinux, vmlinux-*, kvm.ko)",
				dir, fd.path[F_VMLINUX] ? "kvm.ko" : "vmlinux");
	}
	if (!(w = calloc(1, sizeof(*w)))) {
		for (int i = 0; i < F_N; i++)
			free(fd.path[i]);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	if (vmcoreinfo_get(km->vmcoreinfo, km->vmcoreinfo_len, "KERNELOFFSET", off, sizeof(off)))
		w->kaslr = (int64_t)strtoull(off, NULL, 16);
	elf_version(EV_CURRENT);
	rc = VMC_OK;
	for (int i = 0; i < F_N && !rc; i++)
		if (fd.path[i])
			rc = open_file(&w->f[i], fd.path[i], d);
	for (int i = 0; i < F_N; i++)
		free(fd.path[i]);
	if (!rc)
		rc = check_vmlinux(w, km, d);
	if (rc) {
		vmc_ldwarf_close(w);
		return vmc_wrap(d, rc, "--host-debuginfo %s", dir);
	}
	*out = w;
	return VMC_OK;
}

/* ---- the lazy struct index ---- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static bool tab_get(const struct dfile *f, const char *name, Dwarf_Off *off)
{
	if (!f->cap)
		return false;
	for (size_t i = hash_str(name) & (f->cap - 1);; i = (i + 1) & (f->cap - 1)) {
		if (!f->tab[i].name)
			return false;
		if (!strcmp(f->tab[i].name, name)) {
			*off = f->tab[i].off;
			return true;
		}
	}
}

static bool tab_put(struct dfile *f, const char *name, Dwarf_Off off)
{
	Dwarf_Off old;

	if (tab_get(f, name, &old))
		return true; /* the first definition wins */
	if ((f->n + 1) * 2 > f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 4096;
		struct ent *nt = calloc(ncap, sizeof(*nt)), *ot = f->tab;
		size_t ocap = f->cap;
		if (!nt)
			return false;
		f->tab = nt;
		f->cap = ncap;
		f->n = 0;
		for (size_t i = 0; i < ocap; i++)
			if (ot[i].name)
				tab_put(f, ot[i].name, ot[i].off);
		free(ot);
	}
	for (size_t i = hash_str(name) & (f->cap - 1);; i = (i + 1) & (f->cap - 1))
		if (!f->tab[i].name) {
			f->tab[i].name = name;
			f->tab[i].off = off;
			f->n++;
			return true;
		}
}

/* Index the next compilation unit's top-level struct/union definitions. */
static bool index_next_cu(struct dfile *f)
{
	Dwarf_Off next;
	size_t hsize;
	Dwarf_Die cu, child;

	if (f->done || dwarf_next_unit(f->dw, f->next_cu, &next, &hsize, NULL, NULL, NULL, NULL, NULL, NULL) != 0) {
		f->done = true;
		return false;
	}
	if (dwarf_offdie(f->dw, f->next_cu + hsize, &cu) && dwarf_child(&cu, &child) == 0) {
		do {
			int tag = dwarf_tag(&child);
			const char *name;
			Dwarf_Attribute a;
			bool decl = false;
			if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type)
				continue;
			if (dwarf_attr(&child, DW_AT_declaration, &a))
				dwarf_formflag(&a, &decl);
			if (!(name = dwarf_diename(&child)) || decl)
				continue;
			tab_put(f, name, dwarf_dieoffset(&child));
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	f->next_cu = next;
	return true;
}

static bool find_struct(struct dfile *f, const char *name, Dwarf_Die *die)
{
	Dwarf_Off off;

	if (!f->dw)
		return false;
	while (!tab_get(f, name, &off))
		if (!index_next_cu(f))
			return false;
	return dwarf_offdie(f->dw, off, die) != NULL;
}

/* ---- layout questions ---- */

static bool type_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;
	return dwarf_attr_integrate(die, DW_AT_type, &a) && dwarf_formref_die(&a, out);
}

static bool strip(Dwarf_Die *t)
{
	for (int i = 0; i < DW_MAX_DEPTH; i++) {
		switch (dwarf_tag(t)) {
		case DW_TAG_typedef: case DW_TAG_const_type: case DW_TAG_volatile_type: case DW_TAG_restrict_type:
		case DW_TAG_atomic_type:
			if (!type_of(t, t))
				return false;
			continue;
		default:
			return true;
		}
	}
	return false;
}

static bool member_location(Dwarf_Die *m, uint64_t *bytes)
{
	Dwarf_Attribute a;
	Dwarf_Word v;
	Dwarf_Op *ops;
	size_t nops;

	if (!dwarf_attr_integrate(m, DW_AT_data_member_location, &a)) {
		*bytes = 0; /* union members */
		return true;
	}
	if (dwarf_formudata(&a, &v) == 0) {
		*bytes = v;
		return true;
	}
	if (dwarf_getlocation(&a, &ops, &nops) == 0 && nops == 1 && ops[0].atom == DW_OP_plus_uconst) {
		*bytes = ops[0].number;
		return true;
	}
	return false;
}

/* Find member name in struct die; *bits is the bit offset from die's start. */
static bool find_member(Dwarf_Die *sdie, const char *name, size_t nlen, uint64_t *bits, uint32_t *bitsize,
			Dwarf_Die *mdie, int depth)
{
	Dwarf_Die t = *sdie, child;

	if (depth > DW_MAX_DEPTH || !strip(&t) ||
	    (dwarf_tag(&t) != DW_TAG_structure_type && dwarf_tag(&t) != DW_TAG_union_type) || dwarf_child(&t, &child) != 0)
		return false;
	do {
		const char *mn;
		uint64_t byte_off;
		Dwarf_Attribute a;
		Dwarf_Word w;

		if (dwarf_tag(&child) != DW_TAG_member || !member_location(&child, &byte_off))
			continue;
		mn = dwarf_diename(&child);
		if (mn && strlen(mn) == nlen && !memcmp(mn, name, nlen)) {
			*bitsize = 0;
			*bits = byte_off * 8;
			if (dwarf_attr_integrate(&child, DW_AT_bit_size, &a) && dwarf_formudata(&a, &w) == 0) {
				*bitsize = (uint32_t)w;
				if (dwarf_attr_integrate(&child, DW_AT_data_bit_offset, &a) && dwarf_formudata(&a, &w) == 0) {
					*bits = w;
				} else if (dwarf_attr_integrate(&child, DW_AT_bit_offset, &a) && dwarf_formudata(&a, &w) == 0) {
					/* DWARF 2/3: counted from the storage unit's most significant bit */
					Dwarf_Word bsz = 0;
					Dwarf_Attribute b;
					if (dwarf_attr_integrate(&child, DW_AT_byte_size, &b))
						dwarf_formudata(&b, &bsz);
					*bits = byte_off * 8 + bsz * 8 - w - *bitsize;
				}
			}
			*mdie = child;
			return true;
		}
		if (!mn) {
			Dwarf_Die mt;
			if (type_of(&child, &mt) && find_member(&mt, name, nlen, bits, bitsize, mdie, depth + 1)) {
				*bits += byte_off * 8;
				return true;
			}
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

static bool die_size(Dwarf_Die *t, uint64_t *size)
{
	Dwarf_Word s;

	if (dwarf_tag(t) == DW_TAG_pointer_type) {
		*size = 8;
		return true;
	}
	if (dwarf_aggregate_size(t, &s) != 0)
		return false;
	*size = s;
	return true;
}

static struct dfile *unit_file(struct vmc_ldwarf *w, const char *unit)
{
	for (int i = 0; i < F_N; i++)
		if (!strcmp(unit, unit_names[i]))
			return w->f[i].dw ? &w->f[i] : NULL;
	return NULL;
}

/* A struct as the unit sees it: the module's own definition, else vmlinux's. */
static bool unit_struct(struct vmc_ldwarf *w, const char *unit, const char *sname, Dwarf_Die *die)
{
	struct dfile *f = unit_file(w, unit);
	return (f && find_struct(f, sname, die)) || (strcmp(unit, "vmlinux") && f && find_struct(&w->f[F_VMLINUX], sname, die));
}

static enum vmc_status dw_member(void *ctx, const char *unit, const char *sname, const char *path, struct vmc_lmember *m,
				 struct vmc_diag *d)
{
	struct vmc_ldwarf *w = ctx;
	Dwarf_Die cur, mdie, t;
	uint64_t total = 0, bits = 0;
	uint32_t bitsize = 0;
	const char *p = path;

	memset(m, 0, sizeof(*m));
	if (!unit_file(w, unit))
		return vmc_fail(d, VMC_ERR_NOTFOUND, "no DWARF for %s in %s", unit, w->dir);
	if (!unit_struct(w, unit, sname, &cur))
		return vmc_fail(d, VMC_ERR_NOTFOUND, "%s DWARF has no struct %s", unit, sname);
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (!find_member(&cur, p, n, &bits, &bitsize, &mdie, 0))
			return vmc_fail(d, VMC_ERR_NOTFOUND, "%s DWARF: no member '%.*s' in struct %s path '%s'", unit, (int)n, p,
					sname, path);
		total += bits;
		if (!type_of(&mdie, &cur))
			return vmc_fail(d, VMC_ERR_CORRUPT, "%s DWARF: member '%s' of %s has no type", unit, path, sname);
		p += n + (dot ? 1 : 0);
	}
	t = cur;
	if (!strip(&t) || !die_size(&t, &m->size))
		return vmc_fail(d, VMC_ERR_CORRUPT, "%s DWARF: member '%s' of %s has no size", unit, path, sname);
	m->offset = total / 8;
	m->bit_size = bitsize;
	m->bit_offset = bitsize ? (uint32_t)(total % 8) : 0;
	m->is_ptr = dwarf_tag(&t) == DW_TAG_pointer_type;
	if (dwarf_tag(&t) == DW_TAG_array_type) {
		Dwarf_Die et;
		if (!type_of(&t, &et) || !strip(&et) || !die_size(&et, &m->elem_size) || !m->elem_size)
			return vmc_fail(d, VMC_ERR_CORRUPT, "%s DWARF: array '%s' of %s has no element size", unit, path, sname);
		m->nelems = m->size / m->elem_size;
	}
	return VMC_OK;
}

static enum vmc_status dw_size(void *ctx, const char *unit, const char *sname, uint64_t *size, struct vmc_diag *d)
{
	struct vmc_ldwarf *w = ctx;
	Dwarf_Die die;

	if (!unit_file(w, unit))
		return vmc_fail(d, VMC_ERR_NOTFOUND, "no DWARF for %s in %s", unit, w->dir);
	if (!unit_struct(w, unit, sname, &die) || !die_size(&die, size))
		return vmc_fail(d, VMC_ERR_NOTFOUND, "%s DWARF has no struct %s", unit, sname);
	return VMC_OK;
}

void vmc_ldwarf_types(struct vmc_ldwarf *w, struct vmc_ltypes *out)
{
	out->name = "DWARF";
	out->ctx = w;
	out->member = dw_member;
	out->size = dw_size;
}
