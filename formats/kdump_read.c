/* kdump_read.c: reader for kdump-compressed (diskdump) files, header versions 0-6, every
 * codec, split sets (several files with start/end pfn ranges), flattened via formats/flat_read.c.
 * Layout: kdump_layout.h. Descriptors are validated once at open so that incomplete or
 * truncated frames are known before any output is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "dump.h"
#include "kdump_layout.h"
#include "notes.h"

#define NOTES_MAX (64u << 20)
#define RANK_SUBS (VMC_BITMAP_CHUNK_BITS / 4096) /* sub-ranks per bitmap chunk */

struct kfile {
	struct vmc_bytesrc *src;
	uint64_t start_pfn, end_pfn; /* descriptor range of this file */
	uint64_t desc_off;
	uint64_t rank_start; /* rank of start_pfn in the 2nd bitmap */
};

struct kdump_priv {
	struct kfile *files;
	unsigned nfiles;
	struct vmc_bitmap bm2; /* the file's 2nd bitmap, unmodified: descriptor positions */
	/* the descriptor index, sparse as bm2: rank[k] = set bits of bm2 below its chunk k;
	 * sub[k][j] (allocated chunks only) = set bits of chunk k below its frame j * 4096 */
	uint64_t *rank;
	uint32_t (**sub)[RANK_SUBS];
};

static int kdump_probe(const uint8_t *head, size_t len)
{
	if (len >= 8 && (memcmp(head, KDUMP_SIGNATURE, 8) == 0 || memcmp(head, DISKDUMP_SIGNATURE, 8) == 0))
		return 100;
	return 0;
}

/* Set bits of bm2 below pfn (<= max_mapnr): the descriptor's index. At most 63 popcounts. */
static uint64_t rank_of(const struct kdump_priv *kp, uint64_t pfn)
{
	uint64_t k = pfn >> VMC_BITMAP_CHUNK_SHIFT, j = pfn & (VMC_BITMAP_CHUNK_BITS - 1), r, w;
	const uint64_t *c;

	if (k >= kp->bm2.nchunks) /* pfn == max_mapnr: a part ending the set */
		return kp->rank[kp->bm2.nchunks];
	r = kp->rank[k];
	if (!(c = kp->bm2.chunk[k]))
		return r;
	r += (*kp->sub[k])[j >> 12];
	for (w = (j >> 12) << 6; w < (j >> 6); w++)
		r += (uint64_t)__builtin_popcountll(c[w]);
	if (j & 63)
		r += (uint64_t)__builtin_popcountll(c[j >> 6] & ((1ull << (j & 63)) - 1));
	return r;
}

struct khdr {
	uint8_t h[KDH_SIZE];
	uint8_t sh[KSH_SIZE];
	int version;
	uint32_t block_size, sub_hdr_size, bitmap_blocks, status;
	uint64_t max_mapnr, start_pfn, end_pfn;
	bool split;
};

/* The header's utsname.machine, printable, for refusals that name what the file is. */
static const char *machine_of(const struct khdr *k, char *buf, size_t len)
{
	const uint8_t *m = k->h + KDH_UTSNAME + 4 * 65;
	size_t n = 0;

	while (n + 1 < len && n < 64 && m[n] >= 0x20 && m[n] < 0x7f)
		buf[n] = (char)m[n], n++;
	buf[n] = 0;
	return n && !m[n] ? buf : "unknown";
}

/* A header that is not little-endian 64-bit layout: say what it is. Big-endian files have
 * header_version (a small number) byte-swapped; the 32-bit layout (i386, arm, ...) has an
 * 8-byte timestamp, so block_size sits 12 bytes earlier. */
static enum vmc_status refuse_layout(struct vmc_bytesrc *src, const struct khdr *k, struct vmc_diag *d)
{
	uint32_t v = kd_get32(k->h + KDH_VERSION), bs32 = kd_get32(k->h + 416);
	uint32_t sw = __builtin_bswap32(v);
	char m[65];

	if ((v > 6 && sw <= 6) || (v == 0 && sw == 0 && kd_get32(k->h + KDH_BLOCK_SIZE) > VMC_PAGE_SIZE_MAX))
		return vmc_fail_at(d, VMC_ERR_UNSUPPORTED, src->name, KDH_VERSION,
				   "big-endian kdump (machine %s) is not supported: "
				   "vmcarve reads little-endian dumps", machine_of(k, m, sizeof(m)));
	if (v <= 6 && bs32 >= 4096 && bs32 <= VMC_PAGE_SIZE_MAX && !(bs32 & (bs32 - 1)))
		return vmc_fail_at(d, VMC_ERR_UNSUPPORTED, src->name, 416,
				   "32-bit kdump header layout (machine %s) is not supported: vmcarve reads "
				   "the 64-bit layout (x86_64, aarch64, ppc64le)", machine_of(k, m, sizeof(m)));
	return VMC_OK;
}

