/* api_carve.c: the public API's carving side: scan a host dump (registry.c's carvers), describe
 * the hypervisor and each guest, and open a guest as a dump. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "guest_dump.h"
#include "registry.h"

enum vmc_status vmc_carve(struct vmc_dump *host, const struct vmc_carve_options *o, struct vmc_carve **ret,
			  struct vmc_diag *d)
{
	struct vmc_carve_options opts;
	struct vmc_carve_opts copts;
	struct vmc_carve *cv;
	enum vmc_status rc;

	*ret = NULL;
	if ((rc = vmc_api_opts_in(&opts, sizeof(opts), o, "struct vmc_carve_options", d)))
		return rc;
	copts = (struct vmc_carve_opts){ .xen_syms = opts.xen_syms, .vmcs_layout = opts.vmcs_layout,
					 .host_debuginfo = opts.host_debuginfo, .only = opts.only,
					 .force = opts.hypervisor, .names_late = opts.names_late };
	if (!(cv = calloc(1, sizeof(*cv))))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	cv->host = host;
	cv->names_on_request = opts.names_late && opts.names_on_request;
	if ((rc = vmc_carve_scan(host, &copts, &cv->hv, d))) {
		vmc_carve_free(cv);
		return rc;
	}
	*ret = cv;
	return VMC_OK;
}

void vmc_carve_free(struct vmc_carve *cv)
{
	if (!cv)
		return;
	vmc_hv_free(&cv->hv);
	free(cv);
}

enum vmc_status vmc_carve_names(struct vmc_carve *cv, struct vmc_diag *d)
{
	(void)d;
	if (cv->hv.late_ops)
		cv->hv.late_ops->resolve(&cv->hv);
	return VMC_OK;
}

enum vmc_status vmc_carve_get_info(struct vmc_carve *cv, struct vmc_carve_info *info, struct vmc_diag *d)
{
	struct vmc_carve_info in = {
		.size = sizeof(in),
		.hypervisor = cv->hv.kind,
		.version = cv->hv.version,
		.nguests = cv->hv.nguests,
		.warnings = (const char *const *)cv->hv.warnings,
		.nwarnings = cv->hv.nwarnings,
		.report = cv->hv.report ? cv->hv.report : "",
	};
	return vmc_api_info_out(info, &in, sizeof(in), "struct vmc_carve_info", d);
}

/* frames of the map whose bytes the output will hold */
static uint64_t present_pages(const struct vmc_dump *host, const struct vmc_guest *g)
{
	uint64_t n = 0;
	for (size_t i = 0; i < g->map.n; i++) {
		const struct vmc_gmap_ext *e = &g->map.ext[i];
		if (vmc_gmap_kind_host(e->kind))
			n += vmc_bitmap_count_range(&host->stored, e->src, e->count);
		else if (e->kind != VMC_GMAP_ABSENT)
			n += e->count;
	}
	return n;
}

static uint64_t mapped_pages(const struct vmc_guest *g)
{
	uint64_t n = 0;
	for (size_t i = 0; i < g->map.n; i++)
		if (g->map.ext[i].kind != VMC_GMAP_ABSENT)
			n += g->map.ext[i].count;
	return n;
}

static enum vmc_status guest_at(struct vmc_carve *cv, unsigned index, struct vmc_guest **g, struct vmc_diag *d)
{
	if (index >= cv->hv.nguests)
		return vmc_fail(d, VMC_ERR_NOTFOUND, "no guest %u (%u found)", index, cv->hv.nguests);
	*g = &cv->hv.guests[index];
	return VMC_OK;
}

enum vmc_status vmc_carve_guest_info(struct vmc_carve *cv, unsigned index, struct vmc_guest_info *info,
				     struct vmc_diag *d)
{
	struct vmc_guest_info in = { .size = sizeof(in) };
	struct vmc_guest *g = NULL;
	enum vmc_status rc;

	if ((rc = guest_at(cv, index, &g, d)))
		return rc;
	if (!g->map.finished) {
		/* the counts below need a sorted map; a guest whose map cannot be finished is
		 * listed with what it has */
		struct vmc_diag ignored;
		vmc_diag_init(&ignored);
		vmc_gmap_finish(&g->map, &ignored);
	}
	in = (struct vmc_guest_info){
		.size = sizeof(in), .id = g->id, .name = g->name, .type = g->type, .method = g->method,
		.space = g->space == VMC_SPACE_MACHINE ? "machine" : "guest-physical", .nvcpus = g->nvcpus,
		.pages_expected = g->pages_expected, .pages_mapped = mapped_pages(g),
		.pages_present = present_pages(cv->host, g), .pages_absent = g->pages_absent,
		.pages_refused = g->pages_refused, .max_gfn = g->max_gfn, .status = g->status, .error = g->error,
		.warnings = (const char *const *)g->warnings, .nwarnings = g->nwarnings,
		.report = g->report ? g->report : "", .has_vmcoreinfo = g->has_vmcoreinfo, .release = g->release, .uuid = g->uuid,
	};
	return vmc_api_info_out(info, &in, sizeof(in), "struct vmc_guest_info", d);
}

/* Opens guest index as a dump. With stream, the VMCOREINFO search stops at the note it uses and
 * the frames after it are checked for more candidates as the caller reads them (a writer reads
 * each frame once); without, the whole guest is searched first. */
static enum vmc_status guest_open(struct vmc_carve *cv, unsigned index, bool stream, struct vmc_dump **ret,
				  struct vmc_diag *d)
{
	struct vmc_guest_vmci *watch = NULL;
	struct vmc_guest_tap tap = { 0 };
	struct vmc_guest *g = NULL;
	enum vmc_status rc;

	*ret = NULL;
	if ((rc = guest_at(cv, index, &g, d)))
		return rc;
	if (g->status)
		return vmc_fail(d, g->status, "%s", g->error);
	/* work the carver left for later (names_late): done now, or as the caller reads, unless
	 * only vmc_carve_names() is to do it */
	if (cv->hv.late_ops && !cv->names_on_request)
		cv->hv.late_ops->open(&cv->hv, index, stream, &tap);
	rc = stream ? vmc_guest_prepare_stream(cv->host, g, &watch, d) : vmc_guest_prepare(cv->host, g, d);
	if (!rc && (rc = vmc_guest_dump_open(cv->host, g, ret, d)))
		vmc_guest_vmci_free(watch);
	if (rc) {
		if (tap.seen)
			tap.close(tap.arg); /* nothing was read: the tap does the whole work */
		return rc;
	}
	if (watch)
		vmc_guest_dump_watch(*ret, watch);
	if (tap.seen)
		vmc_guest_dump_tap(*ret, &tap);
	return VMC_OK;
}

enum vmc_status vmc_guest_open(struct vmc_carve *cv, unsigned index, struct vmc_dump **ret, struct vmc_diag *d)
{
	return guest_open(cv, index, false, ret, d);
}

enum vmc_status vmc_guest_open_stream(struct vmc_carve *cv, unsigned index, struct vmc_dump **ret, struct vmc_diag *d)
{
	return guest_open(cv, index, true, ret, d);
}
