/* elf_read.c: reader for ELF32/ELF64 vmcores as the kernel/kexec, Xen and QEMU write them:
 * PT_NOTE segments (several are concatenated), PT_LOAD by p_paddr, PN_XNUM extended
 * numbering, p_filesz < p_memsz tails (RAM that is not stored), the kexec kernel-text
 * segment (recognised, not used as RAM), and files cut short (frames past EOF are missing). */
#include <elf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "notes.h"

#define PHNUM_MAX (1u << 20)
#define NOTES_MAX (64u << 20)
#define X86_64_KTEXT_START 0xffffffff80000000ull

struct seg {
	uint64_t paddr, filesz, memsz, offset;
};

struct elf_priv {
	struct vmc_bytesrc *src;
	struct seg *segs; /* physical, sorted by paddr, disjoint */
	size_t nsegs;
};

static int elf_probe(const uint8_t *head, size_t len)
{
	if (len < EI_NIDENT + 4 || memcmp(head, ELFMAG, SELFMAG) != 0)
		return 0;
	if (head[EI_CLASS] != ELFCLASS32 && head[EI_CLASS] != ELFCLASS64)
		return 0;
	/* e_type at offset 16 in both classes */
	return (head[16] | head[17] << 8) == ET_CORE ? 90 : 10;
}

/* A file-backed piece of a PT_LOAD, with its program-header index for a stable order. */
struct piece {
	uint64_t paddr, len, offset, idx;
};