static enum vmc_status read_headers(struct vmc_bytesrc *src, struct khdr *k, struct vmc_diag *d)
{
	enum vmc_status rc;

	memset(k, 0, sizeof(*k));
	if ((rc = vmc_bytesrc_read_exact(src, k->h, KDH_SIZE, 0, "kdump header", d)))
		return rc;
	k->version = (int)kd_get32(k->h + KDH_VERSION);
	k->status = kd_get32(k->h + KDH_STATUS);
	k->block_size = kd_get32(k->h + KDH_BLOCK_SIZE);
	k->sub_hdr_size = kd_get32(k->h + KDH_SUB_HDR_SIZE);
	k->bitmap_blocks = kd_get32(k->h + KDH_BITMAP_BLOCKS);
	k->max_mapnr = kd_get32(k->h + KDH_MAX_MAPNR);
	if (k->version < 0 || k->version > 6 || k->block_size < 4096 || k->block_size > VMC_PAGE_SIZE_MAX ||
	    (k->block_size & (k->block_size - 1))) {
		if ((rc = refuse_layout(src, k, d)))
			return rc;
	}
	if (k->version < 0 || k->version > 6)
		return vmc_fail_at(d, VMC_ERR_UNSUPPORTED, src->name, KDH_VERSION, "kdump header_version %d (known: 0-6)",
				   k->version);
	if (k->block_size < 4096 || k->block_size > VMC_PAGE_SIZE_MAX || (k->block_size & (k->block_size - 1))) {
		return vmc_fail_at(d, VMC_ERR_CORRUPT, src->name, KDH_BLOCK_SIZE,
				   "block_size 0x%x is not a power of two in [4096, 262144]", k->block_size);
	}
	if (k->version >= 1) {
		if (k->sub_hdr_size == 0)
			return vmc_fail_at(d, VMC_ERR_CORRUPT, src->name, KDH_SUB_HDR_SIZE, "sub_hdr_size is 0");
		if ((rc = vmc_bytesrc_read_exact(src, k->sh, KSH_SIZE, k->block_size, "kdump sub-header", d)))
			return rc;
	}
	if (k->version >= 6)
		k->max_mapnr = kd_get64(k->sh + KSH_MAX_MAPNR_64);
	k->start_pfn = 0;
	k->end_pfn = k->max_mapnr;
	if (k->version >= 2 && kd_get32(k->sh + KSH_SPLIT)) {
		k->split = true;
		if (k->version >= 6) {
			k->start_pfn = kd_get64(k->sh + KSH_START_PFN_64);
			k->end_pfn = kd_get64(k->sh + KSH_END_PFN_64);
		} else {
			k->start_pfn = kd_get64(k->sh + KSH_START_PFN);
			k->end_pfn = kd_get64(k->sh + KSH_END_PFN);
		}
		if (k->start_pfn > k->end_pfn || k->end_pfn > k->max_mapnr)
			return vmc_fail_at(d, VMC_ERR_CORRUPT, src->name, k->block_size + KSH_START_PFN_64,
					   "split range [0x%llx, 0x%llx) outside max_mapnr 0x%llx",
					   (unsigned long long)k->start_pfn, (unsigned long long)k->end_pfn,
					   (unsigned long long)k->max_mapnr);
	}
	if (k->max_mapnr > VMC_MAX_PFN_LIMIT)
		return vmc_fail_at(d, VMC_ERR_LIMIT, src->name, k->version >= 6 ? k->block_size + KSH_MAX_MAPNR_64 : KDH_MAX_MAPNR,
				   "max_mapnr 0x%llx is beyond the supported 0x%llx", (unsigned long long)k->max_mapnr,
				   (unsigned long long)VMC_MAX_PFN_LIMIT);
	return VMC_OK;
}

/* Notes: v4+ carries the whole note blob; v3 only VMCOREINFO, which we wrap as a note. */
static enum vmc_status read_notes(struct vmc_dump *dump, struct vmc_bytesrc *src, const struct khdr *k,
				  struct vmc_diag *d)
{
	uint64_t off = 0, size = 0;
	enum vmc_status rc;

