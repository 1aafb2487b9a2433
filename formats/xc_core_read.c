/* xc_core_read.c: reader for Xen's xc_core dumps (`xl dump-core`): an ELF64 core file with
 * no program headers whose sections hold the pages (.xen_pages) and, entry for entry, their
 * guest frame numbers (.xen_p2m {pfn, gmfn} for PV, .xen_pfn for auto-translated guests).
 * The dump's frames are the guest's pfns. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "notes.h"

#define XC_SHNUM_MAX 64
#define XC_SHSTRTAB_MAX 65536
#define XC_INVALID_PFN (~0ull)
#define XEN_ELFNOTE_DUMPCORE_HEADER 0x2000001

struct xc_ent {
	uint64_t pfn, idx; /* idx: page number in .xen_pages */
};

struct xc_priv {
	struct vmc_bytesrc *src;
	uint64_t pages_off, npages;
	struct xc_ent *ents; /* sorted by pfn, unique */
	size_t nents;
};

static int xc_probe(const uint8_t *head, size_t len)
{
	Elf64_Ehdr h;

	if (len < sizeof(h) || memcmp(head, ELFMAG, SELFMAG) || head[EI_CLASS] != ELFCLASS64)
		return 0;
	memcpy(&h, head, sizeof(h));
	/* ELF reader scores ET_CORE 90; a core with sections and no segments is ours */
	return h.e_type == ET_CORE && h.e_phnum == 0 && h.e_shnum > 0 ? 95 : 0;
}

static void xc_close(struct vmc_dump *dump)
{
	struct xc_priv *xp = dump->priv;

	if (!xp)
		return;
	vmc_bytesrc_free(xp->src);
	free(xp->ents);
	free(xp);
	dump->priv = NULL;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct xc_ent *x = a, *y = b;
	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const struct xc_ent *find(const struct xc_priv *xp, uint64_t pfn)
{
	size_t lo = 0, hi = xp->nents;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (xp->ents[mid].pfn < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < xp->nents && xp->ents[lo].pfn == pfn ? &xp->ents[lo] : NULL;
}

/* What xc_open learns, phase by phase; xp passes to the dump at the end. */
struct xc_open {
	struct vmc_dump *dump;
	struct vmc_bytesrc *src;
	Elf64_Ehdr eh;
	Elf64_Shdr sh[XC_SHNUM_MAX];
	char *strtab;
	const Elf64_Shdr *pages, *p2m, *pfns, *note;
	uint64_t page_size, entsz, nidx, max_pfn, ndup;
	uint8_t *idx; /* the .xen_p2m or .xen_pfn entries */
	struct xc_priv *xp;
	size_t n;
};

static void xc_open_release(struct xc_open *o)
{
	if (o->xp)
		free(o->xp->ents);
	free(o->xp);
	free(o->idx);
	free(o->strtab);
}

/* The section headers and names: .xen_pages, .xen_p2m or .xen_pfn, .note.Xen. */
static enum vmc_status read_sections(struct xc_open *o, struct vmc_diag *d)
{
	struct vmc_bytesrc *src = o->src;
	const Elf64_Ehdr *eh = &o->eh;
	const Elf64_Shdr *sh = o->sh, *names;
	enum vmc_status rc;

	if ((rc = vmc_bytesrc_read_exact(src, &o->eh, sizeof(o->eh), 0, "ELF header", d)))
		return rc;
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return vmc_fail_at(d, VMC_ERR_UNSUPPORTED, src->name, EI_DATA, "big-endian xc_core is not supported");
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum == 0 || eh->e_shnum > XC_SHNUM_MAX)
		return vmc_fail_at(d, VMC_ERR_CORRUPT, src->name, 58, "xc_core section headers: %u of %u bytes",
				   eh->e_shnum, eh->e_shentsize);
	if (eh->e_shstrndx >= eh->e_shnum)
		return vmc_fail_at(d, VMC_ERR_CORRUPT, src->name, 62, "e_shstrndx %u out of %u sections", eh->e_shstrndx,
				   eh->e_shnum);
	if ((rc = vmc_bytesrc_read_exact(src, o->sh, eh->e_shnum * sizeof(Elf64_Shdr), eh->e_shoff, "section headers", d)))
		return rc;
	names = &sh[eh->e_shstrndx];
	if (names->sh_size > XC_SHSTRTAB_MAX)
		return vmc_fail_at(d, VMC_ERR_LIMIT, src->name, names->sh_offset,
				   "section name table of 0x%llx bytes", (unsigned long long)names->sh_size);
	if (!(o->strtab = calloc(1, names->sh_size + 1)))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	if ((rc = vmc_bytesrc_read_exact(src, o->strtab, names->sh_size, names->sh_offset, "section name table", d)))
		return rc;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const char *name = sh[i].sh_name < names->sh_size ? o->strtab + sh[i].sh_name : "";
		if (!strcmp(name, ".xen_pages"))
			o->pages = &sh[i];
		else if (!strcmp(name, ".xen_p2m"))
			o->p2m = &sh[i];
		else if (!strcmp(name, ".xen_pfn"))
			o->pfns = &sh[i];
		else if (!strcmp(name, ".note.Xen"))
			o->note = &sh[i];
	}
	if (!o->pages || (!o->p2m && !o->pfns))
		return vmc_fail_at(d, VMC_ERR_CORRUPT, src->name, eh->e_shoff, "xc_core without %s section",
				   !o->pages ? ".xen_pages" : ".xen_p2m or .xen_pfn");
	return VMC_OK;
}

