/* vmcarve.h: the public C API of libvmcarve: open crash dumps, carve per-guest dumps out of
 * Xen/KVM host dumps, and write dumps as kdump-compressed, ELF or flattened. Self-contained.
 *
 * Conventions: functions return enum vmc_status (VMC_OK = 0, errors < 0) and take a
 * struct vmc_diag last, which receives the message of a failure and the run's warnings.
 * Structs whose first field is `size` are size-versioned (like libbpf's opts): the caller sets
 * size = sizeof(the struct) as it was compiled; the library reads or fills only that many bytes. */
#ifndef VMCARVE_H
#define VMCARVE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VMC_API __attribute__((visibility("default")))

/* VMC_OK and VMC_DONE are control flow; every error is negative. */
enum vmc_status {
	VMC_OK = 0,
	VMC_DONE = 1,
	VMC_ERR_NOMEM = -1,
	VMC_ERR_IO = -2,        /* the OS refused a read or write */
	VMC_ERR_CORRUPT = -3,   /* the input violates its format */
	VMC_ERR_TRUNCATED = -4, /* the input ends before data it declares */
	VMC_ERR_UNSUPPORTED = -5,
	VMC_ERR_MISSING = -6, /* a page the dump should hold is not there */
	VMC_ERR_ARGS = -7,
	VMC_ERR_NOSPC = -8,
	VMC_ERR_LIMIT = -9,     /* a sanity bound was exceeded */
	VMC_ERR_NOTFOUND = -10, /* a symbol, structure, note or guest looked for is not there */
	VMC_ERR_CANCELLED = -11, /* the caller's cancel flag was set (a signal, say) */
};

VMC_API const char *vmc_status_name(enum vmc_status st);

/* The error object: callers embed it and vmc_diag_init() it before use. */
struct vmc_diag {
	enum vmc_status status;
	char msg[1024];
	/* warnings are counted, and the first few kept, so a long run cannot flood memory */
	unsigned nwarn;
	char warn[4][256];
};

VMC_API void vmc_diag_init(struct vmc_diag *d);
/* Forget a failure that the caller handled (tried another route); warnings are kept. */
VMC_API void vmc_diag_clear(struct vmc_diag *d);

/* ---- dumps: an ELF vmcore, kdump-compressed (plain, flattened or split), Xen xc_core ---- */

struct vmc_dump;

/* Open a dump from one or more files (several = a split set), probing the format. */
VMC_API enum vmc_status vmc_dump_open(const char *const *paths, unsigned npaths, struct vmc_dump **ret,
				      struct vmc_diag *d);
/* NULL is a no-op. */
VMC_API void vmc_dump_close(struct vmc_dump *dump);

struct vmc_dump_info {
	size_t size;            /* sizeof(struct vmc_dump_info), set by the caller */
	const char *name;       /* the first file (a guest: "HOST[guest ID]") */
	const char *format;     /* "elf64", "kdump", "flattened kdump", "split kdump", ... */
	unsigned nfiles;
	uint32_t page_size;
	unsigned page_shift;
	uint64_t max_pfn;       /* frames are < max_pfn */
	uint64_t ram_pages, stored_pages, excluded_pages, missing_pages;
	bool incomplete_flag;   /* the file says it is incomplete */
	const char *missing_why; /* "FILE: offset 0x..: why" of the first missing frame, or "" */
	char codecs[40];        /* page compressions used, "zlib,lzo,snappy,zstd" or "none" */
	int dump_level;         /* -1 when unknown */
	bool has_phys_base;
	uint64_t phys_base;
	bool has_uts;
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
	bool has_vmcoreinfo;    /* a VMCOREINFO note (see vmc_dump_vmcoreinfo) */
};

VMC_API enum vmc_status vmc_dump_get_info(struct vmc_dump *dump, struct vmc_dump_info *info, struct vmc_diag *d);
/* Take phys_base, the utsname and the kernel-text mapping from the kernel's VMCOREINFO, as the
 * kernel itself records them (a header's figures may be stale); vmc_write() does it too. */
VMC_API void vmc_dump_read_kernel_info(struct vmc_dump *dump);

/* The RAM range [*start, *end) (in frames) that begins first at or after frame `from`; false
 * when there is none. Iterate with from = the previous *end. */