	if (k->version >= 4) {
		off = kd_get64(k->sh + KSH_OFFSET_NOTE);
		size = kd_get64(k->sh + KSH_SIZE_NOTE);
	}
	if (off && size) {
		if (size > NOTES_MAX)
			return vmc_fail_at(d, VMC_ERR_LIMIT, src->name, k->block_size + KSH_SIZE_NOTE,
					   "note area of 0x%llx bytes", (unsigned long long)size);
		dump->notes = malloc(size);
		if (!dump->notes)
			return vmc_fail(d, VMC_ERR_NOMEM, "notes");
		if ((rc = vmc_bytesrc_read_exact(src, dump->notes, size, off, "note area", d)))
			return rc;
		dump->notes_len = vmc_notes_valid_len(dump->notes, size);
		return VMC_OK;
	}
	if (k->version >= 3) {
		uint64_t voff = kd_get64(k->sh + KSH_OFFSET_VMCOREINFO), vsize = kd_get64(k->sh + KSH_SIZE_VMCOREINFO);
		size_t total;
		uint8_t *n;
		if (!voff || !vsize)
			return VMC_OK;
		if (vsize > NOTES_MAX)
			return vmc_fail_at(d, VMC_ERR_LIMIT, src->name, k->block_size + KSH_SIZE_VMCOREINFO,
					   "vmcoreinfo of 0x%llx bytes", (unsigned long long)vsize);
		total = 12 + 12 + ((vsize + 3) & ~3ull);
		n = calloc(1, total);
		if (!n)
			return vmc_fail(d, VMC_ERR_NOMEM, "notes");
		kd_put32(n, 11);
		kd_put32(n + 4, (uint32_t)vsize);
		kd_put32(n + 8, 0);
		memcpy(n + 12, "VMCOREINFO", 11);
		if ((rc = vmc_bytesrc_read_exact(src, n + 24, vsize, voff, "vmcoreinfo", d))) {
			free(n);
			return rc;
		}
		dump->notes = n;
		dump->notes_len = total;
	}
	return VMC_OK;
}

/* Validate every descriptor of one file once; frames whose data is absent become missing. */
static enum vmc_status scan_descs(struct vmc_dump *dump, struct kdump_priv *kp, struct kfile *f,
				  uint32_t bs, struct vmc_diag *d)
{
	enum { CHUNK = 2048 };
	uint8_t *buf = malloc(CHUNK * KPD_BYTES);
	uint64_t pfn = vmc_bitmap_next_set(&kp->bm2, f->start_pfn), idx = 0;
	enum vmc_status rc = VMC_OK;

	if (!buf)
		return vmc_fail(d, VMC_ERR_NOMEM, "descriptor buffer");
	while (pfn < f->end_pfn) {
		uint64_t off = f->desc_off + idx * KPD_BYTES;
		size_t got = 0, n;
		if ((rc = f->src->ops->pread(f->src, buf, CHUNK * KPD_BYTES, off, &got, d)))
			break;
		n = got / KPD_BYTES;
		for (size_t i = 0; pfn < f->end_pfn; i++, idx++, pfn = vmc_bitmap_next_set(&kp->bm2, pfn + 1)) {
			const uint8_t *p = buf + i * KPD_BYTES;
			uint64_t doff, dsz;
			uint32_t flags;
			if (i == n)
				break;
			doff = kd_get64(p + KPD_OFFSET);
			dsz = kd_get32(p + KPD_SIZE);
			flags = kd_get32(p + KPD_FLAGS);
			if (!vmc_bitmap_test(&dump->stored, pfn))
				continue;
			if (doff == 0) {
				vmc_dump_mark_missing(dump, pfn, f->src->name, off + i * KPD_BYTES,
						      "has an incomplete descriptor (offset 0)");
				continue;
			}
			if (dsz == 0 || dsz > bs || (flags == 0 && dsz != bs) ||
			    (flags & ~(uint32_t)(VMC_KDUMP_ZLIB | VMC_KDUMP_LZO | VMC_KDUMP_SNAPPY | VMC_KDUMP_ZSTD))) {
				rc = vmc_fail_at(d, VMC_ERR_CORRUPT, f->src->name, off + i * KPD_BYTES,
						 "frame 0x%llx: bad page descriptor (size 0x%llx, flags 0x%x, page size 0x%x)",
						 (unsigned long long)pfn, (unsigned long long)dsz, flags, bs);
				goto out;
			}
			if (doff > f->src->size || dsz > f->src->size - doff) {
				vmc_dump_mark_missing(dump, pfn, f->src->name, doff, "has data past the end of the file");
				continue;
			}
			if (!vmc_bytesrc_covered(f->src, doff, dsz)) {
				vmc_dump_mark_missing(dump, pfn, f->src->name, doff,
						      "has data the flattened stream never delivered");
				continue;
			}
			dump->codecs |= flags;
		}
		if (got < CHUNK * KPD_BYTES) {
			/* the descriptor table itself is cut short */
			for (; pfn < f->end_pfn; pfn = vmc_bitmap_next_set(&kp->bm2, pfn + 1), idx++)
				if (vmc_bitmap_test(&dump->stored, pfn))
					vmc_dump_mark_missing(dump, pfn, f->src->name, f->desc_off + idx * KPD_BYTES,
							      "has its descriptor past the end of the file");
			break;
		}
	}
out:
	free(buf);
	return rc;
}

