/* bytesrc.h: positional-read byte sources behind a small vtable, so readers run the same
 * over a file, a spooled pipe, a reassembled flattened stream, or a buffer in memory. */
#ifndef VMC_BYTESRC_H
#define VMC_BYTESRC_H

#include "diag.h"

struct vmc_bytesrc;

struct vmc_bytesrc_ops {
	/* Read up to len bytes at off; *got < len only at end of data. Thread-safe. */
	enum vmc_status (*pread)(struct vmc_bytesrc *src, void *buf, size_t len, uint64_t off,
				 size_t *got, struct vmc_diag *d);
	void (*close)(struct vmc_bytesrc *src);
	/* Optional: were all bytes of [off, off+len) delivered by the producer? Sources that
	 * reassemble a stream (flattened) can have holes that read as zeros. NULL = always. */
	bool (*covered)(const struct vmc_bytesrc *src, uint64_t off, uint64_t len);
};

struct vmc_bytesrc {
	const struct vmc_bytesrc_ops *ops;
	char *name;    /* path shown in messages (owned) */
	uint64_t size; /* bytes available */
	void *priv;
	int fd;        /* the file descriptor behind it, or -1 */
	const uint8_t *map; /* read-only mapping of all `size` bytes, or NULL */
	/* mapped ranges handed out lately, oldest first (see vmc_bytesrc_mapped) */
	struct { uint64_t off, len; } recent[64];
	unsigned recent_head, recent_n;
	uint64_t recent_bytes;
	uint64_t populated_end; /* sequential reads: the mapping is populated up to here */
	bool spooled;  /* read from a pipe and kept in an unlinked temporary file */
	/* Set by sources that present a stream as a file (formats/flat_read.c), so readers can
	 * tell their users without knowing the stream's format. */
	bool flattened; /* the bytes come from a flattened stream */
	bool cut_short; /* the stream lacks its end marker; data past cut_off was never seen */
	uint64_t cut_off;
};

/* Open a file read-only. A pipe or other non-seekable input is spooled first. */
enum vmc_status vmc_bytesrc_open_file(const char *path, struct vmc_bytesrc **ret, struct vmc_diag *d);

/* A source over caller-owned memory (not copied; must outlive the source). */
enum vmc_status vmc_bytesrc_new_mem(const char *name, const void *buf, size_t len,
				    struct vmc_bytesrc **ret, struct vmc_diag *d);

/* Allocate a source with the given ops; name is copied. */
struct vmc_bytesrc *vmc_bytesrc_alloc(const struct vmc_bytesrc_ops *ops, const char *name);

/* Read exactly len bytes at off, or fail with VMC_ERR_TRUNCATED naming the offset. */
enum vmc_status vmc_bytesrc_read_exact(struct vmc_bytesrc *src, void *buf, size_t len, uint64_t off,
				       const char *what, struct vmc_diag *d);

/* Record that mapped bytes [off, off + len) are in use; the least recently handed-out ones
 * beyond a 16 MiB window are dropped from the resident set (they refault from the page cache
 * if touched again, so pointers stay valid). Bounds the RSS whatever the access order (a
 * carved guest reads its host's frames in any order). One thread per source. */
void vmc_bytesrc_mapped(struct vmc_bytesrc *src, uint64_t off, uint64_t len);

/* The first offset at or after off that may hold data other than zeros: past a file's holes
 * (SEEK_DATA), so a reader can skip gigabytes of a sparse file's zeros (a kdump bitmap for RAM
 * at a high address). off itself where that is unknown; src->size when only holes follow. */
uint64_t vmc_bytesrc_next_data(const struct vmc_bytesrc *src, uint64_t off);

/* The covered() op, or true for sources without holes. */
bool vmc_bytesrc_covered(const struct vmc_bytesrc *src, uint64_t off, uint64_t len);

void vmc_bytesrc_free(struct vmc_bytesrc *src);

/* Map the pages of a big, freshly allocated buffer in one call before a read fills it: under
 * virtualisation a fault per page inside pread costs more than the copy. Best effort (kernels
 * before 5.14 refuse; then the faults happen as before). */
void vmc_bytesrc_prefault(void *buf, size_t len);

#endif