VMC_API bool vmc_dump_ram_range(struct vmc_dump *dump, uint64_t from, uint64_t *start, uint64_t *end);

enum vmc_page_state {
	VMC_PAGE_NOT_RAM,  /* no such frame */
	VMC_PAGE_STORED,   /* the dump holds its data */
	VMC_PAGE_EXCLUDED, /* filtered out when the dump was taken (zero, free, cache...) */
	VMC_PAGE_MISSING,  /* should be there but is not (incomplete or truncated dump) */
};

VMC_API enum vmc_page_state vmc_dump_page_state(struct vmc_dump *dump, uint64_t pfn);
/* Read one frame into buf (page_size bytes): VMC_ERR_MISSING when the dump does not hold it.
 * Thread-safe. */
VMC_API enum vmc_status vmc_dump_read_pfn(struct vmc_dump *dump, uint64_t pfn, void *buf, struct vmc_diag *d);
/* Read len bytes of physical memory at addr; VMC_ERR_MISSING when a frame is not held. */
VMC_API enum vmc_status vmc_dump_read_phys(struct vmc_dump *dump, uint64_t addr, void *buf, size_t len,
					   struct vmc_diag *d);

/* One ELF note of the dump (pointers valid until the dump is closed). */
struct vmc_dump_note {
	const char *name; /* not NUL-terminated: use name_len */
	size_t name_len;
	uint32_t type;
	const void *desc;
	size_t desc_len;
};

/* The note at *pos (start with 0), advancing *pos; false after the last one. */
VMC_API bool vmc_dump_note_next(struct vmc_dump *dump, size_t *pos, struct vmc_dump_note *note);
/* The value of a VMCOREINFO key ("OSRELEASE", "NUMBER(phys_base)"...) as a string; false when the
 * dump has no VMCOREINFO or the key is not in it. */
VMC_API bool vmc_dump_vmcoreinfo(struct vmc_dump *dump, const char *key, char *val, size_t valsz);

/* ---- the kernel log ---- */

/* Receives the log's text in pieces; returning false stops it (a write error). */
typedef bool vmc_dmesg_write_fn(void *arg, const char *buf, size_t len);

/* The kernel log of the Linux kernel in dump (a Linux dump, or a guest from vmc_guest_open()),
 * found through its VMCOREINFO alone (no vmlinux) and printed as `makedumpfile --dump-dmesg`
 * prints it: "[%5lu.%06lu] text" per record, continuation lines indented, bytes that are neither
 * printable nor space as \xNN. Records that cannot be read are skipped and counted in a
 * warning; VMC_ERR_IO when write returned false. */
VMC_API enum vmc_status vmc_dump_dmesg(struct vmc_dump *dump, vmc_dmesg_write_fn *write, void *arg,
				       struct vmc_diag *d);

/* What the Linux kernel in a dump was doing when it was dumped. */
struct vmc_kernel_state {
	size_t size;          /* sizeof(struct vmc_kernel_state), set by the caller */
	const char *state;    /* "panic", "oops", "running", or "unknown" (no kallsyms in VMCOREINFO) */
	int panic_cpu;        /* the CPU that called panic(), -1 when none */
	int oops_in_progress;
};

/* panic_cpu and oops_in_progress, found through the kallsyms tables VMCOREINFO locates (Linux
 * 6.0 and later). Fails (state "unknown") when they cannot be read. */
VMC_API enum vmc_status vmc_dump_kernel_state(struct vmc_dump *dump, struct vmc_kernel_state *st,
					      struct vmc_diag *d);

/* Why the Linux kernel in a dump died, from its log (as vmc_dump_dmesg prints it): lines keep
 * their "[ seconds.micros] " stamp, are at most 255 bytes (longer ones end in "..."), and
 * hold no control byte but tab (others read '?'). */
struct vmc_crash_reason {
	size_t size;          /* sizeof(struct vmc_crash_reason), set by the caller */
	char panic[256];      /* the last "Kernel panic - not syncing: ..." line, "" when none */
	char oops[256];       /* the first BUG: / Oops: / general protection fault line, "" when none */
	char last[10][256];   /* the log's last lines, oldest first */
	unsigned nlast;
	uint64_t lines;       /* lines in the log */
};