static int cmp_piece(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	if (x->paddr != y->paddr)
		return x->paddr < y->paddr ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void elf_close(struct vmc_dump *dump)
{
	struct elf_priv *ep = dump->priv;

	if (!ep)
		return;
	vmc_bytesrc_free(ep->src);
	free(ep->segs);
	free(ep);
	dump->priv = NULL;
}

static enum vmc_status append_notes(struct vmc_dump *dump, struct vmc_bytesrc *src, uint64_t off, uint64_t size,
				    struct vmc_diag *d)
{
	uint8_t *n;
	size_t valid;
	enum vmc_status rc;

	if (size == 0)
		return VMC_OK;
	if (size > NOTES_MAX || dump->notes_len + size > NOTES_MAX)
		return vmc_fail_at(d, VMC_ERR_LIMIT, src->name, off, "note segment of 0x%llx bytes", (unsigned long long)size);
	n = realloc(dump->notes, dump->notes_len + size);
	if (!n)
		return vmc_fail(d, VMC_ERR_NOMEM, "notes");
	dump->notes = n;
	if ((rc = vmc_bytesrc_read_exact(src, n + dump->notes_len, size, off, "PT_NOTE segment", d)))
		return rc;
	valid = vmc_notes_valid_len(n + dump->notes_len, size);
	dump->notes_len += valid;
	return VMC_OK;
}

/* What elf_open learns, phase by phase; segs passes to the elf_priv at the end. */
struct elf_open {
	struct vmc_dump *dump;
	struct vmc_bytesrc *src;
	bool is64;
	uint64_t phoff, phnum, phentsize, shoff;
	uint16_t e_machine;
	uint32_t e_flags;
	uint8_t *ph;
	struct seg *segs;
	size_t nsegs;
	struct vmc_ktext kt;
	bool have_kt;
	struct vmc_notes_at notes_at[8]; /* where the first PT_NOTEs' bytes are, for messages */
	unsigned nnotes_at;
};

static void elf_open_release(struct elf_open *o)
{
	free(o->ph);
	free(o->segs);
}

/* A big-endian ELF vmcore: name the machine (e_machine, big-endian at offset 18). */
static enum vmc_status refuse_big_endian(struct elf_open *o, uint8_t *eh, struct vmc_diag *d)
{
	uint16_t m = 0;
	const char *name;

	if (vmc_bytesrc_read_exact(o->src, eh + EI_NIDENT, 4, EI_NIDENT, "ELF header", d) == VMC_OK)
		m = (uint16_t)(eh[18] << 8 | eh[19]);
	vmc_diag_clear(d);
	switch (m) {
	case EM_S390: name = "s390x"; break;
	case EM_PPC64: name = "ppc64"; break;
	case EM_PPC: name = "ppc"; break;
	case EM_SPARCV9: name = "sparc64"; break;
	case EM_MIPS: name = "mips"; break;
	case EM_AARCH64: name = "aarch64_be"; break;
	case EM_ARM: name = "armeb"; break;
	default: name = NULL; break;
	}
	if (name)
		return vmc_fail_at(d, VMC_ERR_UNSUPPORTED, o->src->name, EI_DATA,
				   "big-endian ELF (%s) is not supported: vmcarve reads little-endian dumps", name);
	return vmc_fail_at(d, VMC_ERR_UNSUPPORTED, o->src->name, EI_DATA,
			   "big-endian ELF (e_machine %u) is not supported: vmcarve reads little-endian dumps", m);
}

/* The ELF header of either class into one struct; PN_XNUM resolved through section 0. */
static enum vmc_status read_ehdr(struct elf_open *o, struct vmc_diag *d)
{
	struct vmc_bytesrc *src = o->src;
	uint8_t eh[sizeof(Elf64_Ehdr)];
	bool is64;
	enum vmc_status rc;

	if ((rc = vmc_bytesrc_read_exact(src, eh, EI_NIDENT, 0, "ELF identification", d)))
		return rc;
	if (eh[EI_DATA] != ELFDATA2LSB)
		return refuse_big_endian(o, eh, d);
	is64 = o->is64 = eh[EI_CLASS] == ELFCLASS64;
	if ((rc = vmc_bytesrc_read_exact(src, eh, is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr), 0, "ELF header", d)))
		return rc;
	if (is64) {
		Elf64_Ehdr h;
		memcpy(&h, eh, sizeof(h));
		o->phoff = h.e_phoff, o->phnum = h.e_phnum, o->phentsize = h.e_phentsize, o->shoff = h.e_shoff;
		o->e_machine = h.e_machine, o->e_flags = h.e_flags;
	} else {
		Elf32_Ehdr h;
		memcpy(&h, eh, sizeof(h));
		o->phoff = h.e_phoff, o->phnum = h.e_phnum, o->phentsize = h.e_phentsize, o->shoff = h.e_shoff;
		o->e_machine = h.e_machine, o->e_flags = h.e_flags;
	}
	if ((eh[16] | eh[17] << 8) != ET_CORE)
		return vmc_fail_at(d, VMC_ERR_UNSUPPORTED, src->name, 16, "ELF file is not a core dump (e_type %u)",
				   eh[16] | eh[17] << 8);
	if (o->phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
		return vmc_fail_at(d, VMC_ERR_CORRUPT, src->name, is64 ? 54 : 42, "e_phentsize %llu",
				   (unsigned long long)o->phentsize);
	if (o->phnum == PN_XNUM) {
		/* extended numbering: the real count is in section 0's sh_info */
		uint8_t sh[sizeof(Elf64_Shdr)];
		size_t shsz = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
		if (!o->shoff)
			return vmc_fail_at(d, VMC_ERR_CORRUPT, src->name, is64 ? 40 : 32, "e_phnum is PN_XNUM but e_shoff is 0");
		if ((rc = vmc_bytesrc_read_exact(src, sh, shsz, o->shoff, "section header 0", d)))
			return rc;
		o->phnum = is64 ? ((Elf64_Shdr *)(void *)sh)->sh_info : ((Elf32_Shdr *)(void *)sh)->sh_info;
	}
	if (o->phnum == 0 || o->phnum > PHNUM_MAX)
		return vmc_fail_at(d, VMC_ERR_CORRUPT, src->name, o->phoff, "%llu program headers",
				   (unsigned long long)o->phnum);
	return VMC_OK;
}

/* One program header: notes are appended, a RAM segment kept, the kernel-text view noted. */
static enum vmc_status read_phdr(struct elf_open *o, uint64_t i, struct vmc_diag *d)
{
	struct vmc_bytesrc *src = o->src;
	uint64_t type, off, vaddr, paddr, filesz, memsz;

	if (o->is64) {
		Elf64_Phdr p;
		memcpy(&p, o->ph + i * o->phentsize, sizeof(p));
		type = p.p_type, off = p.p_offset, vaddr = p.p_vaddr, paddr = p.p_paddr, filesz = p.p_filesz,
		memsz = p.p_memsz;
	} else {
		Elf32_Phdr p;
		memcpy(&p, o->ph + i * o->phentsize, sizeof(p));
		type = p.p_type, off = p.p_offset, vaddr = p.p_vaddr, paddr = p.p_paddr, filesz = p.p_filesz,
		memsz = p.p_memsz;
	}
	if (type == PT_NOTE) {
		size_t at = o->dump->notes_len;
		if (o->nnotes_at < sizeof(o->notes_at) / sizeof(o->notes_at[0]))
			o->notes_at[o->nnotes_at++] = (struct vmc_notes_at){ at, off };
		return append_notes(o->dump, src, off, filesz, d);
	}
	if (type != PT_LOAD || memsz == 0)
		return VMC_OK;
	if (filesz > memsz || paddr + memsz < paddr || off + filesz < off)
		return vmc_fail_at(d, VMC_ERR_CORRUPT, src->name, o->phoff + i * o->phentsize,
				   "PT_LOAD %llu: p_filesz 0x%llx, p_memsz 0x%llx, p_paddr 0x%llx do not fit",
				   (unsigned long long)i, (unsigned long long)filesz, (unsigned long long)memsz,
				   (unsigned long long)paddr);
	if (((paddr + memsz) >> 12) + !!((paddr + memsz) & 4095) > VMC_MAX_PFN_LIMIT)
		/* here, where the offset of the header is known (mkcorrupt.py found it missing) */
		return vmc_fail_at(d, VMC_ERR_LIMIT, src->name, o->phoff + i * o->phentsize,
				   "PT_LOAD %llu ends at 0x%llx, beyond the supported 0x%llx", (unsigned long long)i,
				   (unsigned long long)(paddr + memsz), (unsigned long long)VMC_MAX_PFN_LIMIT * 4096);
	if (o->e_machine == EM_X86_64 && vaddr >= X86_64_KTEXT_START && !o->have_kt) {
		/* kexec's kernel-text view: a second mapping of RAM that other segments cover */
		o->kt = (struct vmc_ktext){ vaddr, paddr, memsz };
		o->have_kt = true;
		return VMC_OK;
	}
	o->segs[o->nsegs++] = (struct seg){ paddr, filesz, memsz, off };
	return VMC_OK;
}

/* The program headers: segments, notes, kernel text. */
static enum vmc_status read_phdrs(struct elf_open *o, struct vmc_diag *d)
{
	enum vmc_status rc;

	o->ph = malloc(o->phnum * o->phentsize);
	o->segs = calloc(o->phnum, sizeof(*o->segs));
	if (!o->ph || !o->segs)
		return vmc_fail(d, VMC_ERR_NOMEM, "program headers");
	if ((rc = vmc_bytesrc_read_exact(o->src, o->ph, o->phnum * o->phentsize, o->phoff, "program headers", d)))
		return rc;
	for (uint64_t i = 0; i < o->phnum; i++)
		if ((rc = read_phdr(o, i, d)))
			return rc;
	return VMC_OK;
}

/* Bytes of overlapping file data compared at open, at most: a hostile header may make
 * every segment overlap every other. */
#define OVERLAP_CMP_MAX (256ull << 20)

/* Making the physical view disjoint: file pieces won so far (sorted, disjoint), the zero
 * fill, and what comparing overlapping file data found. */
struct view {
	struct piece *file, *zero;
	size_t nfile, nzero;
	uint64_t budget;                 /* bytes left to compare */
	uint64_t diff_first, diff_last;  /* frames whose bytes differ between segments */
	uint64_t ndiff;                  /* overlaps with differing bytes */
	bool unchecked;                  /* the budget ran out (or a read failed) */
	uint8_t *buf;                    /* two compare buffers */
};

#define CMP_CHUNK 65536u

/* Compare `len` bytes at two file offsets; true when they differ. */
static bool bytes_differ(struct elf_open *o, struct view *v, uint64_t off_a, uint64_t off_b, uint64_t len)
{
	struct vmc_diag d;

	vmc_diag_init(&d);
	while (len) {
		size_t n = len < CMP_CHUNK ? (size_t)len : CMP_CHUNK;
		if (v->budget < n) {
			v->unchecked = true;
			return false;
		}
		v->budget -= n;
		/* data past the end of the file is reported as missing later, not as a conflict */
		if (vmc_bytesrc_read_exact(o->src, v->buf, n, off_a, "PT_LOAD data", &d) ||
		    vmc_bytesrc_read_exact(o->src, v->buf + CMP_CHUNK, n, off_b, "PT_LOAD data", &d)) {
			vmc_diag_clear(&d);
			return false;
		}
		if (memcmp(v->buf, v->buf + CMP_CHUNK, n) != 0)
			return true;
		off_a += n, off_b += n, len -= n;
	}
	return false;
}

/* The file data of piece p over [a, b) against the pieces already kept there. */
static void compare_overlap(struct elf_open *o, struct view *v, const struct piece *p, uint64_t a, uint64_t b)
{
	for (size_t k = v->nfile; k-- > 0;) {
		const struct piece *q = &v->file[k];
		uint64_t s = a > q->paddr ? a : q->paddr, e = b < q->paddr + q->len ? b : q->paddr + q->len;
		if (q->paddr + q->len <= a)
			break;
		if (s >= e)
			continue;
		if (v->budget < 64) {
			v->unchecked = true;
			return;
		}
		v->budget -= 64; /* each piece visited costs, so many tiny overlaps stay bounded */
		if (q->offset - q->paddr == p->offset - p->paddr)
			continue; /* the same file bytes */
		if (bytes_differ(o, v, q->offset + (s - q->paddr), p->offset + (s - p->paddr), e - s)) {
			uint64_t f = s >> o->dump->page_shift, l = (e - 1) >> o->dump->page_shift;
			if (!v->ndiff++ || f < v->diff_first)
				v->diff_first = f;
			if (v->ndiff == 1 || l > v->diff_last)
				v->diff_last = l;
		}
	}
}

/* File data: sorted by address, then program-header index; where file data overlap, the
 * piece that starts lower (at the same address: the earlier program header) keeps them. */
static void keep_file_pieces(struct elf_open *o, struct view *v, struct piece *in, size_t n)
{
	uint64_t cur_end = 0;

	qsort(in, n, sizeof(*in), cmp_piece);
	for (size_t i = 0; i < n; i++) {
		struct piece p = in[i];
		uint64_t end = p.paddr + p.len;
		if (v->nfile && p.paddr < cur_end) {
			compare_overlap(o, v, &p, p.paddr, end < cur_end ? end : cur_end);
			if (end <= cur_end)
				continue;
			p.offset += cur_end - p.paddr;
			p.len = end - cur_end;
			p.paddr = cur_end;
		}
		v->file[v->nfile++] = p;
		cur_end = end;
	}
}

/* Zero fill (p_filesz < p_memsz tails): merged, and only where no segment has file data. */
static void keep_zero_pieces(struct view *v, struct piece *in, size_t n)
{
	size_t f = 0;

	qsort(in, n, sizeof(*in), cmp_piece);
	for (size_t i = 0; i < n; i++) {
		uint64_t a = in[i].paddr, b = in[i].paddr + in[i].len;
		if (v->nzero && a <= v->zero[v->nzero - 1].paddr + v->zero[v->nzero - 1].len) {
			struct piece *z = &v->zero[v->nzero - 1];
			if (b > z->paddr + z->len)
				z->len = b - z->paddr;
			continue;
		}
		v->zero[v->nzero++] = (struct piece){ a, b - a, 0, 0 };
	}
	/* subtract the file pieces; both lists are sorted and disjoint */
	n = v->nzero;
	v->nzero = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t a = v->zero[i].paddr, b = a + v->zero[i].len;
		while (f < v->nfile && v->file[f].paddr + v->file[f].len <= a)
			f++;
		for (size_t k = f; a < b && k < v->nfile && v->file[k].paddr < b; k++) {
			if (v->file[k].paddr > a)
				v->zero[v->nzero++] = (struct piece){ a, v->file[k].paddr - a, 0, 0 };
			if (v->file[k].paddr + v->file[k].len > a)
				a = v->file[k].paddr + v->file[k].len;
		}
		if (a < b)
			v->zero[v->nzero++] = (struct piece){ a, b - a, 0, 0 };
	}
}