/* The page size from the header note, when there is one; only 4096 is supported. */
static enum vmc_status read_page_size(struct xc_open *o, struct vmc_diag *d)
{
	const Elf64_Shdr *note = o->note;

	o->page_size = 4096;
	if (note && note->sh_size <= 65536) {
		uint8_t *nb = malloc(note->sh_size + 1);
		size_t pos = 0;
		struct vmc_note nt;
		if (!nb)
			return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		if (!vmc_bytesrc_read_exact(o->src, nb, note->sh_size, note->sh_offset, ".note.Xen", d))
			while (vmc_note_next(nb, note->sh_size, &pos, &nt) == VMC_OK)
				if (vmc_note_is(&nt, "Xen") && nt.type == XEN_ELFNOTE_DUMPCORE_HEADER && nt.desc_len >= 32)
					memcpy(&o->page_size, nt.desc + 24, 8);
		free(nb);
	}
	if (o->page_size != 4096)
		return vmc_fail_at(d, VMC_ERR_UNSUPPORTED, o->src->name, note ? note->sh_offset : 0,
				   "xc_core page size %llu (only 4096 is supported)", (unsigned long long)o->page_size);
	return VMC_OK;
}

/* The pfn of every page in .xen_pages, from .xen_p2m {pfn, gmfn} or .xen_pfn. */
static enum vmc_status load_p2m_or_pfn(struct xc_open *o, struct vmc_diag *d)
{
	const Elf64_Shdr *map = o->p2m ? o->p2m : o->pfns;
	struct xc_priv *xp;
	enum vmc_status rc;

	o->entsz = o->p2m ? 16 : 8;
	o->nidx = map->sh_size / o->entsz;
	if (o->pages->sh_size / o->page_size < o->nidx)
		o->nidx = o->pages->sh_size / o->page_size;
	if (o->nidx > VMC_MAX_PFN_LIMIT)
		return vmc_fail_at(d, VMC_ERR_LIMIT, o->src->name, o->pages->sh_offset, "%llu pages",
				   (unsigned long long)o->nidx);
	xp = o->xp = calloc(1, sizeof(*xp));
	o->idx = malloc(o->nidx * o->entsz + 1);
	if (!xp || !o->idx || (o->nidx && !(xp->ents = malloc(o->nidx * sizeof(*xp->ents)))))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for the xc_core page index");
	if ((rc = vmc_bytesrc_read_exact(o->src, o->idx, o->nidx * o->entsz, map->sh_offset,
					 o->p2m ? ".xen_p2m" : ".xen_pfn", d)))
		return rc;
	for (uint64_t i = 0; i < o->nidx; i++) {
		uint64_t pfn;
		memcpy(&pfn, o->idx + i * o->entsz, 8);
		if (pfn == XC_INVALID_PFN)
			continue;
		if (pfn >= VMC_MAX_PFN_LIMIT)
			return vmc_fail_at(d, VMC_ERR_CORRUPT, o->src->name, map->sh_offset + i * o->entsz,
					   "page %llu has pfn 0x%llx", (unsigned long long)i, (unsigned long long)pfn);
		xp->ents[o->n++] = (struct xc_ent){ pfn, i };
		if (pfn + 1 > o->max_pfn)
			o->max_pfn = pfn + 1;
	}
	return VMC_OK;
}

