/* gen_seeds.c: writes the seed corpus of every fuzz target into DIR/<target>/ (small,
 * valid inputs: tiny ELF vmcores built by tests/unit/testdump.c, their kdump, flattened
 * and split conversions made with vmc_convert, note blobs, compressed pages, flattened
 * record streams). Regenerate with:
 *   cmake --build build --target fuzz_gen_seeds && build/tests/fuzz/fuzz_gen_seeds tests/fuzz/corpus
 * Crash reproducers found by fuzzing sit next to the seeds as crash-* and are kept. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codec.h"
#include "convert.h"
#include "kdump_layout.h"
#include "registry.h"
#include "testdump.h"
#include "flat.h"

#define P4K 4096ull

static const char *outdir;
static size_t total;

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "gen_seeds: %s\n", what);
	exit(1);
}

static void put(const char *target, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0777) && errno != EEXIST)
		die(path);
	snprintf(path, sizeof(path), "%s/%s/seed-%s", outdir, target, name);
	if (!(f = fopen(path, "wb")) || fwrite(data, 1, len, f) != len || fclose(f))
		die(path);
	if (len >= 64 << 10)
		fprintf(stderr, "gen_seeds: warning: %s is %zu bytes\n", path, len);
	total += len;
}

struct buf {
	uint8_t *p;
	size_t len;
};

static struct vmc_dump *open1(struct buf b)
{
	struct vmc_bytesrc *src;
	struct vmc_dump *dump;
	struct vmc_diag d;

	vmc_diag_init(&d);
	if (vmc_bytesrc_new_mem("seed", b.p, b.len, &src, &d) || vmc_dump_open_srcs(&src, 1, &dump, &d))
		die(d.msg);
	return dump;
}

static struct buf convert(struct buf in, const struct vmc_writer_ops *w, enum vmc_codec_id codec, bool partial, bool flat)
{
	struct vmc_dump *dump = open1(in);
	struct vmc_bytesink *mem, *sink;
	struct vmc_convert_opts o = { .writer = w, .wopts = { .codec = codec, .threads = 1, .dedup = true },
				      .partial = partial };
	struct vmc_diag d;
	struct buf out;
	const uint8_t *p;

	vmc_diag_init(&d);
	if (vmc_bytesink_new_mem(&mem, &d))
		die("sink");
	sink = mem;
	if (flat && vmc_bytesink_new_flat(mem, &sink, &d))
		die("flat sink");
	if (vmc_convert(dump, sink, &o, NULL, &d))
		die(d.msg);
	p = vmc_bytesink_mem_data(mem, &out.len);
	out.p = malloc(out.len);
	memcpy(out.p, p, out.len);
	vmc_bytesink_free(sink);
	vmc_dump_close(dump);
	return out;
}

static const char vmci[] = "OSRELEASE=5.10.0-fuzz\nPAGESIZE=4096\nNUMBER(phys_base)=16777216\nKERNELOFFSET=0\n";

static struct buf elf(const struct td_spec *s)
{
	struct buf b;
	b.p = td_build_elf(s, &b.len);
	return b;
}

static void seeds_dumps(void)
{
	static const struct td_seg small[] = { { 0, 2 * P4K, 2 * P4K }, { 0x10000, 3 * P4K, 2 * P4K } };
	static const struct td_seg tiny[] = { { 0x3000, P4K, P4K }, { 0x8000, 2 * P4K, P4K } };
	static const struct td_seg mid[] = { { 0x800, 0x1800, 0x1000 } };
	static const struct td_seg big8k[] = { { 0, 8192, 8192 }, { 0x10000, 2 * 8192, 8192 } };
	struct td_spec s_small = { .segs = small, .nsegs = 2, .vmcoreinfo = vmci, .nprstatus = 1, .seed = 21 };
	struct td_spec s_tiny = { .segs = tiny, .nsegs = 2, .vmcoreinfo = vmci, .seed = 22 };
	struct td_spec s_32 = { .elfclass = 32, .machine = EM_386, .segs = tiny, .nsegs = 2, .vmcoreinfo = vmci, .seed = 23 };
	struct td_spec s_xnum = { .segs = tiny, .nsegs = 2, .seed = 24, .pnxnum = true };
	struct td_spec s_kt = { .segs = tiny, .nsegs = 2, .vmcoreinfo = "OSRELEASE=6.1\n", .seed = 25, .ktext = true };
	struct td_spec s_mid = { .segs = mid, .nsegs = 1, .nprstatus = 2, .seed = 26 };
	struct td_spec s_8k = { .segs = big8k, .nsegs = 2, .vmcoreinfo = "PAGESIZE=8192\n", .seed = 27 };
	struct td_spec s_empty = { .vmcoreinfo = vmci, .nprstatus = 1, .seed = 28 };
	struct buf e_small = elf(&s_small), e_tiny = elf(&s_tiny), e, k;
	static const char *codec_names[] = { "none", "zlib", "lzo", "snappy", "zstd" };
	char name[64];

	put("fuzz_open", "elf64-small", e_small.p, e_small.len);
	put("fuzz_open", "elf64-tiny", e_tiny.p, e_tiny.len);
	put("fuzz_convert", "elf64-tiny", e_tiny.p, e_tiny.len);
	e = elf(&s_32), put("fuzz_open", "elf32", e.p, e.len), free(e.p);
	e = elf(&s_xnum), put("fuzz_open", "elf64-pnxnum", e.p, e.len), free(e.p);
	e = elf(&s_kt), put("fuzz_open", "elf64-ktext", e.p, e.len), put("fuzz_convert", "elf64-ktext", e.p, e.len), free(e.p);
	e = elf(&s_mid), put("fuzz_open", "elf64-unaligned", e.p, e.len), put("fuzz_convert", "elf64-unaligned", e.p, e.len), free(e.p);
	e = elf(&s_8k), put("fuzz_open", "elf64-8k", e.p, e.len), free(e.p);
	e = elf(&s_empty), put("fuzz_open", "elf64-empty", e.p, e.len), put("fuzz_convert", "elf64-empty", e.p, e.len), free(e.p);
	{
		/* overlapping PT_LOADs (elf_read.c make_disjoint): file data inside another
		 * segment's zero-fill tail, a repeat at the same address, different bytes for a frame */
		static const struct td_seg oseg[] = { { 0, 4 * P4K, 2 * P4K }, { 2 * P4K, 2 * P4K, 2 * P4K },
						      { 0, 2 * P4K, 2 * P4K }, { P4K, P4K, P4K } };
		struct td_spec s_ov = { .segs = oseg, .nsegs = 4, .vmcoreinfo = vmci, .seed = 31 };
		e = elf(&s_ov);
		e.p[e.len - 1] ^= 0xff; /* the last segment's bytes differ from the first's */
		put("fuzz_open", "elf64-overlap", e.p, e.len), put("fuzz_convert", "elf64-overlap", e.p, e.len), free(e.p);
	}
	{
		/* VMCOREINFO pointing at a utsname and _stext (src/linux_info.c) */
		static const struct td_seg lseg[] = { { 0x1000000, 2 * P4K, 2 * P4K } };
		static const char uts[6][65] = { "Linux", "fuzzhost", "6.1.0", "#1 SMP", "x86_64", "(none)" };
		static const struct td_patch lp[] = { { 0x1001004, uts, sizeof(uts) } };
		struct td_spec s_linux = { .segs = lseg, .nsegs = 1, .seed = 30, .patches = lp, .npatches = 1,
					   .vmcoreinfo = "OSRELEASE=6.1.0\nNUMBER(phys_base)=0\nSYMBOL(init_uts_ns)=ffffffff81001000\n"
							 "OFFSET(uts_namespace.name)=4\nSYMBOL(_stext)=ffffffff81000000\n" };
		e = elf(&s_linux);
		put("fuzz_open", "elf64-linux-info", e.p, e.len);
		put("fuzz_convert", "elf64-linux-info", e.p, e.len);
		k = convert(e, &vmc_writer_kdump, VMC_CODEC_ZSTD, false, false);
		put("fuzz_convert", "kdump-linux-info", k.p, k.len);
		free(k.p);
		free(e.p);
	}
	e = e_small, e.len -= P4K + 100, put("fuzz_open", "elf64-truncated", e.p, e.len);
	put("fuzz_convert", "elf64-truncated", e.p, e.len);

	for (int c = 0; c < VMC_CODEC_COUNT; c++) {
		k = convert(e_tiny, &vmc_writer_kdump, c, false, false);
		snprintf(name, sizeof(name), "kdump-%s", codec_names[c]);
		put("fuzz_open", name, k.p, k.len);
		if (c == VMC_CODEC_ZSTD || c == VMC_CODEC_NONE)
			put("fuzz_convert", name, k.p, k.len);
		if (c == VMC_CODEC_LZO) {
			/* older header versions and the diskdump signature */
			for (uint32_t v = 1; v <= 5; v += 2) {
				kd_put32(k.p + KDH_VERSION, v);
				snprintf(name, sizeof(name), "kdump-v%u", v);
				put("fuzz_open", name, k.p, k.len);
			}
			kd_put32(k.p + KDH_VERSION, 6);
			memcpy(k.p, DISKDUMP_SIGNATURE, 8);
			put("fuzz_open", "diskdump", k.p, k.len);
		}
		free(k.p);
	}
	{
		struct buf cut = e_small;
		cut.len -= P4K + 100;
		k = convert(cut, &vmc_writer_kdump, VMC_CODEC_SNAPPY, true, false);
		put("fuzz_open", "kdump-incomplete", k.p, k.len);
		free(k.p);
	}
	k = convert(e_tiny, &vmc_writer_kdump, VMC_CODEC_ZLIB, false, true);
	put("fuzz_open", "flat-kdump", k.p, k.len);
	put("fuzz_convert", "flat-kdump", k.p, k.len);
	free(k.p);
	k = convert(e_tiny, &vmc_writer_elf, VMC_CODEC_NONE, false, true);
	put("fuzz_open", "flat-elf", k.p, k.len);
	free(k.p);
	e = elf(&s_8k);
	k = convert(e, &vmc_writer_kdump, VMC_CODEC_LZO, false, false);
	put("fuzz_open", "kdump-8k", k.p, k.len);
	free(k.p);
	free(e.p);

	/* split sets: [n-2][le32 lengths of all but the last part][parts] */
	{
		static const struct td_seg sseg[] = { { 0, 2 * P4K, 2 * P4K }, { 0x20000, P4K, P4K } };
		struct td_spec ss = { .segs = sseg, .nsegs = 2, .vmcoreinfo = vmci, .seed = 29 };
		static const uint64_t two[] = { 0, 1 }, three[] = { 0, 1, 0x10 };
		struct buf se = elf(&ss);
		struct { const uint64_t *starts; unsigned n; const char *name; } sets[] = {
			{ two, 2, "split2" }, { three, 3, "split3" }, { two, 2, "split2-timestamps" },
		};
		k = convert(se, &vmc_writer_kdump, VMC_CODEC_LZO, false, false);
		for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
			struct buf parts[3];
			size_t len = 1 + 4 * (sets[i].n - 1), pos;
			uint8_t *out;
			for (unsigned p = 0; p < sets[i].n; p++) {
				parts[p].p = td_kdump_split_part(k.p, k.len, sets[i].starts, sets[i].n, p, &parts[p].len);
				len += parts[p].len;
				if (i == 2 && p == 1) {
					/* written by another process: timestamp, status, block counts */
					kd_put64(parts[p].p + KDH_TIMESTAMP, 1700000999);
					kd_put32(parts[p].p + KDH_STATUS, kd_get32(parts[p].p + KDH_STATUS) | 8);
					kd_put32(parts[p].p + 452, 12345);
				}
			}
			out = malloc(len);
			out[0] = (uint8_t)(sets[i].n - 2);
			pos = 1 + 4 * (sets[i].n - 1);
			for (unsigned p = 0; p < sets[i].n; p++) {
				if (p + 1 < sets[i].n)
					kd_put32(out + 1 + 4 * p, (uint32_t)parts[p].len);
				memcpy(out + pos, parts[p].p, parts[p].len);
				pos += parts[p].len;
				free(parts[p].p);
			}
			put("fuzz_split", sets[i].name, out, len);
			free(out);
		}
		free(k.p);
		free(se.p);
	}
	free(e_small.p);
	free(e_tiny.p);
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static size_t rec(uint8_t *out, size_t pos, uint64_t off, uint64_t len, uint8_t fill)
{
	be64(out + pos, off);
	be64(out + pos + 8, len);
	if (len != UINT64_MAX)
		memset(out + pos + 16, fill, len);
	return pos + 16 + (len == UINT64_MAX ? 0 : len);
}