/* Merge the two views into o->segs, joining neighbours that continue each other. */
static void join_pieces(struct elf_open *o, struct view *v)
{
	size_t i = 0, j = 0;

	o->nsegs = 0;
	while (i < v->nfile || j < v->nzero) {
		bool file = j == v->nzero || (i < v->nfile && v->file[i].paddr < v->zero[j].paddr);
		const struct piece *p = file ? &v->file[i++] : &v->zero[j++];
		struct seg *prev = o->nsegs ? &o->segs[o->nsegs - 1] : NULL;
		if (prev && prev->paddr + prev->memsz == p->paddr) {
			if (!file) {
				prev->memsz += p->len;
				continue;
			}
			if (prev->filesz == prev->memsz && prev->offset + prev->filesz == p->offset) {
				prev->filesz += p->len;
				prev->memsz += p->len;
				continue;
			}
		}
		o->segs[o->nsegs++] = file ? (struct seg){ p->paddr, p->len, p->len, p->offset }
					   : (struct seg){ p->paddr, 0, p->len, 0 };
	}
}

/* The physical view, made disjoint: file-backed bytes win over another segment's zero fill;
 * where two segments give different bytes for a frame, one warning names the frames. */
static enum vmc_status make_disjoint(struct elf_open *o, struct vmc_diag *d)
{
	struct view v = { .budget = OVERLAP_CMP_MAX };
	struct piece *fin = calloc(o->nsegs + 1, sizeof(*fin)), *zin = calloc(o->nsegs + 1, sizeof(*zin));
	struct seg *segs = realloc(o->segs, (2 * o->nsegs + 1) * sizeof(*segs));
	size_t nf = 0, nz = 0;

