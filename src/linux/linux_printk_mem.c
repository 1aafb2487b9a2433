/* linux_printk_mem.c: finding and copying the kernel's log buffers out of a dump, from the
 * VMCOREINFO keys alone (makedumpfile 1.7.2 dump_dmesg() / dump_lockless_dmesg()). */
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "linux_printk.h"
#include "notes.h"

struct pk {
	struct vmc_lkmem km;
	struct vmc_lprintk_out *o;
	struct vmc_diag *d;
	const char *name;
	const char *missing; /* the first key looked for and not found */
};

static bool key(struct pk *p, const char *k, int base, uint64_t *v)
{
	if (vmcoreinfo_get_u64(p->km.vmcoreinfo, p->km.vmcoreinfo_len, k, base, v))
		return true;
	if (!p->missing)
		p->missing = k;
	return false;
}

/* SIZE()/OFFSET() values: small, or the note is not to be trusted */
static bool num(struct pk *p, const char *k, uint32_t *v)
{
	uint64_t x;

	if (!key(p, k, 10, &x))
		return false;
	if (x > VMC_LPRINTK_MAX_STRUCT) {
		if (!p->missing)
			p->missing = k;
		return false;
	}
	*v = (uint32_t)x;
	return true;
}

/* Read len bytes at va page by page; what cannot be read stays zero and is counted, so one
 * missing page costs only the records in it. */
static void read_tolerant(struct pk *p, uint64_t va, uint8_t *buf, size_t len)
{
	while (len) {
		size_t n = 4096 - (va & 4095);
		struct vmc_diag tmp;

		if (n > len)
			n = len;
		vmc_diag_init(&tmp);
		if (vmc_lkmem_read(&p->km, va, buf, n, &tmp)) {
			memset(buf, 0, n);
			p->o->unreadable += n;
		}
		va += n;
		buf += n;
		len -= n;
	}
}

static enum vmc_status read_ptr(struct pk *p, uint64_t va, const char *what, uint64_t *val)
{
	enum vmc_status rc = vmc_lkmem_read_u64(&p->km, va, val, p->d);
	return rc ? vmc_wrap(p->d, rc, "%s: %s", p->name, what) : VMC_OK;
}

/* ---- the lockless ring ------------------------------------------------------------------ */

struct prb_keys {
	uint32_t rb_size, desc_ring, text_ring, count_bits, descs, infos, head_id, tail_id;
	uint32_t state_var, text_blk_lpos, lpos_begin, lpos_next, size_bits, data, counter;
};

static enum vmc_status prb_layout(struct pk *p, struct prb_keys *k, struct vmc_lprintk_prb *r)
{
	bool ok = num(p, "SIZE(printk_ringbuffer)", &k->rb_size) &
		  num(p, "OFFSET(printk_ringbuffer.desc_ring)", &k->desc_ring) &
		  num(p, "OFFSET(printk_ringbuffer.text_data_ring)", &k->text_ring) &
		  num(p, "OFFSET(prb_desc_ring.count_bits)", &k->count_bits) &
		  num(p, "OFFSET(prb_desc_ring.descs)", &k->descs) & num(p, "OFFSET(prb_desc_ring.infos)", &k->infos) &
		  num(p, "OFFSET(prb_desc_ring.head_id)", &k->head_id) &
		  num(p, "OFFSET(prb_desc_ring.tail_id)", &k->tail_id) & num(p, "SIZE(prb_desc)", &r->desc_size) &
		  num(p, "OFFSET(prb_desc.state_var)", &k->state_var) &
		  num(p, "OFFSET(prb_desc.text_blk_lpos)", &k->text_blk_lpos) &
		  num(p, "OFFSET(prb_data_blk_lpos.begin)", &k->lpos_begin) &
		  num(p, "OFFSET(prb_data_blk_lpos.next)", &k->lpos_next) &
		  num(p, "OFFSET(prb_data_ring.size_bits)", &k->size_bits) &
		  num(p, "OFFSET(prb_data_ring.data)", &k->data) & num(p, "SIZE(printk_info)", &r->info_size) &
		  num(p, "OFFSET(printk_info.ts_nsec)", &r->off_ts) &
		  num(p, "OFFSET(printk_info.text_len)", &r->off_text_len);

	if (!ok)
		return vmc_fail(p->d, VMC_ERR_NOTFOUND, "%s: VMCOREINFO has SYMBOL(prb) but no usable %s", p->name,
				p->missing);
	k->counter = 0;
	p->missing = NULL;
	num(p, "OFFSET(atomic_long_t.counter)", &k->counter);
	r->off_state = k->state_var + k->counter;
	r->off_begin = k->text_blk_lpos + k->lpos_begin;
	r->off_next = k->text_blk_lpos + k->lpos_next;
	if (r->off_state + 8 > r->desc_size || r->off_begin + 8 > r->desc_size || r->off_next + 8 > r->desc_size ||
	    r->off_ts + 8 > r->info_size || r->off_text_len + 2 > r->info_size ||
	    k->desc_ring + k->tail_id + k->counter + 8 > k->rb_size || k->desc_ring + k->head_id + k->counter + 8 > k->rb_size ||
	    k->desc_ring + k->descs + 8 > k->rb_size || k->desc_ring + k->infos + 8 > k->rb_size ||
	    k->desc_ring + k->count_bits + 4 > k->rb_size || k->text_ring + k->size_bits + 4 > k->rb_size ||
	    k->text_ring + k->data + 8 > k->rb_size)
		return vmc_fail(p->d, VMC_ERR_CORRUPT, "%s: VMCOREINFO: the printk ring's offsets lie outside its sizes",
				p->name);
	return VMC_OK;
}