static void seeds_flat(void)
{
	uint8_t b[2048];
	size_t n;

	n = rec(b, 0, 0, 64, 'a'), n = rec(b, n, 64, 64, 'b'), n = rec(b, n, UINT64_MAX, UINT64_MAX, 0);
	put("fuzz_flat", "in-order", b, n);
	n = rec(b, 0, 200, 50, 'c'), n = rec(b, n, 0, 100, 'a'), n = rec(b, n, 100, 100, 'b'), n = rec(b, n, UINT64_MAX, UINT64_MAX, 0);
	put("fuzz_flat", "out-of-order", b, n);
	n = rec(b, 0, 0, 300, 'a'), n = rec(b, n, 50, 100, 'b'), n = rec(b, n, 120, 200, 'c'), n = rec(b, n, 0, 10, 'd');
	n = rec(b, n, 60, 0, 0), n = rec(b, n, UINT64_MAX, UINT64_MAX, 0);
	put("fuzz_flat", "overlaps", b, n);
	n = rec(b, 0, 1000, 20, 'a'), n = rec(b, n, 5000, 20, 'b'), n = rec(b, n, UINT64_MAX, UINT64_MAX, 0);
	put("fuzz_flat", "gaps", b, n);
	n = rec(b, 0, 0, 100, 'a'), n = rec(b, n, 100, 100, 'b');
	put("fuzz_flat", "truncated", b, n - 40);
	n = rec(b, 0, 1ull << 50, 16, 'z'), n = rec(b, n, UINT64_MAX, UINT64_MAX, 0);
	put("fuzz_flat", "far", b, n);
}