/* Read the kernel log (see vmc_dump_dmesg) and pick its crash reason. Fails as it does (no
 * VMCOREINFO, a log that cannot be read). */
VMC_API enum vmc_status vmc_dump_crash_reason(struct vmc_dump *dump, struct vmc_crash_reason *r, struct vmc_diag *d);

/* ---- carving: find the hypervisor and its guests in a host dump ---- */

struct vmc_carve;

struct vmc_carve_options {
	size_t size;                /* sizeof(struct vmc_carve_options), set by the caller */
	const char *xen_syms;       /* Xen's xen-syms (symbol table) for the dumped hypervisor */
	const char *vmcs_layout;    /* Intel VMCS field offsets ("FIELD(NAME)=0xOFF" lines) */
	const char *host_debuginfo; /* a folder with the host vmlinux and kvm*.ko with DWARF */
	const char *only;           /* build the frame map of this guest (an id or a name) only (NULL = all) */
	const char *hypervisor;     /* "xen" or "kvm": do not probe (NULL = probe) */
	/* Xen: do not search dom0's memory for the guests' names and UUIDs (xenstore) in
	 * vmc_carve() but later, in one of: vmc_carve_names(); vmc_guest_open_stream() of dom0,
	 * as the caller reads dom0 (vmc_dump_close() ends the search: each frame is read once);
	 * the open of any other guest. Until then guest info has no names (dom0's is "Domain-0")
	 * and no UUIDs, and `only` takes ids only. */
	bool names_late;
	/* With names_late: opening a guest searches nothing either; only vmc_carve_names() does
	 * (for a caller that needs no names, as `extract --domain <id>`: on Xen the search reads
	 * every frame of dom0, three times what writing a domU of a third of its size reads). */
	bool names_on_request;
};

/* Find the hypervisor and every guest; host must stay open until vmc_carve_free(). A guest
 * that cannot be carved is listed with its error; this fails only when none can be listed. */
VMC_API enum vmc_status vmc_carve(struct vmc_dump *host, const struct vmc_carve_options *o, struct vmc_carve **ret,
				  struct vmc_diag *d);
/* NULL is a no-op. */
VMC_API void vmc_carve_free(struct vmc_carve *cv);
/* With vmc_carve_options.names_late: find the guests' names and UUIDs now, if not yet done (a
 * no-op otherwise). Not while a guest opened with vmc_guest_open_stream() is open. */
VMC_API enum vmc_status vmc_carve_names(struct vmc_carve *cv, struct vmc_diag *d);

struct vmc_carve_info {
	size_t size;                 /* sizeof(struct vmc_carve_info), set by the caller */
	const char *hypervisor;      /* "xen", "kvm" */
	const char *version;         /* "4.17.7", "Linux 6.1.0-56-amd64" */
	unsigned nguests;
	const char *const *warnings; /* one line each */
	unsigned nwarnings;
	const char *report;          /* "key=value" lines: what was found where ("" when none) */
};

VMC_API enum vmc_status vmc_carve_get_info(struct vmc_carve *cv, struct vmc_carve_info *info, struct vmc_diag *d);

/* Pointers stay valid until vmc_carve_free(); warnings and the VMCOREINFO fields grow when the
 * guest is opened (vmc_guest_open), so ask again after that. */
struct vmc_guest_info {
	size_t size;                 /* sizeof(struct vmc_guest_info), set by the caller */
	const char *id;              /* what vmc_carve_options.only takes: Xen domid, KVM VM number */
	const char *name;            /* "" when unknown */
	const char *type;            /* "PV", "HVM", "PVH", "KVM-SVM", "KVM-VMX" */
	const char *method;          /* how it was carved, e.g. "frame_table + p2m tree" */
	const char *space;           /* "guest-physical" (pfn = gfn) or "machine" (Xen PV: pfn = mfn) */
	unsigned nvcpus;
	uint64_t pages_expected;     /* what the hypervisor says the guest has (0 = unknown) */
	uint64_t pages_mapped;       /* frames the map holds */
	uint64_t pages_present;      /* of those, the ones whose bytes an output will hold */
	uint64_t pages_absent;       /* mapped, but the host dump does not hold the host frame */
	uint64_t pages_refused;      /* entries pointing at frames the guest does not own */
	uint64_t max_gfn;            /* highest guest frame + 1 as the hypervisor knows it */
	enum vmc_status status;      /* not VMC_OK: the guest is listed but cannot be written */
	const char *error;           /* why ("" when status is VMC_OK) */
	const char *const *warnings; /* one line each */
	unsigned nwarnings;
	const char *report;          /* "key=value" lines ("" when none) */
	bool has_vmcoreinfo;         /* after vmc_guest_open: the guest kernel's VMCOREINFO was found */
	const char *release;         /* after vmc_guest_open: its kernel release, or "" */
	const char *uuid;            /* the hypervisor's handle (Xen: struct domain's handle), or "" */
};