	v.file = calloc(o->nsegs + 1, sizeof(*v.file));
	v.zero = calloc(o->nsegs + 1, sizeof(*v.zero));
	v.buf = malloc(2 * CMP_CHUNK);
	if (segs)
		o->segs = segs;
	if (!segs || !fin || !zin || !v.file || !v.zero || !v.buf) {
		free(fin), free(zin), free(v.file), free(v.zero), free(v.buf);
		return vmc_fail(d, VMC_ERR_NOMEM, "program headers");
	}
	for (size_t i = 0; i < o->nsegs; i++) {
		const struct seg *s = &o->segs[i];
		if (s->filesz)
			fin[nf++] = (struct piece){ s->paddr, s->filesz, s->offset, i };
		if (s->memsz > s->filesz)
			zin[nz++] = (struct piece){ s->paddr + s->filesz, s->memsz - s->filesz, 0, i };
	}
	keep_file_pieces(o, &v, fin, nf);
	keep_zero_pieces(&v, zin, nz);
	/* o->segs has room for every piece; joined, there are no more runs than segments */
	join_pieces(o, &v);
	if (v.ndiff)
		vmc_warn(d, "%s: overlapping PT_LOADs give different bytes for frames 0x%llx-0x%llx (%llu overlap%s); "
			    "kept the lower-starting segment's (at one address: the first program header's)",
			 o->src->name, (unsigned long long)v.diff_first, (unsigned long long)v.diff_last,
			 (unsigned long long)v.ndiff, v.ndiff == 1 ? "" : "s");
	else if (v.unchecked)
		vmc_warn(d, "%s: overlapping PT_LOADs: over %llu MiB of overlap, not all compared; "
			    "kept the lower-starting segment's bytes (at one address: the first program header's)",
			 o->src->name, OVERLAP_CMP_MAX >> 20);
	free(fin), free(zin), free(v.file), free(v.zero), free(v.buf);
	return VMC_OK;
}

