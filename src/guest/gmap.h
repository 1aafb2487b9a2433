/* gmap.h: one guest's frame map: for each frame of the output's address space (a guest's gfn,
 * or for Xen PV outputs the domain's own machine frames), where its bytes come from: a frame
 * of the host dump, a zero page (e.g. Xen populate-on-demand), a page vmcarve built (e.g.
 * a p2m frame list for a guest that published none), or a host frame the carver's transform
 * rewrites as it is read (e.g. a Xen PV page table made canonical). Built by appending, then
 * finished. */
#ifndef VMC_GMAP_H
#define VMC_GMAP_H

#include "diag.h"

enum vmc_gmap_kind {
	VMC_GMAP_HOST = 0,   /* bytes are in a host frame (src) */
	VMC_GMAP_ZERO = 1,   /* a zero page (Xen populate-on-demand) */
	VMC_GMAP_SYNTH = 2,  /* a page vmcarve built (src indexes the synthesised pages) */
	VMC_GMAP_ABSENT = 3, /* guest RAM whose bytes cannot be had (written as excluded) */
	VMC_GMAP_XFORM = 4,  /* a host frame (src), rewritten on reading by the map's transform (arg says how) */
	VMC_GMAP_GEN = 5,    /* a page the map's transform builds on reading from src and arg alone
			      * (e.g. Xen PV's identity p2m leaves: built, not held) */
};

/* Rewrite one page read from host frame src in place (XFORM), or fill a zeroed page (GEN: src
 * is then the extent's own index); arg is the extent's. Called from the page stream's reader
 * threads at once: ctx must not change. */
typedef enum vmc_status vmc_gmap_xform_fn(const void *ctx, uint64_t src, unsigned arg, void *page,
					  struct vmc_diag *d);

struct vmc_gmap_ext {
	uint64_t pfn;      /* first output frame */
	uint64_t count;
	uint64_t src;      /* HOST, XFORM: first host frame; SYNTH: index of the first synthesised
			    * page; GEN: the transform's index of the first page */
	uint8_t kind;      /* enum vmc_gmap_kind */
	uint8_t arg;       /* XFORM: passed to the transform (Xen PV: the page-table level) */
};

struct vmc_gmap {
	struct vmc_gmap_ext *ext;
	size_t n, cap;
	bool finished;
	uint32_t page_size;
	uint8_t *synth;    /* nsynth pages */
	size_t nsynth, synth_cap;
	uint64_t npages;   /* after finish: frames mapped */
	uint64_t nconflicts; /* after finish: frames added twice (the first one added wins) */
	uint64_t first_conflict_pfn;
	vmc_gmap_xform_fn *xform;      /* for XFORM extents; owns xform_ctx (freed by xform_free) */
	void *xform_ctx;
	void (*xform_free)(void *ctx);
};

void vmc_gmap_init(struct vmc_gmap *m, uint32_t page_size);
void vmc_gmap_free(struct vmc_gmap *m);
/* Append; consecutive calls that continue an extent are merged. */
enum vmc_status vmc_gmap_add(struct vmc_gmap *m, uint64_t pfn, uint64_t host_pfn, uint64_t count,
			     struct vmc_diag *d);
enum vmc_status vmc_gmap_add_zero(struct vmc_gmap *m, uint64_t pfn, uint64_t count, struct vmc_diag *d);
/* Copies page_size bytes. */
enum vmc_status vmc_gmap_add_synth(struct vmc_gmap *m, uint64_t pfn, const void *page, struct vmc_diag *d);
/* count host frames from host_pfn, each rewritten by the map's transform with arg. */
enum vmc_status vmc_gmap_add_xform(struct vmc_gmap *m, uint64_t pfn, uint64_t host_pfn, uint64_t count, uint8_t arg,
				   struct vmc_diag *d);
/* count pages the map's transform builds, the first with index src, the rest src+1... */
enum vmc_status vmc_gmap_add_gen(struct vmc_gmap *m, uint64_t pfn, uint64_t src, uint64_t count, uint8_t arg,
				 struct vmc_diag *d);
/* Set the transform of XFORM and GEN extents; the map owns ctx from now on (xform_free at vmc_gmap_free). */
void vmc_gmap_set_xform(struct vmc_gmap *m, vmc_gmap_xform_fn *fn, void *ctx, void (*xform_free)(void *ctx));
/* Whether an extent's src names host frames (HOST, XFORM) */
static inline bool vmc_gmap_kind_host(uint8_t kind)
{
	return kind == VMC_GMAP_HOST || kind == VMC_GMAP_XFORM;
}
enum vmc_status vmc_gmap_add_absent(struct vmc_gmap *m, uint64_t pfn, uint64_t count, struct vmc_diag *d);
/* Sort by pfn; where extents overlap, the one starting lower wins, and of two starting at the
 * same frame the one added first (the frames lost are counted in nconflicts). */
enum vmc_status vmc_gmap_finish(struct vmc_gmap *m, struct vmc_diag *d);
/* After finish: the extent holding pfn narrowed to that one frame, or false. */
bool vmc_gmap_lookup(const struct vmc_gmap *m, uint64_t pfn, struct vmc_gmap_ext *one);
/* After finish: index of the first extent whose end is > pfn (n when none). */
size_t vmc_gmap_seek(const struct vmc_gmap *m, uint64_t pfn);
const uint8_t *vmc_gmap_synth_page(const struct vmc_gmap *m, uint64_t idx);
/* After finish: one past the highest mapped frame (0 when empty). */
uint64_t vmc_gmap_end(const struct vmc_gmap *m);

#endif