/* Guest `index` (< nguests). Finishes the guest's frame map if the carver left it unfinished. */
VMC_API enum vmc_status vmc_carve_guest_info(struct vmc_carve *cv, unsigned index, struct vmc_guest_info *info,
					     struct vmc_diag *d);
/* Guest `index` as a dump (its frames read through the host dump), with the guest kernel's
 * VMCOREINFO looked up first. Close it with vmc_dump_close() before vmc_carve_free(). */
VMC_API enum vmc_status vmc_guest_open(struct vmc_carve *cv, unsigned index, struct vmc_dump **ret,
				       struct vmc_diag *d);
/* vmc_guest_open() for a caller about to read every page once (a writer): the guest's memory is
 * searched for its VMCOREINFO only up to the note chosen, the same one; the frames after it are
 * checked for more candidate notes (a guest may plant fakes) as the caller reads them, and
 * vmc_dump_close() reads those it did not and adds the warning about several notes to the
 * guest's warnings (vmc_carve_guest_info after the close). Each frame is read once, not twice. */
VMC_API enum vmc_status vmc_guest_open_stream(struct vmc_carve *cv, unsigned index, struct vmc_dump **ret,
					      struct vmc_diag *d);

/* ---- writing a dump ---- */

enum vmc_format {
	VMC_FORMAT_KDUMP, /* kdump-compressed (makedumpfile, crash) */
	VMC_FORMAT_ELF,   /* ELF vmcore; pages stored raw; needs a seekable output */
	VMC_FORMAT_FLAT,  /* flattened kdump (makedumpfile -F), what a pipe gets */
};

enum vmc_compression {
	VMC_COMPRESS_DEFAULT, /* lzo */
	VMC_COMPRESS_NONE,
	VMC_COMPRESS_ZLIB,
	VMC_COMPRESS_LZO,
	VMC_COMPRESS_SNAPPY,
	VMC_COMPRESS_ZSTD,
};

typedef void vmc_progress_fn(uint64_t done, uint64_t total, void *arg);

struct vmc_write_options {
	size_t size;                /* sizeof(struct vmc_write_options), set by the caller */
	enum vmc_format format;
	enum vmc_compression compression; /* kdump and flat only; ELF takes DEFAULT or NONE */
	unsigned threads;           /* compression threads; 0 = one per CPU */
	bool no_dedup;              /* store every page, zero pages too (default: identical pages once) */
	bool partial;               /* write an incomplete dump; missing frames stay missing */
	vmc_progress_fn *progress;  /* called as pages are written (may be NULL) */
	void *progress_arg;
	/* A split set (makedumpfile --split; kdump format only): split_parts > 1 writes the files
	 * path.1 .. path.N, each holding an equal share of the stored pages; split_part K (1..N)
	 * writes only path.K, byte-identical to the same part of a whole run, so that separate
	 * processes can write a set together. 0 = every part. */
	unsigned split_parts;
	unsigned split_part;
	/* makedumpfile's -d bits, 0-31 (0 = write every frame): 1 zero pages (kdump: shared as one
	 * zero page; ELF: left out), 2 page cache without private data, 4 all page cache, 8 user
	 * data (anonymous, hugetlb, THP), 16 free pages; classified from the kernel's struct pages
	 * through VMCOREINFO. With any bit, hardware-poisoned and offline pages go too. A kdump input
	 * already filtered keeps its level: the output records both OR-ed. */
	int dump_level;
	/* With dump_level on a host dump: keep every frame carving its guests needs (each guest's
	 * RAM as the carver maps it, and every host frame the carver reads: kernel structures,
	 * the VMM's page tables, NPT/EPT, vCPU state), so the filtered file still carves whole. */
	bool keep_guests;
	/* Cancellation (a signal handler sets *cancel non-zero; NULL = never): the write stops
	 * within a page, the workers are stopped and vmc_write() returns VMC_ERR_CANCELLED. The
	 * output is removed, unless keep_partial is set and it is kdump written to a file: then
	 * the pages written so far are kept, the rest get offset-0 descriptors and the header
	 * the INCOMPLETE flag (as after ENOSPC), and the file is renamed into place. */
	volatile sig_atomic_t *cancel;
	bool keep_partial;
};

