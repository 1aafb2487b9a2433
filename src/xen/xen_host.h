/* xen_host.h: what the Xen carver learns about the dumped hypervisor, shared by its parts:
 * notes (xen_notes.c), symbols (xen_syms.c), Xen virtual -> machine (xen_vmem.c), page
 * ownership (xen_frames.c), domains (xen_domain.c) and PV p2m (xen_p2m.c). Every value read
 * from the dump is untrusted; each part validates what it derives and says where it came from. */
#ifndef VMC_XEN_HOST_H
#define VMC_XEN_HOST_H

#include "carver.h"
#include "pagewalk.h"

/* ---- symbols (xen_syms.c) ------------------------------------------------------------------ */
struct xen_sym {
	uint64_t va;
	char *name;
};
struct xen_syms {
	struct xen_sym *v; /* sorted by name */
	size_t n;
	char *strings;
	uint64_t build_id_va;      /* the image's .note.gnu.build-id, to match against the dump */
	uint8_t build_id_note[64];
	size_t build_id_len;
};
enum vmc_status vmc_xen_syms_load(const char *path, struct xen_syms *s, struct vmc_diag *d);
bool vmc_xen_syms_get(const struct xen_syms *s, const char *name, uint64_t *va);
void vmc_xen_syms_free(struct xen_syms *s);

/* ---- the symbol table embedded in Xen's image (xen_ksyms.c) -------------------------------- */
/* Reads len bytes at addr (a machine address in a dump, a buffer offset in tests). */
typedef enum vmc_status xen_ksyms_read_fn(void *arg, uint64_t addr, void *buf, size_t len, struct vmc_diag *d);
struct xen_ksyms {
	uint32_t n;
	bool absolute;        /* symbols_addresses (VAs); else symbols_offsets from XEN_VIRT_START */
	bool sorted_checked;  /* symbols_sorted_offsets present and consistent with the stream */
	uint64_t *value;      /* per symbol, in the table's (address) order */
	char *type;           /* nm type letter per symbol */
	uint32_t *name_off;   /* into names; locals may read "file.c#name" */
	uint32_t *short_off;  /* into names: the part after "file.c#" (name_off when there is none) */
	char *names;
	/* where each array was found (same address space as the read function) */
	uint64_t token_index_at, token_table_at, markers_at, names_at, num_syms_at, values_at, sorted_at;
};
/* The 256 u16 of a symbols_token_index candidate: 0 first, then strictly rising by <= 128. */
bool vmc_xen_ksyms_index_like(const uint8_t *p);
/* Decode the tables around a token index found at token_index_at; validated (token strings,
 * markers, name stream, sorted values, printable names, the tables' own symbols where they
 * were found). */
enum vmc_status vmc_xen_ksyms_decode(xen_ksyms_read_fn *rd, void *arg, uint64_t token_index_at, struct xen_ksyms *k,
				     struct vmc_diag *d);
/* Value of a symbol by full name or by the part after "file#". */
bool vmc_xen_ksyms_value(const struct xen_ksyms *k, const char *name, uint64_t *value);
/* As a struct xen_syms: va = origin + value (origin 0 for the absolute form); names without
 * their "file#" prefix, a global winning over a local of the same name. */
enum vmc_status vmc_xen_ksyms_to_syms(const struct xen_ksyms *k, uint64_t origin, struct xen_syms *s,
				      struct vmc_diag *d);
void vmc_xen_ksyms_free(struct xen_ksyms *k);

/* ---- the hypervisor ------------------------------------------------------------------------ */
#define XEN_MAX_PCPUS 64

/* Frames mfn .. (the next run's mfn or nowner) - 1 share an owner word and a state. */
struct xen_frun {
	uint32_t mfn;   /* < nowner <= 2^32 */
	uint32_t owner; /* pickled owner id | XEN_OWNER_HEAP, 0 = none */
	uint8_t state;  /* XEN_PS_* */
};

struct xen_host {
	struct vmc_dump *dump;
	struct vmc_physmem pm;
	struct vmc_hv *hv;
	struct xen_syms syms;
	bool has_syms;

