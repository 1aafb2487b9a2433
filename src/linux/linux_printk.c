/* linux_printk.c: walking the kernel's log buffers (already copied out of memory) and printing
 * them as makedumpfile 1.7.2 does (printk.c dump_record(), makedumpfile.c dump_log_entry()). */
#include "linux_printk.h"

#include <stdio.h>
#include <string.h>

#include "le.h"

/* kernel/printk/printk_ringbuffer.h: the top two bits of state_var are the state, the rest
 * the descriptor id (64-bit unsigned long) */
#define DESC_FLAGS_SHIFT 62
#define DESC_ID_MASK ((1ull << DESC_FLAGS_SHIFT) - 1)
enum { DESC_RESERVED = 0, DESC_COMMITTED = 1, DESC_FINALIZED = 2, DESC_REUSABLE = 3 };

void vmc_lprintk_out_init(struct vmc_lprintk_out *o, vmc_lprintk_write_fn *write, void *arg)
{
	memset(o, 0, sizeof(*o));
	o->write = write;
	o->arg = arg;
}

bool vmc_lprintk_out_flush(struct vmc_lprintk_out *o)
{
	if (o->len && !o->write_failed && !o->write(o->arg, o->buf, o->len))
		o->write_failed = true;
	o->len = 0;
	return !o->write_failed;
}

static void put(struct vmc_lprintk_out *o, const char *s, size_t n)
{
	while (n) {
		size_t k = sizeof(o->buf) - o->len < n ? sizeof(o->buf) - o->len : n;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
		if (o->len == sizeof(o->buf))
			vmc_lprintk_out_flush(o);
	}
}

/* isprint() || isspace() in the C locale, as makedumpfile tests each byte */
static bool shown_raw(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || (c >= '\t' && c <= '\r');
}

/* One byte of text; a newline is followed by `indent` spaces. makedumpfile passes a plain
 * (signed) char to "\\x%02x", so bytes >= 0x80 come out as \xffffffNN there; here as \xNN. */
static void put_byte(struct vmc_lprintk_out *o, uint8_t c, int indent)
{
	static const char spaces[] = "                                                                ";
	char hex[8];

	if (c == '\n') {
		put(o, "\n", 1);
		put(o, spaces, (size_t)indent < sizeof(spaces) - 1 ? (size_t)indent : sizeof(spaces) - 1);
	} else if (shown_raw(c)) {
		put(o, (const char *)&c, 1);
	} else {
		snprintf(hex, sizeof(hex), "\\x%02x", c);
		put(o, hex, 4);
	}
}

void vmc_lprintk_out_record(struct vmc_lprintk_out *o, uint64_t ts_nsec, const uint8_t *text, size_t len)
{
	char pre[64];
	int n = snprintf(pre, sizeof(pre), "[%5llu.%06llu] ", (unsigned long long)(ts_nsec / 1000000000u),
			 (unsigned long long)(ts_nsec % 1000000000u / 1000u));

	put(o, pre, (size_t)n);
	for (size_t i = 0; i < len; i++)
		put_byte(o, text[i], n);
	put(o, "\n", 1);
	o->printed++;
}

/* ---- the lockless ring (5.10+) ---------------------------------------------------------- */

/* Whether the descriptor at id's slot is a finished record of that id; counts why not. */
static bool prb_desc_usable(const struct vmc_lprintk_prb *r, uint64_t id, const uint8_t *desc,
			    struct vmc_lprintk_out *o)
{
	uint64_t sv = vmc_le64(desc + r->off_state);

	if ((sv & DESC_ID_MASK) != id) {
		o->miss++;
		return false;
	}
	switch (sv >> DESC_FLAGS_SHIFT) {
	case DESC_RESERVED:
		o->reserved++;
		return false;
	case DESC_REUSABLE:
		o->reusable++;
		return false;
	default:
		return true;
	}
}

/* The text of record id, or NULL (data-less, or inconsistent: counted). */
static const uint8_t *prb_text(const struct vmc_lprintk_prb *r, uint64_t id, const uint8_t *desc,
			       const uint8_t *info, size_t *len, struct vmc_lprintk_out *o)
{
	uint64_t begin = vmc_le64(desc + r->off_begin) % r->size, next = vmc_le64(desc + r->off_next) % r->size;
	uint16_t text_len = vmc_le16(info + r->off_text_len);

	if (begin == next)
		return NULL; /* data-less record (FAILED_LPOS / EMPTY_LINE_LPOS), skipped as makedumpfile does */
	if (begin > next)
		begin = 0; /* a block that wraps keeps its data at the ring's start */
	/* the block starts with the descriptor id (data_alloc() writes it at both places) */
	if (next - begin < 8 || vmc_le64(r->data + begin) != id) {
		o->torn++;
		return NULL;
	}
	begin += 8;
	if (next - begin < text_len) {
		text_len = (uint16_t)(next - begin);
		o->truncated++;
	}
	*len = text_len;
	return r->data + begin;
}

static void prb_record(const struct vmc_lprintk_prb *r, uint64_t id, struct vmc_lprintk_out *o, uint64_t *matched)
{
	uint64_t slot = id & (r->count - 1);
	const uint8_t *desc = r->descs + slot * r->desc_size, *info = r->infos + slot * r->info_size, *text;
	size_t len = 0;

	if (!prb_desc_usable(r, id, desc, o))
		return;
	(*matched)++;
	if ((text = prb_text(r, id, desc, info, &len, o)))
		vmc_lprintk_out_record(o, vmc_le64(info + r->off_ts), text, len);
}