static void kdump_close(struct vmc_dump *dump)
{
	struct kdump_priv *kp = dump->priv;

	if (!kp)
		return;
	for (unsigned i = 0; i < kp->nfiles; i++)
		vmc_bytesrc_free(kp->files[i].src);
	free(kp->files);
	if (kp->sub)
		for (uint64_t k = 0; k < kp->bm2.nchunks; k++)
			free(kp->sub[k]);
	free(kp->sub);
	vmc_bitmap_release(&kp->bm2);
	free(kp->rank);
	free(kp);
	dump->priv = NULL;
}

static int cmp_kfile(const void *a, const void *b)
{
	const struct kfile *x = a, *y = b;
	return x->start_pfn < y->start_pfn ? -1 : x->start_pfn > y->start_pfn;
}

/* What kdump_open learns, phase by phase (QEMU dump.c's names); k0 is the first file's
 * headers, which every part of a split set repeats. */
struct kdump_open {
	struct vmc_dump *dump;
	struct kdump_priv *kp;
	struct vmc_bytesrc **srcs;
	unsigned nsrc;
	struct khdr k0;
};

/* What identifies the dump that a split part belongs to: the main header but for the fields
 * each writer process fills for itself (timestamp, status, the block counts and current_cpu,
 * as makedumpfile --split and other writers produce them), and the sub-header's phys_base and
 * dump_level. makedumpfile --reassemble compares the whole main header, timestamp included;
 * libkdumpfile compares nothing. */
static const struct {
	uint16_t off, len;
	bool sub;
	const char *name;
} same_fields[] = {
	{ KDH_SIGNATURE, 8, false, "signature" },
	{ KDH_VERSION, 4, false, "header_version" },
	{ KDH_UTSNAME, 6 * 65, false, "utsname" },
	{ KDH_BLOCK_SIZE, 4, false, "block_size" },
	{ KDH_SUB_HDR_SIZE, 4, false, "sub_hdr_size" },
	{ KDH_BITMAP_BLOCKS, 4, false, "bitmap_blocks" },
	{ KDH_MAX_MAPNR, 4, false, "max_mapnr" },
	{ KDH_NR_CPUS, 4, false, "nr_cpus" },
	{ KSH_PHYS_BASE, 8, true, "phys_base" },
	{ KSH_DUMP_LEVEL, 4, true, "dump_level" },
};

static enum vmc_status same_dump(const struct khdr *k, const struct khdr *k0, const char *name, const char *name0,
				 struct vmc_diag *d)
{
	for (size_t f = 0; f < sizeof(same_fields) / sizeof(same_fields[0]); f++) {
		const uint8_t *a = (same_fields[f].sub ? k->sh : k->h) + same_fields[f].off;
		const uint8_t *b = (same_fields[f].sub ? k0->sh : k0->h) + same_fields[f].off;
		if (same_fields[f].sub && k0->version < 1)
			continue;
		if (memcmp(a, b, same_fields[f].len) != 0)
			return vmc_fail_at(d, VMC_ERR_ARGS, name, same_fields[f].off + (same_fields[f].sub ? k->block_size : 0),
					   "split part's %s differs from %s's (parts of different dumps?)", same_fields[f].name,
					   name0);
	}
	if (k->max_mapnr != k0->max_mapnr)
		return vmc_fail_at(d, VMC_ERR_ARGS, name, k->block_size + KSH_MAX_MAPNR_64,
				   "split part's max_mapnr_64 differs from %s's (parts of different dumps?)", name0);
	return VMC_OK;
}

/* Each split file's headers, checked against the first, and the parts ordered by frame. */
static enum vmc_status open_parts(struct kdump_open *o, struct vmc_diag *d)
{
	struct kdump_priv *kp = o->kp;
	struct vmc_bytesrc **srcs = o->srcs;
	struct khdr k;
	enum vmc_status rc;

	if ((rc = read_headers(srcs[0], &o->k0, d)))
		return rc;
	for (unsigned i = 0; i < o->nsrc; i++) {
		struct kfile *f = &kp->files[i];
		if (i == 0)
			k = o->k0;
		else if ((rc = read_headers(srcs[i], &k, d)))
			return rc;
		if (o->nsrc > 1 && !k.split)
			return vmc_fail_at(d, VMC_ERR_ARGS, srcs[i]->name, k.block_size + KSH_SPLIT,
					   "several files given but this one is not part of a split dump");
		if (i && (rc = same_dump(&k, &o->k0, srcs[i]->name, srcs[0]->name, d)))
			return rc;
		if (k.status & VMC_KDUMP_INCOMPLETE) /* each writer process marks its own part */
			o->k0.status |= VMC_KDUMP_INCOMPLETE;
		f->src = srcs[i];
		f->start_pfn = k.start_pfn;
		f->end_pfn = k.end_pfn;
		f->desc_off = ((uint64_t)1 + k.sub_hdr_size + k.bitmap_blocks) * k.block_size;
	}
	qsort(kp->files, o->nsrc, sizeof(*kp->files), cmp_kfile);
	for (unsigned j = 1; j < o->nsrc; j++)
		if (kp->files[j].start_pfn < kp->files[j - 1].end_pfn) {
			struct kfile *f = &kp->files[j];
			return vmc_fail_at(d, VMC_ERR_ARGS, f->src->name,
					   o->k0.block_size + (o->k0.version >= 6 ? KSH_START_PFN_64 : KSH_START_PFN),
					   "split part starts at frame 0x%llx, inside the previous part (overlap or repeat)",
					   (unsigned long long)f->start_pfn);
		}
	kp->nfiles = o->nsrc;
	return VMC_OK;
}