	/* notes (xen_notes.c) */
	bool has_crash_info, has_vmcoreinfo;
	uint64_t crash_info[10];  /* the 80-byte CRASH_INFO words */
	unsigned crash_info_words;
	uint64_t pcpu_cr3[XEN_MAX_PCPUS];
	unsigned npcpu_cr3;
	const char *cr3_source;   /* "Xen CRASH_REGS", "QEMU CPU state" */
	uint64_t qemu_regs[XEN_MAX_PCPUS][25]; /* QEMU CPU notes as struct cpu_user_regs */
	bool qemu_regs_valid[XEN_MAX_PCPUS];
	bool vcpu_running_known;  /* curr_vcpu of every pCPU was read (xen_vcpu.c) */
	/* VMCOREINFO_XEN, or the same facts from --xen-syms / the built-in table */
	uint64_t sym_domain_list, sym_frame_table, sym_max_page, sym_pgd_l4, sym_dom_xen, sym_dom_io;
	uint64_t size_page_info, off_pi_count_info, off_pi_domain, off_pi_type_info, size_domain, off_d_domain_id,
		off_d_next_in_list;

	/* layout (xen_vmem.c) */
	uint64_t xen_virt_start, xen_phys_start;
	uint64_t root_ma;         /* page-table root used for Xen virtual addresses */
	struct vmc_pt pt;
	uint64_t directmap_start; /* DIRECTMAP_VIRT_START, derived */
	uint64_t xlat_va, xlat_ma, xlat_span; /* the last leaf translated (4 KiB, 2 MiB or 1 GiB) */
	bool xlat_valid;
	uint32_t version_major, version_minor;
	char version[64];

	/* PDX compression (mask variant); identity when hole_shift = 0 */
	uint64_t pdx_hole_shift, pdx_bottom_mask, pdx_top_mask;

	/* frame table (xen_frames.c) */
	uint64_t frame_table_va, max_page;
	/* every frame's owner and state as runs by mfn over [0, nowner): a domain's frames, free
	 * memory and holes come in long runs (a frame table too fragmented for the budget fails) */
	struct xen_frun *fruns;
	size_t nfruns, frun_hint; /* hint: the run found last (lookups mostly run on) */
	uint64_t nowner;
	bool has_ptype;           /* the layout gives type_info (ptab, ptab4 filled) */
	struct vmc_bitmap ptab;    /* owned non-heap frames type_info calls a page table in use */
	struct vmc_bitmap ptab4;   /* those at level 4; a frame's level and flags are read again */
	uint64_t pgc_xen_heap, pgc_allocated, pgc_state_mask, pgc_state_inuse;
	/* the frame-table window read last (the scan's read-ahead, or the page of one frame's
	 * type read later): ft_len bytes at ft_va, 0 when that page is not in the dump */
	uint8_t *ft_page;
	uint64_t ft_va;
	size_t ft_len;
};

/* xen_frun.state: the frame's allocation state in its page_info */
enum { XEN_PS_UNREAD = 0, XEN_PS_INUSE = 1, XEN_PS_FREE = 2, XEN_PS_OTHER = 3 /* offlining, offlined */ };

/* owner word: low 31 bits = _domain (pickled), bit 31 = a Xen-heap page */
#define XEN_OWNER_HEAP 0x80000000u
#define XEN_OWNER_ID(x) ((x) & 0x7fffffffu)
/* page type (vmc_xen_frames_ptype): low 3 bits the level, and how type_info said it is in use */
#define XEN_PT_LEVEL(x) ((x) & 7u)
#define XEN_PT_VALIDATED 0x08u
#define XEN_PT_PINNED 0x10u

/* xen_ksyms.c: find Xen's embedded symbol table in the dump (in the image at xen_phys_start
 * when CRASH_INFO gives it, else by a scan of machine memory below 4 GiB from the top), resolve
 * XEN_VIRT_START (VMCOREINFO_XEN, else the CPUs' CR3s) and fill s with absolute addresses. */
enum vmc_status vmc_xen_ksyms_load(struct xen_host *x, struct xen_syms *s, struct vmc_diag *d);

/* xen_notes.c: CRASH_INFO, CRASH_REGS / QEMU CR3s, VMCOREINFO_XEN. VMC_ERR_UNSUPPORTED when
 * the dump has neither Xen notes nor CPU notes to start from. */
int vmc_xen_notes_probe(const struct vmc_dump *dump);
/* A whole-machine dump whose CPUs' page tables map Xen's reserved range (PML4 slots 256-271,
 * which Linux leaves empty): Xen ran there. */
