/* guest.h: what a carver finds: the hypervisor, and per guest its frame map, vCPU state, the
 * notes its output must carry, and what could not be carved (with why). Shared by every carver
 * and by the generic stages that turn a guest into an output dump. */
#ifndef VMC_GUEST_H
#define VMC_GUEST_H

#include "gmap.h"
#include "msgs.h"

/* A segment as QEMU's CPU note describes it. */
struct vmc_seg {
	uint32_t selector, limit, flags;
	uint64_t base;
};

/* One vCPU. The GPR block is in the order of x86_64 user_regs_struct (elf_prstatus.pr_reg). */
struct vmc_vcpu {
	uint32_t id;
	bool regs_valid;   /* at least rip/rsp are known */
	bool gprs_valid;   /* all general registers are known (else the unknown ones are 0) */
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, orig_rax;
	uint64_t rip, cs, rflags, rsp, ss, fs_base, gs_base, ds, es, fs, gs;
	bool sregs_valid;  /* the fields below are known */
	uint64_t cr[5];    /* cr0, (cr1 = 0), cr2, cr3, cr4 */
	uint64_t efer, kernel_gs_base;
	struct vmc_seg seg_cs, seg_ds, seg_es, seg_fs, seg_gs, seg_ss, ldt, tr, gdt, idt;
	char source[48];   /* where the registers came from, for list -v ("VMCB 0x...") */
};

enum vmc_guest_space {
	VMC_SPACE_GUEST_PHYS, /* output pfn = gfn (HVM, PVH, KVM) */
	VMC_SPACE_MACHINE,    /* output pfn = the domain's own mfn (Xen PV, crash translates via the p2m) */
};

struct vmc_guest {
	char id[32];       /* what --domain takes: "0", "1" (Xen domid), "1" (KVM: VM number) */
	char name[64];     /* "" when unknown; used in split file names */
	char uuid[37];     /* the hypervisor's handle for it ("" when unknown): Xen's domain handle */
	char type[16];     /* "PV", "HVM", "PVH", "KVM-SVM", "KVM-VMX" */
	char method[128];  /* how it was carved, e.g. "frame_table + p2m tree" */
	enum vmc_guest_space space;
	struct vmc_gmap map;
	struct vmc_vcpu *vcpus;
	unsigned nvcpus;
	/* Notes the carver wants in the output besides the per-vCPU ones (e.g. a "Xen"
	 * CRASH_INFO note for PV); the guest kernel's VMCOREINFO is added by vmc_guest_prepare(). */
	uint8_t *notes;
	size_t notes_len;
	bool no_vcpu_notes;   /* do not emit CORE/QEMU notes (registers unknown) */
	char uts[6][65];      /* the guest's new_utsname, when the carver read it (machine-space
			       * outputs: vmcarve cannot follow the kernel's linear map there) */
	bool has_uts;
	uint64_t phys_base;   /* when known to the carver (else from the guest's VMCOREINFO) */
	bool has_phys_base;
	/* accounting, shown by list */
	uint64_t pages_expected;  /* what the hypervisor says the guest has (0 = unknown) */
	uint64_t pages_absent;    /* mapped, but the host dump does not hold the host frame */
	uint64_t pages_refused;   /* entries pointing at frames the guest does not own */
	uint64_t max_gfn;         /* highest guest frame + 1 as the hypervisor knows it */
	/* failure: the guest is listed but cannot be written */
	enum vmc_status status;
	char error[512];
	/* diagnostics (warnings: one line each) and "key=value" lines (report: every offset and
	 * fact discovered, for list -v), kept by the collector msgs under their own names */
	union {
		struct vmc_msgs msgs;
		struct {
			VMC_MSGS_MEMBERS
		};
	};
	/* filled by vmc_guest_prepare() */
	char release[65];         /* guest kernel release from its VMCOREINFO, "" if none */
	uint64_t vmcoreinfo_gpa;  /* where the note was found (output address space) */
	bool has_vmcoreinfo;
	bool vmci_searched;       /* the carver searched the guest's memory itself (validating through
				   * its own p2m), found or not: vmc_guest_prepare() searches no more */
};

