/* fuzz_convert.c: open the input (small dumps only), convert it with vmc_convert (partial,
 * so damaged inputs go through too) into a memory sink as kdump and as ELF, reopen both
 * outputs and check that every frame the input could read comes back with the same bytes,
 * and every frame it could not is missing (kdump) or zero-filled (ELF).
 * The ELF output is also read back through an ELF view of the input (vmc_elf_view): the same
 * size and bytes, but for pages the input cannot read, which the view refuses instead of
 * zero-filling (and e_flags, which the writer sets once such a page turned up).
 * The last input byte picks the codec, dedup, flattened output and read-ahead threads. */
#include "convert.h"
#include "fuzz_common.h"
#include "registry.h"
#include "flat.h"
#include "vmcarve.h"

enum { MAX_INPUT = 256 << 10, MAX_FRAMES = 1 << 22, MAX_STORED = 512 };

/* what the input gave for each stored frame: 1 = read OK, 2 = unreadable */
struct truth {
	uint64_t pfn;
	int state;
	uint8_t *data;
};

static enum vmc_status convert(struct vmc_dump *dump, const struct vmc_writer_ops *w, uint8_t sel, uint8_t **out,
			       size_t *outlen, struct vmc_diag *d)
{
	struct vmc_bytesink *mem, *sink;
	struct vmc_convert_opts o = { .writer = w, .partial = true };
	struct vmc_writer_stats st;
	enum vmc_status rc;

	o.wopts.codec = (enum vmc_codec_id)(sel % VMC_CODEC_COUNT);
	o.wopts.dedup = sel & 0x10;
	o.wopts.threads = (sel & 0xc0) == 0xc0 ? 2 : 1; /* 2: kdump input is read ahead on a worker pool */
	FZ_ASSERT(vmc_bytesink_new_mem(&mem, d) == VMC_OK);
	sink = mem;
	if (sel & 0x20)
		FZ_ASSERT(vmc_bytesink_new_flat(mem, &sink, d) == VMC_OK);
	rc = vmc_convert(dump, sink, &o, &st, d);
	if (rc == VMC_OK) {
		const uint8_t *p = vmc_bytesink_mem_data(mem, outlen);
		*out = malloc(*outlen ? *outlen : 1);
		FZ_ASSERT(*out);
		memcpy(*out, p, *outlen);
	}
	vmc_bytesink_free(sink);
	return rc;
}

static void check_output(const struct vmc_dump *in, const struct truth *t, size_t nt, const uint8_t *out,
			 size_t outlen, bool is_elf)
{
	struct vmc_diag d;
	struct vmc_dump *back = fz_open(&out, &outlen, 1, &d);
	uint8_t *buf, *scratch;

	if (!back) {
		fprintf(stderr, "output of %s conversion does not reopen: %s\n", is_elf ? "ELF" : "kdump", d.msg);
		abort();
	}
	fz_check_dump(back);
	if (!is_elf) {
		FZ_ASSERT(back->page_size == in->page_size);
		FZ_ASSERT(back->max_pfn == in->max_pfn);
		FZ_ASSERT(back->notes_len == in->notes_len);
		FZ_ASSERT(!in->notes_len || memcmp(back->notes, in->notes, in->notes_len) == 0);
	} else if (back->page_size != in->page_size) {
		/* an ELF vmcore's page size comes from VMCOREINFO; nothing to compare frame by frame */
		vmc_dump_close(back);
		return;
	}
	buf = malloc(back->page_size);
	scratch = malloc(back->scratch_size + 1);
	FZ_ASSERT(buf && scratch);
	for (size_t i = 0; i < nt; i++) {
		enum vmc_status rc;
		vmc_diag_init(&d);
		rc = vmc_dump_read_page(back, t[i].pfn, buf, scratch, &d);
		if (t[i].state == 1) {
			if (rc != VMC_OK || memcmp(buf, t[i].data, in->page_size)) {
				fprintf(stderr, "%s output: frame 0x%llx: %s\n", is_elf ? "ELF" : "kdump",
					(unsigned long long)t[i].pfn, rc ? d.msg : "contents differ");
				abort();
			}
		} else if (is_elf) {
			FZ_ASSERT(back->incomplete_flag);
			FZ_ASSERT(rc == VMC_OK);
		} else {
			FZ_ASSERT(rc == VMC_ERR_MISSING);
		}
	}
	/* frames the input lacks stay absent */
	if (vmc_bitmap_live(&in->missing))
		for (uint64_t p = vmc_bitmap_next_set(&in->missing, 0); p < in->max_pfn; p = vmc_bitmap_next_set(&in->missing, p + 1))
			FZ_ASSERT(!vmc_bitmap_test(&back->stored, p));
	free(buf);
	free(scratch);
	vmc_dump_close(back);
}