/* Page size, format name, uts and the rest of what the headers say. */
static void set_facts(struct kdump_open *o)
{
	struct vmc_dump *dump = o->dump;
	const struct khdr *k0 = &o->k0;
	unsigned nsrc = o->nsrc;

	dump->page_size = k0->block_size;
	dump->page_shift = (unsigned)__builtin_ctz(k0->block_size);
	dump->format = o->kp->files[0].src->flattened ? (nsrc > 1 ? "flattened split kdump" : "flattened kdump")
						        : (nsrc > 1 ? "split kdump" : "kdump");
	if (memcmp(k0->h, DISKDUMP_SIGNATURE, 8) == 0)
		dump->format = "diskdump";
	memcpy(&dump->uts, k0->h + KDH_UTSNAME, 6 * 65);
	dump->uts.sysname[64] = dump->uts.nodename[64] = dump->uts.release[64] = 0;
	dump->uts.version[64] = dump->uts.machine[64] = dump->uts.domainname[64] = 0;
	dump->has_uts = true;
	/* an empty machine is x86_64, as vmcarve always assumed; one it does not know stays 0 */
	dump->e_machine = dump->uts.machine[0] ? vmc_kinfo_machine_of_uts(dump->uts.machine) : VMC_EM_X86_64;
	dump->machine_off = KDH_UTSNAME + 4 * 65;
	dump->incomplete_flag = k0->status & VMC_KDUMP_INCOMPLETE;
	if (k0->version >= 1) {
		dump->phys_base = kd_get64(k0->sh + KSH_PHYS_BASE);
		dump->has_phys_base = true;
		dump->dump_level = (int)kd_get32(k0->sh + KSH_DUMP_LEVEL);
	}
}

/* Read one bitmap of `need` bytes at `off` of the first file into b (all clear), a block at a
 * time: a bitmap of mostly zeros (RAM at a high address) costs neither a buffer of its size
 * nor chunks for its holes. */
static enum vmc_status read_bitmap(struct kdump_open *o, struct vmc_bitmap *b, uint64_t off, uint64_t need,
				   const char *what, struct vmc_diag *d)
{
	enum { BLK = 1 << 16 };
	uint8_t *bytes = malloc(BLK);
	enum vmc_status rc = VMC_OK;

	if (!bytes)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for the %s", what);
	for (uint64_t j = 0; j < need && !rc; j += BLK) {
		size_t n = need - j < BLK ? (size_t)(need - j) : BLK;
		uint64_t data = vmc_bytesrc_next_data(o->srcs[0], off + j);
		if (data >= off + j + n) {
			/* a hole reads as zeros, and b is clear: skip to the block holding data */
			j = data - off < need ? (data - off) / BLK * BLK - BLK : need;
			continue;
		}
		if (!(rc = vmc_bytesrc_read_exact(o->srcs[0], bytes, n, off + j, what, d)))
			vmc_bitmap_from_bytes_at(b, j, bytes, n);
	}
	free(bytes);
	return rc ? rc : vmc_bitmap_check(b, what, d);
}

/* A split part's own copy of one bitmap over its frames [s, e) must be the first file's (the
 * bitmaps come from the first file; a part's 2nd bitmap places its descriptors). */