enum vmc_status vmc_lprintk_prb_print(const struct vmc_lprintk_prb *r, struct vmc_lprintk_out *o,
				      struct vmc_diag *d)
{
	uint64_t head = r->head_id & DESC_ID_MASK, tail = r->tail_id & DESC_ID_MASK;
	uint64_t n = ((head - tail) & DESC_ID_MASK) + 1, matched = 0;

	if (!r->count || (r->count & (r->count - 1)) || !r->size || (r->size & (r->size - 1)))
		return vmc_fail(d, VMC_ERR_CORRUPT, "printk ring: %llu descriptors, %llu data bytes: not powers of two",
				(unsigned long long)r->count, (unsigned long long)r->size);
	if (n > r->count) {
		/* the ring holds count records at most: a tail further back is stale or damaged */
		vmc_warn(d, "printk ring: tail_id %llu is %llu records behind head_id %llu, more than the %llu the ring holds; starting at %llu",
			 (unsigned long long)tail, (unsigned long long)(n - 1), (unsigned long long)head,
			 (unsigned long long)r->count, (unsigned long long)((head - r->count + 1) & DESC_ID_MASK));
		tail = (head - r->count + 1) & DESC_ID_MASK;
		n = r->count;
	}
	for (uint64_t i = 0; i < n && !o->write_failed; i++)
		prb_record(r, (tail + i) & DESC_ID_MASK, o, &matched);
	if (!matched && !o->write_failed)
		return vmc_fail(d, VMC_ERR_UNSUPPORTED,
				"printk ring: none of the %llu descriptors from tail_id %llu to head_id %llu carries its id in state_var's low 62 bits: the ring is damaged or its state encoding is not the one vmcarve knows",
				(unsigned long long)n, (unsigned long long)tail, (unsigned long long)head);
	return VMC_OK;
}

/* ---- the structured log_buf (3.5-5.9) --------------------------------------------------- */

static void logbuf_entry(const struct vmc_lprintk_logbuf *l, uint64_t at, struct vmc_lprintk_out *o)
{
	uint64_t avail = l->len - at - l->hdr_size, text_len = vmc_le16(l->buf + at + l->off_text_len);

	if (text_len > avail) {
		text_len = avail;
		o->truncated++;
	}
	vmc_lprintk_out_record(o, vmc_le64(l->buf + at + l->off_ts), l->buf + at + l->hdr_size, text_len);
}

/* Why the walk must stop at the record at `at` of length reclen, or NULL. Before the wrap the
 * records rise from first to the end marker; after it they rise from 0 and stay below first. */
static const char *logbuf_bad(const struct vmc_lprintk_logbuf *l, uint64_t at, uint64_t reclen, bool wrapped,
			      uint64_t steps)
{
	if (reclen < l->hdr_size)
		return "is shorter than its header";
	if (steps > l->len / l->hdr_size + 1)
		return "closes a cycle";
	if (at + reclen != l->next && at + reclen > l->len - l->hdr_size)
		return "leads outside the buffer";
	if (wrapped && at + reclen != l->next && at + reclen >= l->first)
		return "leads back into the log (a cycle)";
	return NULL;
}

enum vmc_status vmc_lprintk_logbuf_print(const struct vmc_lprintk_logbuf *l, struct vmc_lprintk_out *o,
					 struct vmc_diag *d)
{
	uint64_t ptr = l->first, steps = 0;
	bool wrapped = false;

	if (!l->hdr_size || l->len < l->hdr_size || l->first > l->len - l->hdr_size || l->next > l->len)
		return vmc_fail(d, VMC_ERR_CORRUPT, "log_buf: first index %llu, next index %llu outside its %llu bytes",
				(unsigned long long)l->first, (unsigned long long)l->next, (unsigned long long)l->len);
	while (ptr != l->next && !o->write_failed) {
		uint64_t at = ptr, reclen = vmc_le16(l->buf + ptr + l->off_len);
		const char *why;

		if (!reclen) { /* end-of-buffer marker: the record is at the start */
			if (wrapped) {
				vmc_warn(d, "log_buf: a second end marker at index %llu; the log after it is not printed",
					 (unsigned long long)at);
				o->torn++;
				break;
			}
			wrapped = true;
			at = 0;
			reclen = vmc_le16(l->buf + l->off_len);
		}
		logbuf_entry(l, at, o);
		if ((why = logbuf_bad(l, at, reclen, wrapped, ++steps))) {
			vmc_warn(d, "log_buf: the record at index %llu %s; the log after it is not printed",
				 (unsigned long long)at, why);
			o->torn++;
			break;
		}
		ptr = at + reclen;
	}
	return VMC_OK;
}

/* ---- the plain log_buf (before 3.5) ----------------------------------------------------- */

static void plain_bytes(const uint8_t *p, uint64_t n, struct vmc_lprintk_out *o)
{
	for (uint64_t i = 0; i < n && !o->write_failed; i++)
		put_byte(o, p[i], 0);
}

void vmc_lprintk_plain_print(const uint8_t *buf, uint64_t len, uint64_t end, struct vmc_lprintk_out *o)
{
	uint64_t idx;

	if (!len)
		return;
	if (end < len) {
		plain_bytes(buf, end, o);
		return;
	}
	idx = end % len; /* the kernel's log_buf_len is a power of two: & (len - 1) */
	plain_bytes(buf + idx, len - idx, o);
	plain_bytes(buf, idx, o);
}