/* The kernel-text segment must map RAM that a PT_LOAD segment holds. */
static enum vmc_status check_ktext(struct elf_open *o, struct vmc_diag *d)
{
	bool covered = false;

	if (!o->have_kt)
		return VMC_OK;
	for (size_t i = 0; i < o->nsegs; i++)
		if (o->kt.paddr >= o->segs[i].paddr && o->kt.paddr < o->segs[i].paddr + o->segs[i].memsz)
			covered = true;
	o->dump->ktext = o->kt;
	o->dump->has_ktext = true;
	if (!covered)
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: kernel-text segment at 0x%llx is not covered by RAM segments",
				o->src->name, (unsigned long long)o->kt.paddr);
	return VMC_OK;
}

/* Page size, phys_base, uts and the rest of what the headers and notes say. */
static enum vmc_status set_facts(struct elf_open *o, struct vmc_diag *d)
{
	struct vmc_dump *dump = o->dump;
	const char *m = vmc_kinfo_machine_name(o->e_machine);
	uint32_t ps;
	enum vmc_status rc;

	/* page size: VMCOREINFO PAGESIZE when present (aarch64 and ppc64le kernels use 4, 16 or
	 * 64 KiB), else 4 KiB: an ELF header has no page size of its own */
	if ((rc = vmc_dump_vmcoreinfo_pagesize(dump, o->src->name, o->notes_at, o->nnotes_at, &ps, d)))
		return rc;
	dump->page_size = ps ? ps : 4096;
	dump->e_machine = o->e_machine;
	dump->machine_off = offsetof(Elf64_Ehdr, e_machine); /* the same in ELF32 */
	vmc_dump_facts_from_vmcoreinfo(dump);
	if (!dump->has_phys_base && o->have_kt) {
		dump->phys_base = o->kt.paddr - (o->kt.vaddr - X86_64_KTEXT_START);
		dump->has_phys_base = true;
	}
	dump->page_shift = (unsigned)__builtin_ctz(dump->page_size);
	snprintf(dump->uts.sysname, sizeof(dump->uts.sysname), "Linux");
	snprintf(dump->uts.machine, sizeof(dump->uts.machine), "%s", m ? m : "unknown");
	dump->format = o->is64 ? "elf64" : "elf32";
	dump->incomplete_flag = o->e_flags & 1; /* DUMP_ELF_INCOMPLETE */
	return VMC_OK;
}