static void seeds_notes(void)
{
	uint8_t *b = NULL, desc[336] = { 0 };
	size_t len = 0;

	td_add_note(&b, &len, "CORE", NT_PRSTATUS, desc, sizeof(desc));
	td_add_note(&b, &len, "VMCOREINFO", 0, vmci, strlen(vmci));
	td_add_note(&b, &len, "Xen", 0x1000001, desc, 40);
	put("fuzz_notes", "blob", b, len);
	b = realloc(b, len + 24);
	memset(b + len, 0, 24);
	put("fuzz_notes", "blob-padded", b, len + 24);
	put("fuzz_notes", "vmcoreinfo-text", vmci, strlen(vmci));
	free(b);
	b = NULL, len = 0;
	td_add_note(&b, &len, "QEMU", 0, desc, 100);
	b[4] = 0xff; /* descsz runs off the end */
	put("fuzz_notes", "bad-descsz", b, len);
	free(b);
}

static void seeds_codec(void)
{
	uint8_t page[16384], out[20000];
	static const int order[] = { VMC_CODEC_ZLIB, VMC_CODEC_LZO, VMC_CODEC_SNAPPY, VMC_CODEC_ZSTD };
	char name[64];

	for (size_t i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i % 251 < 20 ? i : i / 64);
	for (int big = 0; big < 2; big++)
		for (int k = 0; k < 4; k++) {
			size_t ps = big ? 16384 : 4096, n;
			struct vmc_codec_ctx *c = vmc_codec_ctx_new(order[k]);
			out[0] = (uint8_t)(k | (order[k] << 3) | (big ? 0x80 : 0));
			n = vmc_codec_compress(c, page, ps, out + 1, sizeof(out) - 1);
			if (!n)
				die("seed page does not compress");
			snprintf(name, sizeof(name), "%s-%zuk", vmc_codec_get(order[k])->name, ps / 1024);
			put("fuzz_codec", name, out, n + 1);
			vmc_codec_ctx_free(c);
		}
	out[0] = 0x40 | (VMC_CODEC_ZSTD << 3);
	memcpy(out + 1, "sparse page", 11);
	put("fuzz_codec", "roundtrip-sparse", out, 12);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0777);
	seeds_dumps();
	seeds_flat();
	seeds_notes();
	seeds_codec();
	fprintf(stderr, "gen_seeds: %zu bytes written\n", total);
	return 0;
}
