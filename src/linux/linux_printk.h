/* linux_printk.h: the kernel log (dmesg) of a Linux dump from its VMCOREINFO alone, printed as
 * `makedumpfile --dump-dmesg` prints it: the lockless ring buffer (5.10+), the structured
 * log_buf (3.5-5.9) and the plain character log_buf before that. */
#ifndef VMC_LINUX_PRINTK_H
#define VMC_LINUX_PRINTK_H

#include "linux_kvmem.h"

/* Bounds on what a (possibly hostile) kernel may make us allocate and walk. */
#define VMC_LPRINTK_MAX_DATA (256u << 20) /* text ring / log_buf bytes */
#define VMC_LPRINTK_MAX_DESCS (1u << 22)  /* descriptors */
#define VMC_LPRINTK_MAX_STRUCT 4096u      /* any SIZE()/OFFSET() used */

/* Receives the text in pieces; false = the output failed (stop writing). */
typedef bool vmc_lprintk_write_fn(void *arg, const char *buf, size_t len);

/* The output side: a buffer, and what was left out (for the closing warning). */
struct vmc_lprintk_out {
	vmc_lprintk_write_fn *write;
	void *arg;
	bool write_failed;
	uint64_t printed;   /* records printed */
	uint64_t miss;      /* descriptor does not carry the id (overwritten) */
	uint64_t reserved;  /* being written when the dump was taken (torn) */
	uint64_t reusable;  /* freed (its text was overwritten) */
	uint64_t torn;      /* descriptor or data block inconsistent: skipped */
	uint64_t truncated; /* text shorter than its length says: printed what is there */
	uint64_t unreadable; /* bytes of the log the dump does not hold (read as zeros) */
	size_t len;
	char buf[4096];
};

void vmc_lprintk_out_init(struct vmc_lprintk_out *o, vmc_lprintk_write_fn *write, void *arg);
/* Write out what is buffered; false when the output failed (now or before). */
bool vmc_lprintk_out_flush(struct vmc_lprintk_out *o);
/* One record: "[%5llu.%06llu] " and the text, newlines indented to the text column, bytes
 * neither printable nor space as \xNN (so no terminal escape gets through). */
void vmc_lprintk_out_record(struct vmc_lprintk_out *o, uint64_t ts_nsec, const uint8_t *text, size_t len);

/* The lockless ring as copied out of memory, with its layout from VMCOREINFO. */
struct vmc_lprintk_prb {
	uint32_t desc_size, info_size;
	uint32_t off_state, off_begin, off_next; /* in prb_desc: state_var.counter, text_blk_lpos.{begin,next} */
	uint32_t off_ts, off_text_len;           /* in printk_info */
	uint64_t count, size;                    /* descriptors, text ring bytes: powers of two */
	const uint8_t *descs, *infos, *data;     /* count * desc_size, count * info_size, size bytes */
	uint64_t head_id, tail_id;
};

/* Print the records from tail_id to head_id (at most count of them). VMC_ERR_UNSUPPORTED when no
 * descriptor carries its own id: the state encoding is not the kernel's one vmcarve knows. */
enum vmc_status vmc_lprintk_prb_print(const struct vmc_lprintk_prb *r, struct vmc_lprintk_out *o,
				      struct vmc_diag *d);

/* The structured log_buf of 3.5-5.9 (struct printk_log records), copied out of memory. */
struct vmc_lprintk_logbuf {
	uint32_t hdr_size, off_ts, off_len, off_text_len;
	const uint8_t *buf;
	uint64_t len;
	uint64_t first, next; /* log_first_idx, log_next_idx */
};

/* Print from first to next; a cycle or an index outside the buffer stops it with a warning. */
enum vmc_status vmc_lprintk_logbuf_print(const struct vmc_lprintk_logbuf *l, struct vmc_lprintk_out *o,
					 struct vmc_diag *d);
/* The plain character log_buf (before 3.5): the last min(end, len) bytes written, oldest first. */
void vmc_lprintk_plain_print(const uint8_t *buf, uint64_t len, uint64_t end, struct vmc_lprintk_out *o);

/* The log of the kernel in dump, found through its VMCOREINFO. Records that cannot be read are
 * skipped and counted in one warning; a failed write gives VMC_ERR_IO. */
enum vmc_status vmc_lprintk_dump(struct vmc_dump *dump, struct vmc_lprintk_out *o, struct vmc_diag *d);

#endif
