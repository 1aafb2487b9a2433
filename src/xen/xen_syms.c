/* xen_syms.c: Xen's symbols from a --xen-syms ELF file (.symtab/.strtab; DWARF is not needed
 * and Debian's xen-syms has none). The file is untrusted like the dump: every table is
 * bounds-checked against the file size. */
#include "xen_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include <sys/stat.h>

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct xen_sym *)a)->name, ((const struct xen_sym *)b)->name);
}

/* The xen-syms file in memory and where its tables lie. */
struct syms_file {
	const char *path;
	uint8_t *buf;
	uint64_t size;
	uint64_t shoff, symoff, symsize, stroff, strsize;
	unsigned shnum, shentsize;
};

static enum vmc_status read_file(struct syms_file *e, struct vmc_diag *d)
{
	FILE *f = fopen(e->path, "rb");
	struct stat st;

	if (!f)
		return vmc_fail(d, VMC_ERR_IO, "%s: cannot open the xen-syms file", e->path);
	if (fstat(fileno(f), &st) || st.st_size < 64 || st.st_size > (1ll << 30)) {
		fclose(f);
		return vmc_fail(d, VMC_ERR_CORRUPT, "%s: not a xen-syms ELF file (size)", e->path);
	}
	if (!(e->buf = malloc((size_t)st.st_size)) || fread(e->buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fclose(f);
		return vmc_fail(d, e->buf ? VMC_ERR_IO : VMC_ERR_NOMEM, "%s: cannot read the xen-syms file", e->path);
	}
	fclose(f);
	e->size = (uint64_t)st.st_size;
	return VMC_OK;
}

/* The ELF header, then the sections: the build-id note and .symtab with its .strtab. */
static enum vmc_status read_sections(struct syms_file *e, struct xen_syms *s, struct vmc_diag *d)
{
	const uint8_t *buf = e->buf;

	if (memcmp(buf, "\177ELF", 4) || buf[4] != 2 || buf[5] != 1 || vmc_le16(buf + 18) != 62)
		return vmc_fail_at(d, VMC_ERR_CORRUPT, e->path, 0, "not an x86_64 ELF64 file (xen-syms expected)");
	e->shoff = vmc_le64(buf + 40);
	e->shentsize = vmc_le16(buf + 58);
	e->shnum = vmc_le16(buf + 60);
	if (e->shentsize < 64 || e->shoff > e->size || (uint64_t)e->shnum * e->shentsize > e->size - e->shoff)
		return vmc_fail_at(d, VMC_ERR_CORRUPT, e->path, 40, "section headers lie outside the file");
	for (unsigned i = 0; i < e->shnum; i++) {
		const uint8_t *sh = buf + e->shoff + (uint64_t)i * e->shentsize;
		if (vmc_le32(sh + 4) == 7 /* SHT_NOTE */ && vmc_le64(sh + 16) && !s->build_id_len) {
			uint64_t off = vmc_le64(sh + 24), size = vmc_le64(sh + 32);
			if (off <= e->size && size <= e->size - off && size >= 16) {
				s->build_id_len = size > sizeof(s->build_id_note) ? sizeof(s->build_id_note) : size;
				memcpy(s->build_id_note, buf + off, s->build_id_len);
				s->build_id_va = vmc_le64(sh + 16);
			}
		}
		if (vmc_le32(sh + 4) == 2 /* SHT_SYMTAB */) {
			unsigned link = vmc_le32(sh + 40);
			e->symoff = vmc_le64(sh + 24);
			e->symsize = vmc_le64(sh + 32);
			if (link < e->shnum) {
				const uint8_t *ls = buf + e->shoff + (uint64_t)link * e->shentsize;
				e->stroff = vmc_le64(ls + 24);
				e->strsize = vmc_le64(ls + 32);
			}
		}
	}
	return VMC_OK;
}

/* The named NOTYPE/OBJECT/FUNC symbols with a value, sorted by name. */
static enum vmc_status read_symbols(struct syms_file *e, struct xen_syms *s, struct vmc_diag *d)
{
	if (!e->symsize || e->symoff > e->size || e->symsize > e->size - e->symoff || e->stroff > e->size ||
	    e->strsize > e->size - e->stroff || !e->strsize)
		return vmc_fail_at(d, VMC_ERR_CORRUPT, e->path, e->shoff, "no usable .symtab/.strtab (a stripped xen-syms?)");
	if (!(s->strings = malloc(e->strsize + 1)) || !(s->v = calloc(e->symsize / 24 + 1, sizeof(*s->v))))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for %s's symbols", e->path);
	memcpy(s->strings, e->buf + e->stroff, e->strsize);
	s->strings[e->strsize] = 0;
	for (uint64_t off = 0; off + 24 <= e->symsize; off += 24) {
		const uint8_t *sym = e->buf + e->symoff + off;
		uint32_t name = vmc_le32(sym);
		uint64_t value = vmc_le64(sym + 8);
		unsigned type = sym[4] & 15;
		if (!name || name >= e->strsize || !value || type > 2 /* NOTYPE, OBJECT, FUNC */)
			continue;
		s->v[s->n].va = value;
		s->v[s->n].name = s->strings + name;
		s->n++;
	}
	qsort(s->v, s->n, sizeof(*s->v), by_name);
	return VMC_OK;
}

enum vmc_status vmc_xen_syms_load(const char *path, struct xen_syms *s, struct vmc_diag *d)
{
	struct syms_file e = { .path = path };
	enum vmc_status rc;

	memset(s, 0, sizeof(*s));
	if ((rc = read_file(&e, d))) {
		free(e.buf);
		return rc;
	}
	if ((rc = read_sections(&e, s, d)) || (rc = read_symbols(&e, s, d)))
		vmc_xen_syms_free(s);
	free(e.buf);
	return rc;
}

bool vmc_xen_syms_get(const struct xen_syms *s, const char *name, uint64_t *va)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(s->v[mid].name, name);
		if (!c) {
			*va = s->v[mid].va;
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void vmc_xen_syms_free(struct xen_syms *s)
{
	free(s->v);
	free(s->strings);
	memset(s, 0, sizeof(*s));
}
