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

static enum vmc_status xc_open(struct vmc_dump *dump, struct vmc_bytesrc **srcs, unsigned nsrc, struct vmc_diag *d)
{
	struct vmc_bytesrc *src = srcs[0];
	Elf64_Ehdr eh;
	Elf64_Shdr sh[XC_SHNUM_MAX];
	char *strtab = NULL;
	const Elf64_Shdr *pages = NULL, *p2m = NULL, *pfns = NULL, *note = NULL;
	struct xc_priv *xp = NULL;
	uint8_t *idx = NULL;
	uint64_t page_size = 4096, entsz, nidx, max_pfn = 0, ndup = 0;
	size_t n = 0;
	enum vmc_status rc;

	if (nsrc != 1)
		return vmc_fail(d, VMC_ERR_ARGS, "%s: xc_core dumps are single files", src->name);
	if ((rc = vmc_bytesrc_read_exact(src, &eh, sizeof(eh), 0, "ELF header", d)))
		return rc;
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return vmc_fail_at(d, VMC_ERR_UNSUPPORTED, src->name, EI_DATA, "big-endian xc_core is not supported");
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > XC_SHNUM_MAX)
		return vmc_fail_at(d, VMC_ERR_CORRUPT, src->name, 58, "xc_core section headers: %u of %u bytes",
				   eh.e_shnum, eh.e_shentsize);
	if (eh.e_shstrndx >= eh.e_shnum)
		return vmc_fail_at(d, VMC_ERR_CORRUPT, src->name, 62, "e_shstrndx %u out of %u sections", eh.e_shstrndx,
				   eh.e_shnum);
	if ((rc = vmc_bytesrc_read_exact(src, sh, eh.e_shnum * sizeof(Elf64_Shdr), eh.e_shoff, "section headers", d)))
		return rc;
	if (sh[eh.e_shstrndx].sh_size > XC_SHSTRTAB_MAX)
		return vmc_fail_at(d, VMC_ERR_LIMIT, src->name, sh[eh.e_shstrndx].sh_offset,
				   "section name table of 0x%llx bytes", (unsigned long long)sh[eh.e_shstrndx].sh_size);
	if (!(strtab = calloc(1, sh[eh.e_shstrndx].sh_size + 1)))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	if ((rc = vmc_bytesrc_read_exact(src, strtab, sh[eh.e_shstrndx].sh_size, sh[eh.e_shstrndx].sh_offset,
					 "section name table", d)))
		goto fail;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		const char *name = sh[i].sh_name < sh[eh.e_shstrndx].sh_size ? strtab + sh[i].sh_name : "";
		if (!strcmp(name, ".xen_pages"))
			pages = &sh[i];
		else if (!strcmp(name, ".xen_p2m"))
			p2m = &sh[i];
		else if (!strcmp(name, ".xen_pfn"))
			pfns = &sh[i];
		else if (!strcmp(name, ".note.Xen"))
			note = &sh[i];
	}
	if (!pages || (!p2m && !pfns)) {
		rc = vmc_fail_at(d, VMC_ERR_CORRUPT, src->name, eh.e_shoff, "xc_core without %s section",
				 !pages ? ".xen_pages" : ".xen_p2m or .xen_pfn");
		goto fail;
	}
	/* the page size from the header note, when there is one */
	if (note && note->sh_size <= 65536) {
		uint8_t *nb = malloc(note->sh_size + 1);
		size_t pos = 0;
		struct vmc_note nt;
		if (!nb) {
			rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
			goto fail;
		}
		if (!vmc_bytesrc_read_exact(src, nb, note->sh_size, note->sh_offset, ".note.Xen", d))
			while (vmc_note_next(nb, note->sh_size, &pos, &nt) == VMC_OK)
				if (vmc_note_is(&nt, "Xen") && nt.type == XEN_ELFNOTE_DUMPCORE_HEADER && nt.desc_len >= 32)
					memcpy(&page_size, nt.desc + 24, 8);
		free(nb);
	}
	if (page_size != 4096) {
		rc = vmc_fail_at(d, VMC_ERR_UNSUPPORTED, src->name, note ? note->sh_offset : 0,
				 "xc_core page size %llu (only 4096 is supported)", (unsigned long long)page_size);
		goto fail;
	}
	entsz = p2m ? 16 : 8;
	nidx = (p2m ? p2m : pfns)->sh_size / entsz;
	if (pages->sh_size / page_size < nidx)
		nidx = pages->sh_size / page_size;
	if (nidx > VMC_MAX_PFN_LIMIT) {
		rc = vmc_fail_at(d, VMC_ERR_LIMIT, src->name, pages->sh_offset, "%llu pages", (unsigned long long)nidx);
		goto fail;
	}
	xp = calloc(1, sizeof(*xp));
	idx = malloc(nidx * entsz + 1);
	if (!xp || !idx || (nidx && !(xp->ents = malloc(nidx * sizeof(*xp->ents))))) {
		rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory for the xc_core page index");
		goto fail;
	}
	if ((rc = vmc_bytesrc_read_exact(src, idx, nidx * entsz, (p2m ? p2m : pfns)->sh_offset, p2m ? ".xen_p2m" : ".xen_pfn", d)))
		goto fail;
	for (uint64_t i = 0; i < nidx; i++) {
		uint64_t pfn;
		memcpy(&pfn, idx + i * entsz, 8);
		if (pfn == XC_INVALID_PFN)
			continue;
		if (pfn >= VMC_MAX_PFN_LIMIT) {
			rc = vmc_fail_at(d, VMC_ERR_CORRUPT, src->name, (p2m ? p2m : pfns)->sh_offset + i * entsz,
					 "page %llu has pfn 0x%llx", (unsigned long long)i, (unsigned long long)pfn);
			goto fail;
		}
		xp->ents[n++] = (struct xc_ent){ pfn, i };
		if (pfn + 1 > max_pfn)
			max_pfn = pfn + 1;
	}
	if (n)
		qsort(xp->ents, n, sizeof(*xp->ents), cmp_ent);
	{
		size_t k = 0; /* one page per pfn: the first in the file wins */
		for (size_t i = 0; i < n; i++)
			if (k && xp->ents[k - 1].pfn == xp->ents[i].pfn)
				ndup++;
			else
				xp->ents[k++] = xp->ents[i];
		n = k;
	}
	xp->nents = n;
	xp->src = src;
	xp->pages_off = pages->sh_offset;
	xp->npages = nidx;
	dump->priv = xp;
	dump->format = "xc_core";
	dump->page_size = (uint32_t)page_size;
	dump->page_shift = 12;
	dump->e_machine = eh.e_machine;
	dump->dump_level = -1;
	if ((rc = vmc_dump_alloc_bitmaps(dump, max_pfn, d)))
		goto fail_owned;
	for (size_t i = 0; i < n; i++) {
		vmc_bitmap_set(&dump->ram, xp->ents[i].pfn);
		vmc_bitmap_set(&dump->stored, xp->ents[i].pfn);
	}
	/* pages the file is too short for are missing, not zero */
	for (size_t i = 0; i < n; i++) {
		uint64_t off = xp->pages_off + xp->ents[i].idx * page_size;
		if (off + page_size > src->size || off + page_size < off)
			vmc_dump_mark_missing(dump, xp->ents[i].pfn, src->name, off, "lies past the end of the file");
	}
	if (ndup)
		vmc_warn(d, "%s: %llu pages repeat a pfn already stored; the first one is used", src->name,
			 (unsigned long long)ndup);
	free(strtab);
	free(idx);
	return VMC_OK;
fail_owned:
	dump->priv = NULL;
fail:
	if (xp)
		free(xp->ents);
	free(xp);
	free(idx);
	free(strtab);
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