bool vmc_xen_notes_cr3_maps_xen(struct vmc_dump *dump);
enum vmc_status vmc_xen_notes_read(struct xen_host *x, struct vmc_diag *d);

/* xen_vmem.c */
enum vmc_status vmc_xen_vmem_init(struct xen_host *x, struct vmc_diag *d);
enum vmc_status vmc_xen_va_to_ma(struct xen_host *x, uint64_t va, uint64_t *ma, struct vmc_diag *d);
enum vmc_status vmc_xen_read(struct xen_host *x, uint64_t va, void *buf, size_t len, struct vmc_diag *d);
enum vmc_status vmc_xen_read_u64(struct xen_host *x, uint64_t va, uint64_t *v, struct vmc_diag *d);
bool vmc_xen_is_directmap(const struct xen_host *x, uint64_t va);

/* xen_frames.c: read the whole frame table into fruns, ptab and ptab4. */
enum vmc_status vmc_xen_frames_scan(struct xen_host *x, struct vmc_diag *d);
void vmc_xen_frames_release(struct xen_host *x);
uint32_t vmc_xen_frames_pickle(const struct xen_host *x, uint64_t domain_va);
/* The run holding mfn and where it ends (NULL past nowner). */
const struct xen_frun *vmc_xen_frames_run(struct xen_host *x, uint64_t mfn, uint64_t *end);
/* mfn's owner word (0 past nowner). */
uint32_t vmc_xen_frames_owner(struct xen_host *x, uint64_t mfn);
bool vmc_xen_frames_owned_by(struct xen_host *x, uint64_t mfn, uint32_t pickled);
/* The domain's own RAM: owned by it and not a Xen-heap page (one run lookup). */
bool vmc_xen_frames_own_ram(struct xen_host *x, uint64_t mfn, uint32_t pickled);
/* The same with the caller's hint in place of x's, for a thread of its own. */
bool vmc_xen_frames_own_ram_at(const struct xen_host *x, uint64_t mfn, uint32_t pickled, size_t *hint);
/* mfn's page type (vmc_xen_frames_ptype of its type_info) when ptab has it, else 0. */
uint8_t vmc_xen_frames_ptype_of(struct xen_host *x, uint64_t mfn);
/* Fill hv's frame classes from fruns: doms[i] is the domain of guest guest_of[i] (-1: none). */
enum vmc_status vmc_xen_frames_owners(struct xen_host *x, const uint32_t *pickled, const int *guest_of, unsigned n,
				      struct vmc_diag *d);
/* type_info -> page type (0 unless L1..L4 and validated or pinned). */
uint8_t vmc_xen_frames_ptype(uint64_t type_info);

/* xen_domain.c */
struct xen_domain {
	uint64_t va;
	uint32_t domid;
	uint32_t pickled;
	uint32_t max_vcpus;
	uint64_t vcpu_array_va, shared_info_va, shared_info_mfn;
	uint64_t vcpu_va[128];
	unsigned nvcpu;
	uint64_t vcpu_regs[128][25]; /* struct cpu_user_regs (200 bytes) at layout.off_user_regs */
	bool vcpu_regs_ok[128];      /* they look like a PV kernel's (selectors, RIP in its text) */
	bool vcpu_running[128];      /* loaded on a pCPU: user_regs is stale, vcpu_live holds them */
	uint64_t vcpu_live[128][25];
	bool vcpu_live_ok[128];
	bool vcpu_live_in_guest[128]; /* from a CPU note of a pCPU that was executing the guest */
	char vcpu_live_src[128][48];
	uint64_t tot_pages;
	bool has_tot_pages;
	uint64_t owned, owned_heap;  /* frames the frame table gives it (+ Xen-heap ones) */
	/* shared_info.arch */
	uint64_t max_pfn, fll_mfn, p2m_cr3, p2m_vaddr, p2m_generation;
	uint8_t handle[16];          /* the toolstack's handle (UUID), when its offset was found */
	bool has_handle;
	/* d->options (XEN_DOMCTL_CDF_*, 4.13+) and d->arch.emulation_flags (X86_EMU_*) */
	uint32_t options, emu_flags;
	bool has_options, has_emu_flags;
};
#define XEN_CDF_HVM 0x1u
#define XEN_CDF_HAP 0x2u
#define XEN_EMU_PIC 0x20u   /* an emulated PC platform (device model): HVM, not PVH */
#define XEN_EMU_PIT 0x100u
/* A PV guest publishes its p2m (frame-list tree or linear list); HVM/PVH ones have Xen's. */
bool vmc_xen_domain_is_pv(const struct xen_domain *dom);
struct xen_layout {
	uint64_t off_max_vcpus, off_vcpu, off_shared_info, off_tot_pages;
	uint64_t off_vcpu_id, off_vcpu_domain;
	uint64_t off_user_regs;      /* vcpu.arch.user_regs; 0 = not found */
	unsigned user_regs_votes;
	uint64_t off_options, off_emu_flags; /* 0 = not found */
	unsigned options_candidates, emu_candidates;
	const char *source;
	uint64_t off_handle;         /* struct domain.handle; 0 = not found */
	const char *handle_source;
	unsigned handle_candidates;  /* offsets that satisfied the invariants */
};
/* Walk domain_list (bounded, loop-checked); calls cb per domain. Fills the layout it used. */
enum vmc_status vmc_xen_domains_read(struct xen_host *x, struct xen_domain **out, unsigned *n,
				     struct xen_layout *lay, struct vmc_diag *d);