/* Size the bitmaps and mark the segments' frames as RAM, and as stored where the file has data. */
static enum vmc_status map_segments(struct elf_open *o, struct vmc_diag *d)
{
	struct vmc_dump *dump = o->dump;
	uint64_t max_end = 0;
	enum vmc_status rc;

	for (size_t i = 0; i < o->nsegs; i++)
		if (o->segs[i].paddr + o->segs[i].memsz > max_end)
			max_end = o->segs[i].paddr + o->segs[i].memsz;
	/* frames above max_end, rounded up without overflowing near 2^64 */
	if ((rc = vmc_dump_alloc_bitmaps(dump, (max_end >> dump->page_shift) + !!(max_end & (dump->page_size - 1)), d)))
		return rc;
	for (size_t i = 0; i < o->nsegs; i++) {
		const struct seg *s = &o->segs[i];
		uint64_t first = s->paddr >> dump->page_shift;
		uint64_t end = (s->paddr + s->memsz + dump->page_size - 1) >> dump->page_shift;
		uint64_t fend = (s->paddr + s->filesz + dump->page_size - 1) >> dump->page_shift;
		vmc_bitmap_set_range(&dump->ram, first, end - first);
		if (s->filesz)
			vmc_bitmap_set_range(&dump->stored, first, fend - first);
	}
	return VMC_OK;
}