/* The ring's header: counts, addresses, head and tail. */
static enum vmc_status prb_header(struct pk *p, const struct prb_keys *k, struct vmc_lprintk_prb *r,
				  uint64_t addr[3])
{
	uint8_t rb[VMC_LPRINTK_MAX_STRUCT];
	uint64_t prb, sym;
	uint32_t cbits, sbits;
	enum vmc_status rc;

	key(p, "SYMBOL(prb)", 16, &sym);
	if ((rc = read_ptr(p, sym, "the printk ring pointer (prb)", &prb)))
		return rc;
	if ((rc = vmc_lkmem_read(&p->km, prb, rb, k->rb_size, p->d)))
		return vmc_wrap(p->d, rc, "%s: the printk ring", p->name);
	cbits = vmc_le32(rb + k->desc_ring + k->count_bits);
	sbits = vmc_le32(rb + k->text_ring + k->size_bits);
	if (cbits > 22 || sbits < 4 || sbits > 28)
		return vmc_fail(p->d, VMC_ERR_LIMIT, "%s: printk ring at 0x%llx: 2^%u descriptors, 2^%u data bytes (at most 2^22 and 2^28)",
				p->name, (unsigned long long)prb, cbits, sbits);
	r->count = 1ull << cbits;
	r->size = 1ull << sbits;
	addr[0] = vmc_le64(rb + k->desc_ring + k->descs);
	addr[1] = vmc_le64(rb + k->desc_ring + k->infos);
	addr[2] = vmc_le64(rb + k->text_ring + k->data);
	r->head_id = vmc_le64(rb + k->desc_ring + k->head_id + k->counter);
	r->tail_id = vmc_le64(rb + k->desc_ring + k->tail_id + k->counter);
	return VMC_OK;
}

static enum vmc_status dump_prb(struct pk *p)
{
	struct prb_keys k;
	struct vmc_lprintk_prb r = { 0 };
	uint64_t addr[3];
	uint8_t *descs = NULL, *infos = NULL, *data = NULL;
	enum vmc_status rc;

	if ((rc = prb_layout(p, &k, &r)) || (rc = prb_header(p, &k, &r, addr)))
		return rc;
	descs = malloc(r.count * r.desc_size);
	infos = malloc(r.count * r.info_size);
	data = malloc(r.size);
	if (!descs || !infos || !data) {
		rc = vmc_fail(p->d, VMC_ERR_NOMEM, "out of memory for the printk ring");
		goto out;
	}
	read_tolerant(p, addr[0], descs, r.count * r.desc_size);
	read_tolerant(p, addr[1], infos, r.count * r.info_size);
	read_tolerant(p, addr[2], data, r.size);
	r.descs = descs, r.infos = infos, r.data = data;
	if ((rc = vmc_lprintk_prb_print(&r, p->o, p->d)))
		vmc_wrap(p->d, rc, "%s", p->name);
out:
	free(descs);
	free(infos);
	free(data);
	return rc;
}

/* ---- log_buf: structured (3.5-5.9) and plain --------------------------------------------- */

/* struct printk_log was struct log before 3.11 */
static bool logbuf_layout(struct pk *p, struct vmc_lprintk_logbuf *l)
{
	static const char *const names[2][4] = {
		{ "SIZE(printk_log)", "OFFSET(printk_log.ts_nsec)", "OFFSET(printk_log.len)", "OFFSET(printk_log.text_len)" },
		{ "SIZE(log)", "OFFSET(log.ts_nsec)", "OFFSET(log.len)", "OFFSET(log.text_len)" },
	};
	for (int i = 0; i < 2; i++)
		if (num(p, names[i][0], &l->hdr_size) & num(p, names[i][1], &l->off_ts) &
		    num(p, names[i][2], &l->off_len) & num(p, names[i][3], &l->off_text_len))
			return l->off_ts + 8 <= l->hdr_size && l->off_len + 2 <= l->hdr_size &&
			       l->off_text_len + 2 <= l->hdr_size;
	return false;
}

/* log_buf's address and length, and the buffer itself */
static enum vmc_status logbuf_read(struct pk *p, uint8_t **buf, uint64_t *len)
{
	uint64_t sym_buf = 0, sym_len = 0, addr;
	uint32_t n;
	enum vmc_status rc;