/* struct domain.handle: the 16-byte offset at which every domain's bytes equal the UUID
 * xenstore names for it (/local/domain/<id>/vm = /vm/<uuid>) and dom0's are zero; without
 * xenstore, the one offset where dom0's are zero and every other domain holds a distinct
 * RFC 4122 UUID. Fills doms[].handle and lay->off_handle when exactly one offset fits. */
struct xen_xs;
void vmc_xen_domains_find_handle(struct xen_host *x, struct xen_domain *doms, unsigned n, const struct xen_xs *xs,
				 struct xen_layout *lay);

/* xen_vcpu.c: mark the vCPUs loaded on a pCPU and take their live registers (needs syms). */
void vmc_xen_vcpus_locate(struct xen_host *x, struct xen_domain *doms, unsigned n);

/* xen_p2m.c: a PV domain's p2m. leaf[i] = MFN of the p2m page for pfns i*512.., from the
 * frame-list tree (fll_mfn) or the linear list (p2m_cr3/p2m_vaddr). The entries themselves are
 * read from those pages when asked for (vmc_xen_p2m_get), one page held at a time: 8 bytes per
 * 512 pfns, not 8 per pfn (a 1 TiB guest's p2m is 2 GiB). */
#define XEN_P2M_INVALID (~0ull)
#define XEN_P2M_IDENTITY_BIT (1ull << 62)
#define XEN_P2M_FOREIGN_BIT (1ull << 63)
#define XEN_P2M_PER_PAGE 512u
struct xen_p2m_page {
	uint64_t leaf;     /* index of the page held (~0: none) */
	uint64_t mfn[XEN_P2M_PER_PAGE];
};
struct xen_p2m {
	struct vmc_physmem *pm; /* where the leaf pages are read */
	uint64_t npfn;
	uint64_t *leaf;    /* MFN of each p2m leaf page (XEN_P2M_INVALID when a hole) */
	uint64_t nleaf;
	struct xen_p2m_page *page; /* the leaf page last read (lookups mostly walk pfns in order) */
	bool linear;       /* built from p2m_cr3/p2m_vaddr */
	uint64_t tables;   /* page-table / frame-list pages read */
	uint64_t loops;    /* page-table entries pointing back up their own path */
	char warn[256];    /* "" or what was skipped while reading it */
};
enum vmc_status vmc_xen_p2m_read(struct xen_host *x, const struct xen_domain *dom, struct xen_p2m *p,
				 struct vmc_diag *d);
/* Reads leaf page i into p->page: all XEN_P2M_INVALID when a hole or not in the dump. */
void vmc_xen_p2m_load(const struct xen_p2m *p, uint64_t i);
/* The entry of pfn (< npfn): the guest's word, XEN_P2M_INVALID where it has none. */
static inline uint64_t vmc_xen_p2m_get(const struct xen_p2m *p, uint64_t pfn)
{
	if (p->page->leaf != pfn / XEN_P2M_PER_PAGE)
		vmc_xen_p2m_load(p, pfn / XEN_P2M_PER_PAGE);
	return p->page->mfn[pfn % XEN_P2M_PER_PAGE];
}
void vmc_xen_p2m_free(struct xen_p2m *p);

#endif