/* Indexes of vmc_write_stats.filtered: frames each dump-level class left out. */
enum vmc_filter_class {
	VMC_FILTER_ZERO,
	VMC_FILTER_CACHE,
	VMC_FILTER_CACHE_PRIVATE,
	VMC_FILTER_USER,
	VMC_FILTER_FREE,
	VMC_FILTER_HWPOISON,
	VMC_FILTER_OFFLINE,
	VMC_FILTER_NOMAP, /* past the kernel's last struct page section (makedumpfile's max_mapnr) */
};

struct vmc_write_stats {
	size_t size; /* sizeof(struct vmc_write_stats), set by the caller */
	bool output_opened; /* false: it failed before the output was created */
	uint64_t pages, zero_pages, dedup_pages, raw_pages, missing_pages;
	uint64_t bytes_out;
	uint64_t filtered[8]; /* frames the dump level left out, by enum vmc_filter_class */
	uint64_t guest_kept;  /* frames the level would have left out that keep_guests kept */
	bool partial_kept; /* cancelled, and the incomplete output was kept (keep_partial) */
};

/* makedumpfile --show-stats for a dump: what dump level 31 would leave out of it, per class,
 * classified as vmc_write() with dump_level 31 does (zero pages counted among the frames the
 * other classes keep). Reads every frame the level keeps (the zero test). */
struct vmc_page_stats {
	size_t size;          /* sizeof(struct vmc_page_stats), set by the caller */
	uint64_t pages;       /* frames the dump holds */
	uint64_t classes[8];  /* frames -d 31 leaves out, by enum vmc_filter_class */
	uint64_t remaining;   /* frames -d 31 keeps (all-zero ones not counted) */
};

VMC_API enum vmc_status vmc_dump_page_stats(struct vmc_dump *dump, struct vmc_page_stats *st, struct vmc_diag *d);

/* Write the dump to path ("-" = stdout) through a temporary file renamed into place on
 * success, flattened when asked or when the target is a pipe. On failure no complete-looking
 * output remains (of a split set, the parts this call wrote are removed again); on
 * VMC_ERR_NOSPC and VMC_ERR_CANCELLED the message says whether a partial output was removed
 * or kept (stats->partial_kept). stats may be NULL (of a split set: the sums over the parts
 * written). */
VMC_API enum vmc_status vmc_write(struct vmc_dump *dump, const char *path, const struct vmc_write_options *o,
				  struct vmc_write_stats *stats, struct vmc_diag *d);

/* ---- a dump seen as an ELF vmcore, without writing it ---- */

/* The bytes `vmc_write()` with VMC_FORMAT_ELF and partial would write, read at any offset: the
 * headers are built once, the page data is read from the dump on demand (for a file system,
 * say). The dump must outlive the view. */
struct vmc_elf_view;

VMC_API enum vmc_status vmc_elf_view_open(struct vmc_dump *dump, struct vmc_elf_view **ret, struct vmc_diag *d);
/* The size in bytes of the whole ELF file. */
VMC_API uint64_t vmc_elf_view_size(const struct vmc_elf_view *v);
/* len bytes at offset off (off + len <= size); an error (VMC_ERR_MISSING, _TRUNCATED, _IO...)
 * when a page cannot be read, never zeros in its place. Thread-safe. */
VMC_API enum vmc_status vmc_elf_view_read(struct vmc_elf_view *v, uint64_t off, void *buf, size_t len,
					  struct vmc_diag *d);
/* NULL is a no-op. */
VMC_API void vmc_elf_view_free(struct vmc_elf_view *v);

#ifdef __cplusplus
}
#endif

#endif