/* the ELF view of the input against the ELF the writer made from it, in odd-sized reads */
static void check_view(struct vmc_dump *dump, const uint8_t *out, size_t outlen, bool unreadable)
{
	struct vmc_diag d;
	struct vmc_elf_view *v;
	uint8_t *buf = malloc(3001);

	vmc_diag_init(&d);
	FZ_ASSERT(buf && vmc_elf_view_open(dump, &v, &d) == VMC_OK);
	FZ_ASSERT(vmc_elf_view_size(v) == outlen);
	for (size_t off = 0; off < outlen; off += 3001) {
		size_t n = outlen - off < 3001 ? outlen - off : 3001;
		enum vmc_status rc = vmc_elf_view_read(v, off, buf, n, &d);
		if (rc) {
			FZ_ASSERT(unreadable && fz_status_known(rc) && d.msg[0]);
			vmc_diag_init(&d);
			continue;
		}
		for (size_t i = 0; i < n; i++)
			FZ_ASSERT(buf[i] == out[off + i] || (unreadable && off + i >= offsetof(Elf64_Ehdr, e_flags) &&
							     off + i < offsetof(Elf64_Ehdr, e_flags) + 4));
	}
	FZ_ASSERT(vmc_elf_view_read(v, outlen, buf, 1, &d) == VMC_ERR_ARGS);
	vmc_elf_view_free(v);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmc_diag d;
	struct vmc_dump *dump;
	struct truth *t = NULL;
	size_t nt = 0;
	uint8_t sel, *buf, *scratch, *out;
	size_t outlen;
	enum vmc_status rc;

	if (size < 1 || size > MAX_INPUT)
		return 0;
	sel = data[size - 1];
	dump = fz_open(&data, &size, 1, &d);
	if (!dump)
		return 0;
	fz_check_dump(dump);
	/* --partial writes missing frames too: they count against the bound */
	if (dump->max_pfn > MAX_FRAMES || vmc_bitmap_count(&dump->stored) + dump->nmissing > MAX_STORED) {
		vmc_dump_close(dump);
		return 0;
	}
	/* the ground truth, as the input reads */
	t = calloc(MAX_STORED + 1, sizeof(*t));
	buf = malloc(dump->page_size);
	scratch = malloc(dump->scratch_size + 1);
	FZ_ASSERT(t && buf && scratch);
	for (uint64_t p = vmc_bitmap_next_set(&dump->stored, 0); p < dump->max_pfn; p = vmc_bitmap_next_set(&dump->stored, p + 1)) {
		vmc_diag_init(&d);
		rc = vmc_dump_read_page(dump, p, buf, scratch, &d);
		t[nt].pfn = p;
		t[nt].state = rc == VMC_OK ? 1 : 2;
		if (rc == VMC_OK) {
			t[nt].data = malloc(dump->page_size);
			FZ_ASSERT(t[nt].data);
			memcpy(t[nt].data, buf, dump->page_size);
		}
		nt++;
	}
	free(buf);
	free(scratch);

	for (int pass = 0; pass < 2; pass++) {
		const struct vmc_writer_ops *w = pass ? &vmc_writer_elf : &vmc_writer_kdump;
		vmc_diag_init(&d);
		rc = convert(dump, w, sel, &out, &outlen, &d);
		if (rc) {
			/* reads that fail with errors --partial does not absorb stop the conversion */
			FZ_ASSERT(fz_status_known(rc) && d.msg[0]);
			FZ_ASSERT(rc != VMC_ERR_ARGS && rc != VMC_ERR_MISSING);
			continue;
		}
		fz_check_uts(dump);
		check_output(dump, t, nt, out, outlen, pass == 1);
		if (pass == 1 && !(sel & 0x20)) { /* not flattened */
			bool unreadable = false;
			for (size_t i = 0; i < nt; i++)
				unreadable |= t[i].state == 2;
			check_view(dump, out, outlen, unreadable);
		}
		free(out);
	}
	for (size_t i = 0; i < nt; i++)
		free(t[i].data);
	free(t);
	vmc_dump_close(dump);
	return 0;
}