/* Frames whose bytes lie past the end of the file are missing. */
static void mark_past_eof(struct elf_open *o)
{
	struct vmc_dump *dump = o->dump;
	struct vmc_bytesrc *src = o->src;

	for (size_t i = 0; i < o->nsegs; i++) {
		const struct seg *s = &o->segs[i];
		if (s->offset + s->filesz > src->size) {
			uint64_t avail = s->offset < src->size ? src->size - s->offset : 0;
			uint64_t pa = s->paddr + avail;
			uint64_t pfn = pa >> dump->page_shift;
			uint64_t end = (s->paddr + s->filesz + dump->page_size - 1) >> dump->page_shift;
			if (pfn < end)
				vmc_dump_mark_missing_range(dump, pfn, end - pfn, src->name,
							    s->offset + ((pfn << dump->page_shift) > s->paddr ? (pfn << dump->page_shift) - s->paddr : 0),
							    "lies past the end of the file");
		}
	}
}

/* A flattened stream cut short: the stored frames it never wrote are missing. */
static void mark_flat_holes(struct elf_open *o)
{
	struct vmc_dump *dump = o->dump;
	struct vmc_bytesrc *src = o->src;

	if (!src->cut_short)
		return;
	for (size_t i = 0; i < o->nsegs; i++) {
		const struct seg *s = &o->segs[i];
		uint64_t first = s->paddr >> dump->page_shift;
		uint64_t end = (s->paddr + s->filesz + dump->page_size - 1) >> dump->page_shift;
		/* only stored frames: those past the end of the data are already missing */
		for (uint64_t pfn = vmc_bitmap_next_set(&dump->stored, first); pfn < end;
		     pfn = vmc_bitmap_next_set(&dump->stored, pfn + 1)) {
			uint64_t a = pfn << dump->page_shift, b = a + dump->page_size;
			if (a < s->paddr)
				a = s->paddr;
			if (b > s->paddr + s->filesz)
				b = s->paddr + s->filesz;
			if (!vmc_bytesrc_covered(src, s->offset + (a - s->paddr), b - a))
				vmc_dump_mark_missing(dump, pfn, src->name, s->offset + (a - s->paddr),
						      "was never written: the flattened stream is cut short");
		}
	}
	dump->incomplete_flag = true;
	snprintf(dump->missing_why, sizeof(dump->missing_why),
		 "%s: offset 0x%llx: the flattened stream is cut short (no end marker)", src->name,
		 (unsigned long long)src->cut_off);
}

static enum vmc_status elf_open_phases(struct elf_open *o, struct vmc_diag *d)
{
	struct elf_priv *ep;
	enum vmc_status rc;

	if ((rc = read_ehdr(o, d)) || (rc = read_phdrs(o, d)))
		return rc;
	/* the page size first: the overlap warning names frames */
	if ((rc = set_facts(o, d)) || (rc = make_disjoint(o, d)) || (rc = check_ktext(o, d)))
		return rc;
	if ((rc = map_segments(o, d)))
		return rc;
	mark_past_eof(o);
	mark_flat_holes(o);
	if ((rc = vmc_dump_check_bitmaps(o->dump, d)))
		return rc;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	ep->src = o->src;
	ep->segs = o->segs;
	ep->nsegs = o->nsegs;
	o->segs = NULL;
	o->dump->priv = ep;
	o->dump->scratch_size = 0;
	return VMC_OK;
}