static enum vmc_status check_part_bitmap(struct kdump_open *o, const struct kfile *f, uint64_t off,
					 const struct vmc_bitmap *ref, const char *what, struct vmc_diag *d)
{
	uint64_t s = f->start_pfn, e = f->end_pfn, j0 = s / 8, j1 = (e + 7) / 8;
	uint8_t buf[4096], mine[4096];
	enum vmc_status rc;

	for (uint64_t j = j0, n; j < j1; j += n) {
		uint64_t data = vmc_bytesrc_next_data(f->src, off + j);
		n = j1 - j < sizeof(buf) ? j1 - j : sizeof(buf);
		if (data >= off + j + n) {
			/* file holes (zeros) up to the data: the reference must be clear there too */
			uint64_t hend = data - off < j1 ? data - off : j1, from = j * 8 > s ? j * 8 : s;
			uint64_t to = hend * 8 < e ? hend * 8 : e, p = vmc_bitmap_next_set(ref, from);
			if (p < to)
				return vmc_fail_at(d, VMC_ERR_ARGS, f->src->name, off + p / 8,
						   "split part's %s differs from %s's at frame 0x%llx (parts of different dumps?)",
						   what, o->srcs[0]->name, (unsigned long long)p);
			n = hend - j;
			continue;
		}
		if ((rc = vmc_bytesrc_read_exact(f->src, buf, (size_t)n, off + j, what, d)))
			return rc;
		vmc_bitmap_to_bytes_at(ref, j, mine, (size_t)n);
		for (size_t i = 0; i < n; i++) {
			uint64_t b = j + i;
			uint8_t mask = 0xff;
			if (b == s / 8)
				mask &= (uint8_t)(0xff << (s % 8));
			if (b == e / 8)
				mask &= (uint8_t)((1u << (e % 8)) - 1);
			if ((buf[i] ^ mine[i]) & mask)
				return vmc_fail_at(d, VMC_ERR_ARGS, f->src->name, off + b,
						   "split part's %s differs from %s's at frame 0x%llx (parts of different dumps?)",
						   what, o->srcs[0]->name, (unsigned long long)(b * 8 + (unsigned)__builtin_ctz(
							   (unsigned)((buf[i] ^ mine[i]) & mask))));
		}
	}
	return VMC_OK;
}

/* The bitmaps: sized against max_mapnr, present in every part, stored frames counted as RAM. */
static enum vmc_status load_bitmaps(struct kdump_open *o, struct vmc_diag *d)
{
	const struct khdr *k0 = &o->k0;
	struct vmc_dump *dump = o->dump;
	struct kdump_priv *kp = o->kp;
	uint64_t bm_off = ((uint64_t)1 + k0->sub_hdr_size) * k0->block_size;
	uint64_t bm_len = (uint64_t)k0->bitmap_blocks * k0->block_size;
	uint64_t need = (k0->max_mapnr + 7) / 8;
	uint64_t half = (need + k0->block_size - 1) / k0->block_size * k0->block_size;
	bool two = k0->version >= 1 && bm_len >= 2 * half && half;
	enum vmc_status rc;

	if ((two ? bm_len / 2 : bm_len) < need)
		return vmc_fail_at(d, VMC_ERR_CORRUPT, o->srcs[0]->name, KDH_BITMAP_BLOCKS,
				   "bitmap of 0x%llx bytes cannot cover max_mapnr 0x%llx", (unsigned long long)bm_len,
				   (unsigned long long)k0->max_mapnr);
	/* only the bytes that cover max_mapnr must be there: makedumpfile's split parts can end
	 * inside the padding of the 2nd bitmap */
	for (unsigned i = 0; i < o->nsrc; i++) {
		uint64_t bm_end = bm_off + (two ? bm_len / 2 : 0) + need;
		if (bm_end > kp->files[i].src->size)
			return vmc_fail_at(d, VMC_ERR_TRUNCATED, kp->files[i].src->name, kp->files[i].src->size,
					   "truncated: the bitmaps end at 0x%llx", (unsigned long long)bm_end);
	}
	if ((rc = vmc_dump_alloc_bitmaps(dump, k0->max_mapnr, d)) || (rc = vmc_bitmap_init(&kp->bm2, k0->max_mapnr, d)))
		return rc;
	/* one bitmap only: it is both */
	if ((rc = read_bitmap(o, &dump->ram, bm_off, need, "1st bitmap", d)) ||
	    (rc = read_bitmap(o, &kp->bm2, two ? bm_off + bm_len / 2 : bm_off, need, "2nd bitmap", d)))
		return rc;
	for (unsigned i = 0; i < o->nsrc; i++) {
		const struct kfile *f = &kp->files[i];
		if (f->src == o->srcs[0] || f->start_pfn == f->end_pfn)
			continue;
		if ((rc = check_part_bitmap(o, f, bm_off, &dump->ram, "1st bitmap", d)) ||
		    (two && (rc = check_part_bitmap(o, f, bm_off + bm_len / 2, &kp->bm2, "2nd bitmap", d))))
			return rc;
	}
	/* a frame stored but not RAM is treated as RAM (QEMU writes identical bitmaps anyway) */
	vmc_bitmap_release(&dump->stored);
	if ((rc = vmc_bitmap_copy(&dump->stored, &kp->bm2, d)))
		return rc;
	vmc_bitmap_or(&dump->ram, &kp->bm2);
	return vmc_bitmap_check(&dump->ram, "1st bitmap", d);
}