/* Sort the entries by pfn, one page per pfn: the first in the file wins. */
static void build_index(struct xc_open *o)
{
	struct xc_priv *xp = o->xp;
	size_t k = 0;

	if (o->n)
		qsort(xp->ents, o->n, sizeof(*xp->ents), cmp_ent);
	for (size_t i = 0; i < o->n; i++)
		if (k && xp->ents[k - 1].pfn == xp->ents[i].pfn)
			o->ndup++;
		else
			xp->ents[k++] = xp->ents[i];
	o->n = k;
}

/* Hand the index to the dump and mark its frames; pages the file is too short for are
 * missing, not zero. */
static enum vmc_status publish(struct xc_open *o, struct vmc_diag *d)
{
	struct vmc_dump *dump = o->dump;
	struct xc_priv *xp = o->xp;
	enum vmc_status rc;

	xp->nents = o->n;
	xp->src = o->src;
	xp->pages_off = o->pages->sh_offset;
	xp->npages = o->nidx;
	dump->priv = xp;
	dump->format = "xc_core";
	dump->page_size = (uint32_t)o->page_size;
	dump->page_shift = 12;
	dump->e_machine = o->eh.e_machine;
	dump->dump_level = -1;
	if ((rc = vmc_dump_alloc_bitmaps(dump, o->max_pfn, d))) {
		dump->priv = NULL;
		return rc;
	}
	o->xp = NULL;
	for (size_t i = 0; i < xp->nents; i++) {
		vmc_bitmap_set(&dump->ram, xp->ents[i].pfn);
		vmc_bitmap_set(&dump->stored, xp->ents[i].pfn);
	}
	for (size_t i = 0; i < xp->nents; i++) {
		uint64_t off = xp->pages_off + xp->ents[i].idx * o->page_size;
		if (off + o->page_size > o->src->size || off + o->page_size < off)
			vmc_dump_mark_missing(dump, xp->ents[i].pfn, o->src->name, off, "lies past the end of the file");
	}
	if ((rc = vmc_dump_check_bitmaps(dump, d))) {
		dump->priv = NULL; /* xc_open_release() frees the index */
		o->xp = xp;
		return rc;
	}
	if (o->ndup)
		vmc_warn(d, "%s: %llu pages repeat a pfn already stored; the first one is used", o->src->name,
			 (unsigned long long)o->ndup);
	return VMC_OK;
}

static enum vmc_status xc_open(struct vmc_dump *dump, struct vmc_bytesrc **srcs, unsigned nsrc, struct vmc_diag *d)
{
	struct xc_open o = { .dump = dump, .src = srcs[0] };
	enum vmc_status rc;

	if (nsrc != 1)
		return vmc_fail(d, VMC_ERR_ARGS, "%s: xc_core dumps are single files", srcs[0]->name);
	if (!(rc = read_sections(&o, d)) && !(rc = read_page_size(&o, d)) && !(rc = load_p2m_or_pfn(&o, d))) {
		build_index(&o);
		rc = publish(&o, d);
	}
	xc_open_release(&o);
	return rc;
}

static enum vmc_status xc_read_page(struct vmc_dump *dump, uint64_t pfn, void *buf, void *scratch, struct vmc_diag *d)
{
	struct xc_priv *xp = dump->priv;
	const struct xc_ent *e = find(xp, pfn);

	(void)scratch;
	if (!e)
		return vmc_fail(d, VMC_ERR_MISSING, "%s: frame 0x%llx is not in the dump", dump->name, (unsigned long long)pfn);
	return vmc_bytesrc_read_exact(xp->src, buf, dump->page_size, xp->pages_off + e->idx * dump->page_size, "page", d);
}

/* Consecutive pfns stored as consecutive pages are one read. */
static enum vmc_status xc_read_run(struct vmc_dump *dump, uint64_t pfn, uint64_t count, void *buf, struct vmc_diag *d)
{
	struct xc_priv *xp = dump->priv;
	const struct xc_ent *e = find(xp, pfn);

	if (!e || (size_t)(e - xp->ents) + count > xp->nents)
		return VMC_ERR_UNSUPPORTED;
	for (uint64_t i = 1; i < count; i++)
		if (e[i].pfn != pfn + i || e[i].idx != e->idx + i)
			return VMC_ERR_UNSUPPORTED;
	return vmc_bytesrc_read_exact(xp->src, buf, count * dump->page_size, xp->pages_off + e->idx * dump->page_size,
				      "pages", d);
}

const struct vmc_reader_ops vmc_reader_xc_core = {
	.name = "xc_core",
	.probe = xc_probe,
	.open = xc_open,
	.read_page = xc_read_page,
	.read_run = xc_read_run,
	.close = xc_close,
};
