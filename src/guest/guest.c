/* guest.c: the hypervisor/guest description carvers fill: lists, messages and notes. */
#include "guest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 0))) static void add_line(char ***list, unsigned *n, const char *fmt, va_list ap)
{
	char buf[512], **l;

	if (*n >= 1000) /* a hostile guest must not make the report unbounded */
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (!(l = realloc(*list, (*n + 1) * sizeof(*l))))
		return;
	*list = l;
	if ((l[*n] = strdup(buf)))
		(*n)++;
}

__attribute__((format(printf, 3, 0))) static void append_text(char **text, size_t *len, const char *fmt, va_list ap)
{
	char buf[512], *t;
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0 || *len > (1u << 20))
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (!(t = realloc(*text, *len + (size_t)n + 2)))
		return;
	memcpy(t + *len, buf, (size_t)n);
	*len += (size_t)n;
	if (!*len || t[*len - 1] != '\n')
		t[(*len)++] = '\n';
	t[*len] = 0;
	*text = t;
}

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

static void free_lines(char **l, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(l[i]);
	free(l);
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
		free_lines(g->warnings, g->nwarnings);
		free(g->report);
	}
	free(hv->guests);
	free_lines(hv->warnings, hv->nwarnings);
	free(hv->report);
	memset(hv, 0, sizeof(*hv));
}

void vmc_hv_warn(struct vmc_hv *hv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_line(&hv->warnings, &hv->nwarnings, fmt, ap);
	va_end(ap);
}

void vmc_hv_report(struct vmc_hv *hv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	append_text(&hv->report, &hv->report_len, fmt, ap);
	va_end(ap);
}

void vmc_guest_warn(struct vmc_guest *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_line(&g->warnings, &g->nwarnings, fmt, ap);
	va_end(ap);
}

void vmc_guest_report(struct vmc_guest *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	append_text(&g->report, &g->report_len, fmt, ap);
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
