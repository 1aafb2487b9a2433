/* dump.h: an opened input dump and the reader ops every input format implements.
 * A dump is a set of physical frames (pfn = physical address >> page shift, in the address
 * space the dump was taken in: machine for a host, guest-physical for a guest), plus notes. */
#ifndef VMC_DUMP_H
#define VMC_DUMP_H

#include "bitmap.h"
#include "bytesrc.h"
#include "kinfo.h"

struct vmc_dump;

struct vmc_reader_ops {
	const char *name;
	/* Score 0 (not mine) .. 100 (certain) from the first bytes of the source. */
	int (*probe)(const uint8_t *head, size_t len);
	/* Parse headers, fill the dump fields, take ownership of srcs on success. */
	enum vmc_status (*open)(struct vmc_dump *dump, struct vmc_bytesrc **srcs, unsigned nsrc,
				struct vmc_diag *d);
	/* Read one stored frame (vmc_bitmap_test(&dump->stored, pfn) is true) into buf.
	 * scratch has dump->scratch_size bytes. Thread-safe. */
	enum vmc_status (*read_page)(struct vmc_dump *dump, uint64_t pfn, void *buf, void *scratch,
				     struct vmc_diag *d);
	/* Optional: read `count` consecutive stored frames into buf in one go, when they lie
	 * contiguously in the file; VMC_ERR_UNSUPPORTED means "read them one by one". Thread-safe. */
	enum vmc_status (*read_run)(struct vmc_dump *dump, uint64_t pfn, uint64_t count, void *buf,
				    struct vmc_diag *d);
	/* Optional: the address of `count` consecutive stored frames in a mapping of the file
	 * that stays valid until close(), or NULL (then read_run/read_page). */
	const uint8_t *(*map_run)(struct vmc_dump *dump, uint64_t pfn, uint64_t count);
	void (*close)(struct vmc_dump *dump);
};

struct vmc_dump {
	const struct vmc_reader_ops *ops;
	void *priv;
	char *name;            /* first file, for messages */
	const char *format;    /* e.g. "elf64", "kdump", "flattened kdump", "split kdump" */
	uint32_t page_size;
	unsigned page_shift;
	uint16_t e_machine;    /* VMC_EM_*; 0 = unknown */
	uint64_t machine_off;  /* file offset of what names the machine (e_machine, utsname.machine) */
	uint64_t max_pfn;      /* frames are < max_pfn */
	struct vmc_bitmap ram;    /* the frame is RAM (kdump 1st bitmap) */
	struct vmc_bitmap stored; /* the frame's data is in the file (kdump 2nd bitmap) */
	uint64_t nmissing;     /* frames that should be stored but are not (incomplete/truncated) */
	struct vmc_bitmap missing; /* which ones (allocated only when nmissing > 0) */
	/* "FILE: offset 0x..: why" of the first missing frame; as long as the error it goes into
	 * (a diag's msg), so that a long path does not cut the offset off */
	char missing_why[sizeof(((struct vmc_diag *)0)->msg)];
	uint8_t *notes;        /* ELF note blob (Elf64_Nhdr layout), owned */
	size_t notes_len;
	uint64_t phys_base;
	bool has_phys_base;
	struct vmc_uts uts;
	bool has_uts;
	uint32_t codecs;       /* kdump flags seen (informational) */
	int dump_level;        /* -1 when unknown */
	bool incomplete_flag;  /* the file says it is incomplete */
	struct vmc_ktext ktext;
	bool has_ktext;
	size_t scratch_size;   /* bytes of scratch read_page needs */
	bool machine_frames;   /* a Xen PV domain's frames by mfn: the kernel is not linear here */
	struct vmc_bitmap *read_log; /* when set, every frame read through src/mem/physmem is marked */
	unsigned nfiles;
};

/* Open a dump from one or more files (several = a split set), probing the format. */
enum vmc_status vmc_dump_open(const char *const *paths, unsigned npaths, struct vmc_dump **ret,
			      struct vmc_diag *d);
/* Open from already-open sources (memory sources in tests and fuzzers). Takes ownership. */
enum vmc_status vmc_dump_open_srcs(struct vmc_bytesrc **srcs, unsigned nsrc, struct vmc_dump **ret,
				   struct vmc_diag *d);
void vmc_dump_close(struct vmc_dump *dump);

/* Read a frame: VMC_OK with data, or VMC_ERR_MISSING when the dump does not hold it. */
enum vmc_status vmc_dump_read_page(struct vmc_dump *dump, uint64_t pfn, void *buf, void *scratch,
				   struct vmc_diag *d);

/* Helpers for readers: size the bitmaps for max_pfn; the upper bound keeps hostile headers
 * from demanding absurd memory. */
#define VMC_MAX_PFN_LIMIT (1ull << 36) /* 256 TiB of 4 KiB frames; a 2 MiB bitmap directory */
enum vmc_status vmc_dump_alloc_bitmaps(struct vmc_dump *dump, uint64_t max_pfn, struct vmc_diag *d);
/* VMC_ERR_NOMEM if filling the ram, stored or missing bitmap ran out of memory (their chunks
 * are allocated as bits are set): a reader's last step. */
enum vmc_status vmc_dump_check_bitmaps(const struct vmc_dump *dump, struct vmc_diag *d);
/* Record that a frame should be stored but is not; the first call keeps `why`. */
void vmc_dump_mark_missing(struct vmc_dump *dump, uint64_t pfn, const char *file, uint64_t off, const char *why);
/* The same for the stored frames among [pfn, pfn + count), in time independent of count's
 * size in pages (a hostile header may claim terabytes past the end of the file). */
void vmc_dump_mark_missing_range(struct vmc_dump *dump, uint64_t pfn, uint64_t count, const char *file,
				 uint64_t off, const char *why);
/* What the VMCOREINFO note (if any) says: PAGESIZE (checked by vmc_dump_vmcoreinfo_pagesize()
 * first), phys_base and OSRELEASE; fields it does not give stay as they are. */
void vmc_dump_facts_from_vmcoreinfo(struct vmc_dump *dump);
/* Where the bytes of dump->notes lie in `file`: note byte `at` onwards is at file offset `off`
 * (a reader that concatenates note areas gives one entry per area, ascending in `at`). */
struct vmc_notes_at {
	size_t at;
	uint64_t off;
};
/* VMCOREINFO's PAGESIZE: *ps = 0 when there is none; VMC_ERR_CORRUPT naming the file offset of
 * the value when it is not a power of two in [4 KiB, VMC_PAGE_SIZE_MAX]. */
enum vmc_status vmc_dump_vmcoreinfo_pagesize(const struct vmc_dump *dump, const char *file,
					     const struct vmc_notes_at *map, unsigned nmap, uint32_t *ps,
					     struct vmc_diag *d);


#endif