/* Frames of a split set outside every part are not stored. */
static void check_split_ranges(struct kdump_open *o)
{
	struct kdump_priv *kp = o->kp;
	uint64_t prev = 0;

	if (!o->k0.split)
		return;
	for (unsigned i = 0; i <= o->nsrc; i++) {
		uint64_t s = i < o->nsrc ? kp->files[i].start_pfn : o->k0.max_mapnr;
		if (s > prev)
			vmc_dump_mark_missing_range(o->dump, prev, s - prev, o->srcs[0]->name, 0, "is in no part of the split set");
		if (i < o->nsrc)
			prev = kp->files[i].end_pfn;
	}
}

/* kp->rank and kp->sub: the set bits of the 2nd bitmap below each of its chunks and, inside
 * an allocated chunk, below each 4096 frames, so that a frame's descriptor is found without
 * counting from 0; 8 bytes per chunk and 256 per allocated one, not per 4096 frames of
 * max_mapnr. */
static enum vmc_status build_rank(struct kdump_open *o, struct vmc_diag *d)
{
	struct kdump_priv *kp = o->kp;
	const struct vmc_bitmap *b = &kp->bm2;
	uint64_t r = 0;

	kp->rank = malloc((b->nchunks + 1) * sizeof(*kp->rank));
	kp->sub = calloc(b->nchunks + 1, sizeof(*kp->sub));
	if (!kp->rank || !kp->sub)
		return vmc_fail(d, VMC_ERR_NOMEM, "descriptor index");
	for (uint64_t k = 0; k < b->nchunks; k++) {
		kp->rank[k] = r;
		if (!b->chunk[k])
			continue;
		if (!(kp->sub[k] = malloc(sizeof(*kp->sub[k]))))
			return vmc_fail(d, VMC_ERR_NOMEM, "descriptor index");
		for (uint64_t s = 0, in = 0; s < RANK_SUBS; s++) {
			(*kp->sub[k])[s] = (uint32_t)in;
			for (uint64_t w = s << 6; w < (s + 1) << 6; w++)
				in += (uint64_t)__builtin_popcountll(b->chunk[k][w]);
			if (s + 1 == RANK_SUBS)
				r += in;
		}
	}
	kp->rank[b->nchunks] = r;
	for (unsigned i = 0; i < o->nsrc; i++)
		kp->files[i].rank_start = rank_of(kp, kp->files[i].start_pfn);
	return VMC_OK;
}

/* A flattened stream cut short, or a header that says "incomplete": say why frames are missing. */
static void mark_flat_cut(struct kdump_open *o)
{
	struct vmc_dump *dump = o->dump;
	struct vmc_bytesrc **srcs = o->srcs;

	for (unsigned i = 0; i < o->nsrc; i++) {
		uint64_t cut = srcs[i]->cut_off;
		if (srcs[i]->cut_short) {
			/* the cut in the stream explains every missing frame better than a virtual offset */
			dump->incomplete_flag = true;
			snprintf(dump->missing_why, sizeof(dump->missing_why),
					 "%s: offset 0x%llx: the flattened stream is cut short (no end marker)", srcs[i]->name,
					 (unsigned long long)cut);
		}
	}
	if (dump->incomplete_flag && !dump->missing_why[0])
		snprintf(dump->missing_why, sizeof(dump->missing_why), "%s: offset 0x%x: the header says the dump is incomplete",
			 srcs[0]->name, KDH_STATUS);
}

/* The header's utsname release is the dump's; VMCOREINFO's OSRELEASE only fills it in when
 * the header has none. */
static void release_fallback(struct vmc_dump *dump)
{
	struct vmc_note n;
	char rel[65];

	if (dump->uts.release[0] || !vmc_notes_find(dump->notes, dump->notes_len, "VMCOREINFO", &n))
		return;
	if (vmcoreinfo_get(n.desc, n.desc_len, "OSRELEASE", rel, sizeof(rel)))
		snprintf(dump->uts.release, sizeof(dump->uts.release), "%s", rel);
}

/* block_size is the page size (makedumpfile writes the kernel's); a VMCOREINFO that says
 * otherwise makes every frame number ambiguous. */
static enum vmc_status check_page_size(struct kdump_open *o, struct vmc_diag *d)
{
	const struct khdr *k = &o->k0;
	struct vmc_notes_at at = { 0, 0 };
	uint32_t ps;
	enum vmc_status rc;

	if (k->version >= 4 && kd_get64(k->sh + KSH_OFFSET_NOTE))
		at.off = kd_get64(k->sh + KSH_OFFSET_NOTE);
	else if (k->version >= 3) /* the bare VMCOREINFO, wrapped as a note by read_notes() */
		at = (struct vmc_notes_at){ 24, kd_get64(k->sh + KSH_OFFSET_VMCOREINFO) };
	if ((rc = vmc_dump_vmcoreinfo_pagesize(o->dump, o->srcs[0]->name, &at, 1, &ps, d)))
		return rc;
	if (ps && ps != k->block_size)
		return vmc_fail_at(d, VMC_ERR_CORRUPT, o->srcs[0]->name, KDH_BLOCK_SIZE,
				   "block_size %u but VMCOREINFO PAGESIZE=%u", k->block_size, ps);
	return VMC_OK;
}

