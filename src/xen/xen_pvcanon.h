/* xen_pvcanon.h: a PV domain written in pfn space with canonical page tables (xen_pvcanon.c). */
#ifndef VMC_XEN_PVCANON_H
#define VMC_XEN_PVCANON_H

#include "xen_host.h"

/* Machine frames mfn..mfn+count-1 that an entry keeps, as pfn..pfn+count-1. */
struct xen_pvrun {
	uint64_t mfn, pfn, count;
};

/* What canonicalisation needs: ownership, the domain's p2m and its inverse. Rewriting a table
 * needs only runs and ident (sized by how fragmented the domain's memory is, not by how much
 * it has): they are what the output keeps, the rest lives only while carving. */
struct xen_pvcanon {
	struct xen_host *x;     /* ownership (NULL when writing: then only the counts differ) */
	const struct xen_p2m *p2m; /* the domain's p2m (NULL when writing) */
	uint64_t np2m;
	struct xen_pvrun *runs; /* the p2m inverse for the domain's own RAM (the first pfn naming
				 * a frame), as runs by mfn: where a present entry's frame goes */
	size_t nruns;
	struct xen_pvrun *ident; /* by mfn: the identity (MMIO) frames an entry keeps as they are */
	size_t nident;
	struct xen_pvrun *own;  /* the transform's copy of runs, by pfn: the identity p2m leaves */
	size_t nown;
	uint32_t pickled;       /* the domain */
	uint32_t dom_io;        /* pickled dom_io (owner of MMIO frames), 0 = unknown */
	uint64_t duplicates;    /* p2m entries naming a frame an earlier pfn has (the first wins) */
};

struct xen_pvcanon_stats {
	uint64_t pages, tables, by_level[5], absent_tables;
	uint64_t translated, identity;  /* present entries kept, frame as pfn */
	uint64_t xen_slots;             /* present entries in L4 slots 256..271, zeroed */
	uint64_t xen_heap;              /* cleared: Xen-heap frames shared with the domain (shared_info, grant table) */
	uint64_t foreign;               /* cleared: frames of another domain (grant/foreign maps, Xen's own) */
	uint64_t unmapped;              /* cleared: the domain's own frames with no pfn in its p2m */
	uint64_t other;                 /* cleared: free frames, Xen's, outside RAM, non-identity MMIO */
	uint64_t pse;                   /* cleared: PSE at L2..L4 (PV has no superpages: corruption) */
};

enum vmc_status vmc_xen_pvcanon_init(struct xen_pvcanon *c, struct xen_host *x, const struct xen_p2m *p,
				     uint32_t pickled, uint32_t dom_io, struct vmc_diag *d);
void vmc_xen_pvcanon_release(struct xen_pvcanon *c);
/* Canonicalise one table page of the given level (1..4) in place. */
void vmc_xen_pvcanon_page(const struct xen_pvcanon *c, uint64_t *ent, unsigned level, struct xen_pvcanon_stats *st);
/* Whether type_info can be trusted for this domain (why: the evidence, or what failed). */
bool vmc_xen_pvcanon_check(struct xen_host *x, uint32_t pickled, uint64_t swapper_mfn, char *why, size_t len);
/* Whether pfn is the domain's own RAM: its p2m entry is in runs, for this pfn. */
bool vmc_xen_pvcanon_own(const struct xen_pvcanon *c, uint64_t pfn, size_t *hint);
/* The gmap extent argument of an identity p2m leaf (page-table levels are 1..4). */
#define XEN_PVCANON_GEN_IDENTITY 0x80u
/* nleaf identity p2m leaves at frames base.. of g->map (p2m[pfn] = pfn for the domain's own
 * RAM, ~0 elsewhere), built as the output reads them rather than held (8 bytes a pfn); after
 * vmc_xen_pvcanon_map, whose transform builds them. */
enum vmc_status vmc_xen_pvcanon_add_identity(struct vmc_guest *g, uint64_t base, uint64_t nleaf, struct vmc_diag *d);
/* Add every pfn of the domain's own RAM to g->map: page tables canonical (rewritten as the
 * output reads them: the map's transform, which takes over c's runs), the rest as is. */
enum vmc_status vmc_xen_pvcanon_map(struct xen_host *x, const struct xen_pvcanon *c, struct vmc_guest *g,
				    struct xen_pvcanon_stats *st, struct vmc_diag *d);

#endif
