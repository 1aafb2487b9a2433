/* guest.c: the hypervisor/guest description carvers fill: lists, messages and notes. */
#include "guest.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runfind.h"

/* A hostile guest must not make the report unbounded. */
static const struct vmc_msgs_caps caps = { .max_warnings = 1000, .max_report = 1u << 20, .max_line = 511,
					   .join_newline = true };

struct vmc_guest *vmc_hv_add_guest(struct vmc_hv *hv, uint32_t page_size)
{
	struct vmc_guest *g = realloc(hv->guests, (hv->nguests + 1) * sizeof(*g));

	if (!g)
		return NULL;
	hv->guests = g;
	g += hv->nguests++;
	memset(g, 0, sizeof(*g));
	vmc_gmap_init(&g->map, page_size);
	return g;
}

void vmc_hv_free(struct vmc_hv *hv)
{
	if (!hv)
		return;
	for (unsigned i = 0; i < hv->nguests; i++) {
		struct vmc_guest *g = &hv->guests[i];
		vmc_gmap_free(&g->map);
		free(g->vcpus);
		free(g->notes);
		vmc_msgs_release(&g->msgs);
	}
	if (hv->late_ops)
		hv->late_ops->free(hv->late);
	free(hv->guests);
	free(hv->frame_runs);
	free(hv->name_frames);
	vmc_msgs_release(&hv->msgs);
	memset(hv, 0, sizeof(*hv));
}

uint64_t vmc_hv_frame_run_end(const struct vmc_hv *hv, size_t i)
{
	return i + 1 < hv->nframe_runs ? hv->frame_runs[i + 1].mfn : hv->nframe_owner;
}

uint32_t vmc_hv_frame_owner(const struct vmc_hv *hv, uint64_t mfn, size_t *hint)
{
	size_t i;

	if (mfn >= hv->nframe_owner || !hv->nframe_runs)
		return VMC_HV_FRAME_UNKNOWN;
	/* the last run starting at or below mfn (the first starts at 0) */
	i = vmc_runfind(hv->frame_runs, hv->nframe_runs, sizeof(*hv->frame_runs), offsetof(struct vmc_hv_frun, mfn), 8, mfn,
			hint);
	return i < hv->nframe_runs ? hv->frame_runs[i].cls : VMC_HV_FRAME_UNKNOWN;
}

void vmc_hv_warn(struct vmc_hv *hv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmc_msgs_vwarn(&hv->msgs, &caps, fmt, ap);
	va_end(ap);
}

void vmc_hv_report(struct vmc_hv *hv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmc_msgs_vreport(&hv->msgs, &caps, fmt, ap);
	va_end(ap);
}

void vmc_guest_warn(struct vmc_guest *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmc_msgs_vwarn(&g->msgs, &caps, fmt, ap);
	va_end(ap);
}

void vmc_guest_report(struct vmc_guest *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmc_msgs_vreport(&g->msgs, &caps, fmt, ap);
	va_end(ap);
}

void vmc_guest_fail(struct vmc_guest *g, enum vmc_status st, const char *fmt, ...)
{
	va_list ap;

	if (g->status)
		return;
	g->status = st ? st : VMC_ERR_CORRUPT;
	va_start(ap, fmt);
	vsnprintf(g->error, sizeof(g->error), fmt, ap);
	va_end(ap);
}

struct vmc_vcpu *vmc_guest_add_vcpu(struct vmc_guest *g, uint32_t id)
{
	struct vmc_vcpu *v;

	if (g->nvcpus >= 4096 || !(v = realloc(g->vcpus, (g->nvcpus + 1) * sizeof(*v))))
		return NULL;
	g->vcpus = v;
	v += g->nvcpus++;
	memset(v, 0, sizeof(*v));
	v->id = id;
	return v;
}

enum vmc_status vmc_guest_add_note(struct vmc_guest *g, const char *name, uint32_t type, const void *desc,
				   size_t desc_len, struct vmc_diag *d)
{
	size_t namesz = strlen(name) + 1, need = 12 + ((namesz + 3) & ~3ul) + ((desc_len + 3) & ~3ul);
	uint8_t *n = realloc(g->notes, g->notes_len + need), *p;
	uint32_t h[3] = { (uint32_t)namesz, (uint32_t)desc_len, type };

	if (!n)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for notes");
	g->notes = n;
	p = n + g->notes_len;
	memset(p, 0, need);
	memcpy(p, h, 12);
	memcpy(p + 12, name, namesz);
	memcpy(p + 12 + ((namesz + 3) & ~3ul), desc, desc_len);
	g->notes_len += need;
	return VMC_OK;
}

bool vmc_guest_wanted(const struct vmc_guest *g, const char *only)
{
	return !only || !strcmp(only, g->id) || (g->name[0] && !strcmp(only, g->name));
}