static enum vmc_status kdump_open_phases(struct kdump_open *o, struct vmc_diag *d)
{
	enum vmc_status rc;

	if ((rc = open_parts(o, d)))
		return rc;
	set_facts(o);
	if ((rc = read_notes(o->dump, o->srcs[0], &o->k0, d)) || (rc = load_bitmaps(o, d)))
		return rc;
	if ((rc = check_page_size(o, d)))
		return rc;
	release_fallback(o->dump);
	check_split_ranges(o);
	if ((rc = build_rank(o, d)))
		return rc;
	for (unsigned i = 0; i < o->nsrc; i++)
		if ((rc = scan_descs(o->dump, o->kp, &o->kp->files[i], o->k0.block_size, d)))
			return rc;
	mark_flat_cut(o);
	o->dump->scratch_size = o->k0.block_size;
	return vmc_dump_check_bitmaps(o->dump, d);
}

static enum vmc_status kdump_open(struct vmc_dump *dump, struct vmc_bytesrc **srcs, unsigned nsrc,
				  struct vmc_diag *d)
{
	struct kdump_open o = { .dump = dump, .srcs = srcs, .nsrc = nsrc };
	enum vmc_status rc;

	o.kp = calloc(1, sizeof(*o.kp));
	if (!o.kp || !(o.kp->files = calloc(nsrc, sizeof(*o.kp->files)))) {
		free(o.kp);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	dump->priv = o.kp;
	if (!(rc = kdump_open_phases(&o, d)))
		return VMC_OK;
	/* the caller keeps the sources on failure */
	for (unsigned i = 0; i < nsrc; i++)
		o.kp->files[i].src = NULL;
	o.kp->nfiles = nsrc;
	kdump_close(dump);
	return rc;
}

static enum vmc_status kdump_read_page(struct vmc_dump *dump, uint64_t pfn, void *buf, void *scratch,
				       struct vmc_diag *d)
{
	struct kdump_priv *kp = dump->priv;
	const struct kfile *f = &kp->files[0];
	uint8_t pd[KPD_BYTES];
	uint64_t pos, doff, descoff;
	uint32_t size, flags;
	enum vmc_status rc;

	if (kp->nfiles > 1) {
		unsigned lo = 0, hi = kp->nfiles;
		while (lo + 1 < hi) {
			unsigned mid = (lo + hi) / 2;
			if (kp->files[mid].start_pfn <= pfn)
				lo = mid;
			else
				hi = mid;
		}
		f = &kp->files[lo];
	}
	if (pfn < f->start_pfn || pfn >= f->end_pfn || !vmc_bitmap_test(&kp->bm2, pfn))
		return vmc_fail(d, VMC_ERR_MISSING, "%s: frame 0x%llx is not in the dump", dump->name, (unsigned long long)pfn);
	pos = rank_of(kp, pfn) - f->rank_start;
	descoff = f->desc_off + pos * KPD_BYTES;
	if ((rc = vmc_bytesrc_read_exact(f->src, pd, KPD_BYTES, descoff, "page descriptor", d)))
		return rc;
	doff = kd_get64(pd + KPD_OFFSET);
	size = kd_get32(pd + KPD_SIZE);
	flags = kd_get32(pd + KPD_FLAGS) & (VMC_KDUMP_ZLIB | VMC_KDUMP_LZO | VMC_KDUMP_SNAPPY | VMC_KDUMP_ZSTD);
	if (doff == 0)
		return vmc_fail_at(d, VMC_ERR_MISSING, f->src->name, descoff, "frame 0x%llx: incomplete descriptor",
				   (unsigned long long)pfn);
	if (size == 0 || size > dump->page_size || (!flags && size != dump->page_size))
		return vmc_fail_at(d, VMC_ERR_CORRUPT, f->src->name, descoff, "frame 0x%llx: bad descriptor size 0x%x",
				   (unsigned long long)pfn, size);
	if (!flags)
		return vmc_bytesrc_read_exact(f->src, buf, size, doff, "page data", d);
	if ((rc = vmc_bytesrc_read_exact(f->src, scratch, size, doff, "page data", d)))
		return rc;
	rc = vmc_codec_decompress_kdump(flags, scratch, size, buf, dump->page_size, d);
	if (rc)
		return vmc_wrap(d, rc, "%s: offset 0x%llx: frame 0x%llx", f->src->name, (unsigned long long)doff,
				(unsigned long long)pfn);
	return VMC_OK;
}

const struct vmc_reader_ops vmc_reader_kdump = {
	.name = "kdump",
	.probe = kdump_probe,
	.open = kdump_open,
	.read_page = kdump_read_page,
	.close = kdump_close,
};