static enum vmc_status elf_open(struct vmc_dump *dump, struct vmc_bytesrc **srcs, unsigned nsrc, struct vmc_diag *d)
{
	struct elf_open o = { .dump = dump, .src = srcs[0] };
	enum vmc_status rc;

	if (nsrc != 1)
		return vmc_fail(d, VMC_ERR_ARGS, "%s: ELF vmcores are single files", srcs[0]->name);
	rc = elf_open_phases(&o, d);
	elf_open_release(&o);
	return rc;
}

/* index of the first segment that ends after physical address pa (segments are sorted and
 * disjoint), or nsegs */
static size_t first_seg_after(const struct elf_priv *ep, uint64_t pa)
{
	size_t lo = 0, hi = ep->nsegs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ep->segs[mid].paddr + ep->segs[mid].memsz <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static enum vmc_status elf_read_page(struct vmc_dump *dump, uint64_t pfn, void *buf, void *scratch,
				     struct vmc_diag *d)
{
	struct elf_priv *ep = dump->priv;
	uint64_t start = pfn << dump->page_shift, end = start + dump->page_size;
	uint8_t *out = buf;

	memset(buf, 0, dump->page_size);
	for (size_t i = first_seg_after(ep, start); i < ep->nsegs && ep->segs[i].paddr < end; i++) {
		const struct seg *s = &ep->segs[i];
		uint64_t a = start > s->paddr ? start : s->paddr;
		uint64_t b = end < s->paddr + s->filesz ? end : s->paddr + s->filesz;
		enum vmc_status rc;
		if (a >= b)
			continue;
		rc = vmc_bytesrc_read_exact(ep->src, out + (a - start), b - a, s->offset + (a - s->paddr), "PT_LOAD data", d);
		if (rc)
			return rc;
	}
	return VMC_OK;
}

/* the segment holding [pfn, pfn+count) entirely in its file data, or NULL */
static const struct seg *run_seg(const struct elf_priv *ep, uint64_t start, uint64_t len)
{
	size_t lo = first_seg_after(ep, start);

	if (lo == ep->nsegs || start < ep->segs[lo].paddr || start + len > ep->segs[lo].paddr + ep->segs[lo].filesz)
		return NULL;
	return &ep->segs[lo];
}

static const uint8_t *elf_map_run(struct vmc_dump *dump, uint64_t pfn, uint64_t count)
{
	struct elf_priv *ep = dump->priv;
	uint64_t start = pfn << dump->page_shift, len = count << dump->page_shift;
	const struct seg *s = run_seg(ep, start, len);
	uint64_t off;

	if (!s || !ep->src->map)
		return NULL;
	off = s->offset + (start - s->paddr);
	if (off > ep->src->size || len > ep->src->size - off)
		return NULL;
	vmc_bytesrc_mapped(ep->src, off, len); /* keeps the resident set bounded */
	return ep->src->map + off;
}

static enum vmc_status elf_read_run(struct vmc_dump *dump, uint64_t pfn, uint64_t count, void *buf,
				    struct vmc_diag *d)
{
	struct elf_priv *ep = dump->priv;
	uint64_t start = pfn << dump->page_shift, len = count << dump->page_shift;
	const struct seg *s = run_seg(ep, start, len);

	if (!s)
		return VMC_ERR_UNSUPPORTED;
	return vmc_bytesrc_read_exact(ep->src, buf, len, s->offset + (start - s->paddr), "PT_LOAD data", d);
}

const struct vmc_reader_ops vmc_reader_elf = {
	.read_run = elf_read_run,
	.map_run = elf_map_run,
	.name = "elf",
	.probe = elf_probe,
	.open = elf_open,
	.read_page = elf_read_page,
	.close = elf_close,
};
