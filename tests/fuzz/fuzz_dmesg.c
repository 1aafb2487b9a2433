/* fuzz_dmesg.c: the kernel-log parsers (src/linux/linux_printk*.c). An input that starts with
 * ELF magic is opened as a dump and its log printed through VMCOREINFO (the seeds are
 * testdata/gen/mkdmesg's vmcores); any other input is a raw lockless ring (a 24-byte header:
 * count bits, size bits, head and tail id; then descriptors, infos and text) and, the same
 * bytes, a structured and a plain log_buf. Invariants: the output holds no byte a terminal
 * would act on beyond newline/tab/space-like ones, and its size is bounded by the input's.
 * The raw bytes are also a VMM command line for the -name parser (printable name, in bounds).
 * The printed log also goes through the crash-reason reader (linux_crash.c): the lines it
 * keeps are bounded and printable (tab aside), the raw input fed to it as well. */
#include "fuzz_common.h"
#include "le.h"
#include "linux_crash.h"
#include "linux_printk.h"
#include "qemu_cmdline.h"

struct sink {
	uint64_t bytes, limit;
	struct vmc_lcrash *cr;
};

static bool sink_write(void *arg, const char *buf, size_t len)
{
	struct sink *s = arg;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)buf[i];
		FZ_ASSERT((c >= 0x20 && c < 0x7f) || (c >= '\t' && c <= '\r'));
	}
	s->bytes += len;
	FZ_ASSERT(s->bytes <= s->limit);
	return vmc_lcrash_write(s->cr, buf, len);
}

static void check_line(const char *l)
{
	size_t n = strnlen(l, VMC_LCRASH_LINE);

	FZ_ASSERT(n < VMC_LCRASH_LINE);
	for (size_t i = 0; i < n; i++)
		FZ_ASSERT(((uint8_t)l[i] >= 0x20 && (uint8_t)l[i] < 0x7f) || l[i] == '\t');
}

static void check_crash(struct vmc_lcrash *c)
{
	vmc_lcrash_finish(c);
	FZ_ASSERT(c->nlast <= VMC_LCRASH_LINES && c->nlast <= c->lines);
	check_line(c->panic);
	check_line(c->oops);
	for (unsigned i = 0; i < c->nlast; i++)
		check_line(vmc_lcrash_last(c, i));
	FZ_ASSERT(!*vmc_lcrash_last(c, c->nlast));
}

static void raw_ring(const uint8_t *data, size_t size, struct vmc_lprintk_out *o)
{
	struct vmc_lprintk_prb r = { .desc_size = 24, .info_size = 88, .off_state = 0, .off_begin = 8, .off_next = 16,
				     .off_ts = 8, .off_text_len = 16 };
	size_t need;
	uint8_t *buf;
	struct vmc_diag d;

	if (size < 24)
		return;
	r.count = 1ull << (data[0] % 8);
	r.size = 1ull << (data[1] % 13);
	r.head_id = vmc_le64(data + 8);
	r.tail_id = vmc_le64(data + 16);
	need = (size_t)(r.count * (r.desc_size + r.info_size) + r.size);
	buf = calloc(1, need);
	FZ_ASSERT(buf);
	memcpy(buf, data + 24, size - 24 < need ? size - 24 : need);
	r.descs = buf;
	r.infos = buf + r.count * r.desc_size;
	r.data = r.infos + r.count * r.info_size;
	vmc_diag_init(&d);
	(void)vmc_lprintk_prb_print(&r, o, &d);
	free(buf);
}

static void raw_logbuf(const uint8_t *data, size_t size, struct vmc_lprintk_out *o)
{
	struct vmc_lprintk_logbuf l = { .hdr_size = 16, .off_ts = 0, .off_len = 8, .off_text_len = 10 };
	struct vmc_diag d;

	if (size < 8)
		return;
	l.first = vmc_le16(data) % 512;
	l.next = vmc_le16(data + 2) % 512;
	l.buf = data + 8;
	l.len = size - 8;
	vmc_diag_init(&d);
	(void)vmc_lprintk_logbuf_print(&l, o, &d);
	vmc_lprintk_plain_print(data + 8, size - 8, vmc_le32(data + 4), o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* each input byte can become at most 4 output bytes, once per record and walk; a ring of
	 * 2^7 records over 2^12 bytes, plus prefixes and indentation */
	struct sink s = { 0, 64ull * size + (1u << 24), malloc(sizeof(struct vmc_lcrash)) };
	struct vmc_lprintk_out *o = malloc(sizeof(*o));
	struct vmc_diag d;

	FZ_ASSERT(o && s.cr);
	vmc_lcrash_init(s.cr);
	vmc_lprintk_out_init(o, sink_write, &s);
	if (size >= 4 && !memcmp(data, "\177ELF", 4)) {
		struct vmc_dump *dump = fz_open(&data, &size, 1, &d);
		if (dump) {
			vmc_diag_init(&d);
			(void)vmc_lprintk_dump(dump, o, &d);
			vmc_dump_close(dump);
		}
	} else {
		char name[64];
		raw_ring(data, size, o);
		raw_logbuf(data, size, o);
		if (vmc_qemu_cmdline_name((const char *)data, size, name, sizeof(name)))
			for (size_t i = 0; name[i]; i++)
				FZ_ASSERT(i < sizeof(name) - 1 && name[i] >= 0x20 && name[i] < 0x7f);
	}
	vmc_lprintk_out_flush(o);
	check_crash(s.cr);
	/* raw bytes straight in: kept lines are still bounded and printable */
	vmc_lcrash_init(s.cr);
	vmc_lcrash_write(s.cr, (const char *)data, size);
	check_crash(s.cr);
	free(s.cr);
	free(o);
	return 0;
}