/* vmc_hv.frame_owner values: who a host frame belongs to, as the hypervisor records it */
enum vmc_hv_frame {
	VMC_HV_FRAME_UNKNOWN = 0, /* unreadable, an odd state, or an owner that is no listed guest */
	VMC_HV_FRAME_HV = 1,      /* the hypervisor's own (Xen heap, in use by no domain) */
	VMC_HV_FRAME_FREE = 2,    /* free in the hypervisor's allocator */
	VMC_HV_FRAME_GUEST = 16,  /* + the guest's index in vmc_hv.guests */
};
/* Host frames mfn .. (the next run's mfn, or nframe_owner) - 1 are of class cls. */
struct vmc_hv_frun {
	uint64_t mfn;
	uint32_t cls; /* enum vmc_hv_frame */
};

/* A carver's look at the host frames a writer reads through a carved guest (vmc_guest_dump_tap):
 * seen gets host frames mfn .. mfn + count - 1 as the host dump holds them, just read (from
 * several threads at once); close runs once when the guest dump closes, the carver's state
 * still live (it looks at what was not seen). seen NULL: no tap. */
struct vmc_guest_tap {
	void (*seen)(void *arg, uint64_t mfn, uint64_t count, const uint8_t *data);
	void (*close)(void *arg);
	void *arg;
};

struct vmc_hv;
/* Work a carver leaves for later (vmc_carve_opts.names_late): done at the latest by resolve. */
struct vmc_hv_late_ops {
	/* guest index is about to be opened (stream: every frame read once by a writer): may set a
	 * tap that does the work as that guest is read, else does what that guest needs now */
	void (*open)(struct vmc_hv *hv, unsigned index, bool stream, struct vmc_guest_tap *tap);
	void (*resolve)(struct vmc_hv *hv); /* now, unless done */
	void (*free)(void *late);
};

struct vmc_hv {
	char kind[16];     /* "xen", "kvm" */
	char version[64];  /* "4.17.7", "Linux 6.1.0-56-amd64" */
	struct vmc_guest *guests;
	unsigned nguests;
	/* each host frame's (< nframe_owner) enum vmc_hv_frame as runs by mfn, the first at 0, for
	 * filtering a host dump by owner (src/pipeline.c); NULL when the carver has no such table
	 * (KVM) */
	struct vmc_hv_frun *frame_runs;
	size_t nframe_runs;
	uint64_t nframe_owner;
	/* host frames holding the records the guests' names and handles were read from (Xen: the
	 * xenstore TDB records in dom0's memory), ascending, each once: a host filter that keeps
	 * the guests keeps these too, so the filtered dump names them as the unfiltered one does */
	uint64_t *name_frames;
	size_t nname_frames;
	/* the carver's state for work left for later, and its hooks (NULL: none) */
	void *late;
	const struct vmc_hv_late_ops *late_ops;
	union { /* warnings and report, as in vmc_guest */
		struct vmc_msgs msgs;
		struct {
			VMC_MSGS_MEMBERS
		};
	};
};

/* The class of host frame mfn (VMC_HV_FRAME_UNKNOWN past nframe_owner); *hint: the run
 * found last (start at 0). */
uint32_t vmc_hv_frame_owner(const struct vmc_hv *hv, uint64_t mfn, size_t *hint);
/* Where frame run i ends. */
uint64_t vmc_hv_frame_run_end(const struct vmc_hv *hv, size_t i);

/* Append a new zeroed guest (map initialised); NULL on allocation failure. */
struct vmc_guest *vmc_hv_add_guest(struct vmc_hv *hv, uint32_t page_size);
void vmc_hv_free(struct vmc_hv *hv);
void vmc_hv_warn(struct vmc_hv *hv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vmc_hv_report(struct vmc_hv *hv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void vmc_guest_warn(struct vmc_guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vmc_guest_report(struct vmc_guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Mark the guest as not carvable; keeps the first error. */
void vmc_guest_fail(struct vmc_guest *g, enum vmc_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Add a vCPU slot (zeroed, id set); NULL on allocation failure. */
struct vmc_vcpu *vmc_guest_add_vcpu(struct vmc_guest *g, uint32_t id);
/* Whether the carver builds g's frame map for vmc_carve_opts.only (NULL = every guest): only
 * names the guest's id or, as `extract --domain NAME` does, its name. */
bool vmc_guest_wanted(const struct vmc_guest *g, const char *only);
/* Append one ELF note to g->notes. */
enum vmc_status vmc_guest_add_note(struct vmc_guest *g, const char *name, uint32_t type, const void *desc,
				   size_t desc_len, struct vmc_diag *d);

#endif
