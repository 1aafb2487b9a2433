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

enum vmc_status vmc_xen_syms_load(const char *path, struct xen_syms *s, struct vmc_diag *d)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf = NULL;
	uint64_t shoff, symoff = 0, symsize = 0, stroff = 0, strsize = 0;
	unsigned shnum, shentsize;
	enum vmc_status rc = VMC_OK;

	memset(s, 0, sizeof(*s));
	if (!f)
		return vmc_fail(d, VMC_ERR_IO, "%s: cannot open the xen-syms file", path);
	if (fstat(fileno(f), &st) || st.st_size < 64 || st.st_size > (1ll << 30)) {
		fclose(f);
		return vmc_fail(d, VMC_ERR_CORRUPT, "%s: not a xen-syms ELF file (size)", path);
	}
	if (!(buf = malloc((size_t)st.st_size)) || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fclose(f);
		free(buf);
		return vmc_fail(d, buf ? VMC_ERR_IO : VMC_ERR_NOMEM, "%s: cannot read the xen-syms file", path);
	}
	fclose(f);
	if (memcmp(buf, "\177ELF", 4) || buf[4] != 2 || buf[5] != 1 || vmc_le16(buf + 18) != 62) {
		rc = vmc_fail_at(d, VMC_ERR_CORRUPT, path, 0, "not an x86_64 ELF64 file (xen-syms expected)");
		goto out;
	}
	shoff = vmc_le64(buf + 40);
	shentsize = vmc_le16(buf + 58);
	shnum = vmc_le16(buf + 60);
	if (shentsize < 64 || shoff > (uint64_t)st.st_size || (uint64_t)shnum * shentsize > (uint64_t)st.st_size - shoff) {
		rc = vmc_fail_at(d, VMC_ERR_CORRUPT, path, 40, "section headers lie outside the file");
		goto out;
	}
	for (unsigned i = 0; i < shnum; i++) {
		const uint8_t *sh = buf + shoff + (uint64_t)i * shentsize;
		if (vmc_le32(sh + 4) == 7 /* SHT_NOTE */ && vmc_le64(sh + 16) && !s->build_id_len) {
			uint64_t off = vmc_le64(sh + 24), size = vmc_le64(sh + 32);
			if (off <= (uint64_t)st.st_size && size <= (uint64_t)st.st_size - off && size >= 16) {
				s->build_id_len = size > sizeof(s->build_id_note) ? sizeof(s->build_id_note) : size;
				memcpy(s->build_id_note, buf + off, s->build_id_len);
				s->build_id_va = vmc_le64(sh + 16);
			}
		}
		if (vmc_le32(sh + 4) == 2 /* SHT_SYMTAB */) {
			unsigned link = vmc_le32(sh + 40);
			symoff = vmc_le64(sh + 24);
			symsize = vmc_le64(sh + 32);
			if (link < shnum) {
				const uint8_t *ls = buf + shoff + (uint64_t)link * shentsize;
				stroff = vmc_le64(ls + 24);
				strsize = vmc_le64(ls + 32);
			}
		}
	}
	if (!symsize || symoff > (uint64_t)st.st_size || symsize > (uint64_t)st.st_size - symoff ||
	    stroff > (uint64_t)st.st_size || strsize > (uint64_t)st.st_size - stroff || !strsize) {
		rc = vmc_fail_at(d, VMC_ERR_CORRUPT, path, shoff, "no usable .symtab/.strtab (a stripped xen-syms?)");
		goto out;
	}
	if (!(s->strings = malloc(strsize + 1)) || !(s->v = calloc(symsize / 24 + 1, sizeof(*s->v)))) {
		rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory for %s's symbols", path);
		goto out;
	}
	memcpy(s->strings, buf + stroff, strsize);
	s->strings[strsize] = 0;
	for (uint64_t off = 0; off + 24 <= symsize; off += 24) {
		const uint8_t *e = buf + symoff + off;
		uint32_t name = vmc_le32(e);
		uint64_t value = vmc_le64(e + 8);
		unsigned type = e[4] & 15;
		if (!name || name >= strsize || !value || type > 2 /* NOTYPE, OBJECT, FUNC */)
			continue;
		s->v[s->n].va = value;
		s->v[s->n].name = s->strings + name;
		s->n++;
	}
	qsort(s->v, s->n, sizeof(*s->v), by_name);
out:
	free(buf);
	if (rc)
		vmc_xen_syms_free(s);
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