	if (!key(p, "SYMBOL(log_buf)", 16, &sym_buf) || !key(p, "SYMBOL(log_buf_len)", 16, &sym_len))
		return vmc_fail(p->d, VMC_ERR_NOTFOUND, "%s: VMCOREINFO lacks SYMBOL(log_buf) or SYMBOL(log_buf_len)",
				p->name);
	if ((rc = read_ptr(p, sym_buf, "log_buf", &addr)))
		return rc;
	if ((rc = vmc_lkmem_read_u32(&p->km, sym_len, &n, p->d)))
		return vmc_wrap(p->d, rc, "%s: log_buf_len", p->name);
	if (!n || n > VMC_LPRINTK_MAX_DATA)
		return vmc_fail(p->d, VMC_ERR_LIMIT, "%s: log_buf_len %u (at most %u)", p->name, n, VMC_LPRINTK_MAX_DATA);
	if (!(*buf = malloc(n)))
		return vmc_fail(p->d, VMC_ERR_NOMEM, "out of memory for log_buf");
	read_tolerant(p, addr, *buf, n);
	*len = n;
	return VMC_OK;
}

static enum vmc_status dump_logbuf(struct pk *p)
{
	struct vmc_lprintk_logbuf l = { 0 };
	uint64_t sym_first, sym_next;
	uint32_t first, next;
	uint8_t *buf = NULL;
	enum vmc_status rc;

	if (!key(p, "SYMBOL(log_first_idx)", 16, &sym_first) || !key(p, "SYMBOL(log_next_idx)", 16, &sym_next) ||
	    !logbuf_layout(p, &l))
		return vmc_fail(p->d, VMC_ERR_NOTFOUND, "%s: VMCOREINFO has SYMBOL(log_buf) but no usable %s", p->name,
				p->missing ? p->missing : "SIZE(printk_log)");
	if ((rc = vmc_lkmem_read_u32(&p->km, sym_first, &first, p->d)) ||
	    (rc = vmc_lkmem_read_u32(&p->km, sym_next, &next, p->d)))
		return vmc_wrap(p->d, rc, "%s: log_first_idx/log_next_idx", p->name);
	if ((rc = logbuf_read(p, &buf, &l.len)))
		return rc;
	l.buf = buf;
	l.first = first;
	l.next = next;
	if ((rc = vmc_lprintk_logbuf_print(&l, p->o, p->d)))
		vmc_wrap(p->d, rc, "%s", p->name);
	free(buf);
	return rc;
}

static enum vmc_status dump_plain(struct pk *p, uint64_t sym_end)
{
	uint8_t *buf = NULL;
	uint64_t len;
	uint32_t end; /* unsigned since 2.6.25 (unsigned long before: the low half on x86_64) */
	enum vmc_status rc;

	if ((rc = vmc_lkmem_read_u32(&p->km, sym_end, &end, p->d)))
		return vmc_wrap(p->d, rc, "%s: log_end", p->name);
	if ((rc = logbuf_read(p, &buf, &len)))
		return rc;
	vmc_lprintk_plain_print(buf, len, end, p->o);
	free(buf);
	return VMC_OK;
}

/* ---- entry ------------------------------------------------------------------------------ */

static void summary(struct pk *p)
{
	const struct vmc_lprintk_out *o = p->o;
	uint64_t skipped = o->miss + o->reserved + o->reusable + o->torn;

	/* a freed descriptor at the tail is the ring's normal state: not worth a warning alone */
	if (o->miss || o->reserved || o->torn || o->truncated || o->unreadable)
		vmc_warn(p->d, "%s: kernel log: %llu records printed; skipped %llu (%llu overwritten, %llu being written, %llu freed, %llu inconsistent); %llu truncated; %llu bytes of the log not in the dump",
			 p->name, (unsigned long long)o->printed, (unsigned long long)skipped,
			 (unsigned long long)o->miss, (unsigned long long)o->reserved, (unsigned long long)o->reusable,
			 (unsigned long long)o->torn, (unsigned long long)o->truncated,
			 (unsigned long long)o->unreadable);
}

enum vmc_status vmc_lprintk_dump(struct vmc_dump *dump, struct vmc_lprintk_out *o, struct vmc_diag *d)
{
	struct pk p = { .o = o, .d = d, .name = dump->name };
	uint64_t sym;
	enum vmc_status rc;

	if ((rc = vmc_lkmem_init(&p.km, dump, d)))
		return rc;
	if (key(&p, "SYMBOL(prb)", 16, &sym))
		rc = dump_prb(&p);
	else if (key(&p, "SYMBOL(log_end)", 16, &sym))
		rc = dump_plain(&p, sym);
	else if (key(&p, "SYMBOL(log_buf)", 16, &sym))
		rc = dump_logbuf(&p);
	else
		rc = vmc_fail(d, VMC_ERR_NOTFOUND, "%s: VMCOREINFO has neither SYMBOL(prb) nor SYMBOL(log_buf): no kernel log to read",
			      dump->name);
	if (!vmc_lprintk_out_flush(o) && !rc)
		rc = vmc_fail(d, VMC_ERR_IO, "writing the kernel log failed");
	if (!rc)
		summary(&p);
	vmc_lkmem_fini(&p.km);
	return rc;
}
