/* gmap.c: a guest's frame map, appended to by a carver and then sorted once. */
#include "gmap.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"

void vmc_gmap_init(struct vmc_gmap *m, uint32_t page_size)
{
	memset(m, 0, sizeof(*m));
	m->page_size = page_size;
}

void vmc_gmap_free(struct vmc_gmap *m)
{
	if (m->xform_free)
		m->xform_free(m->xform_ctx);
	free(m->ext);
	free(m->synth);
	vmc_gmap_init(m, m->page_size);
}

/* Whether b continues a (same kind and arg, frames and sources consecutive). */
static bool continues(const struct vmc_gmap_ext *a, const struct vmc_gmap_ext *b)
{
	return a->kind == b->kind && a->arg == b->arg && a->pfn + a->count == b->pfn &&
	       (b->kind == VMC_GMAP_ZERO || b->kind == VMC_GMAP_ABSENT || a->src + a->count == b->src);
}

static enum vmc_status push(struct vmc_gmap *m, uint64_t pfn, uint64_t count, uint64_t src, uint8_t kind, uint8_t arg,
			    struct vmc_diag *d)
{
	struct vmc_gmap_ext *last = m->n ? &m->ext[m->n - 1] : NULL, next;

	if (!count)
		return VMC_OK;
	if (pfn + count < pfn)
		return vmc_fail(d, VMC_ERR_CORRUPT, "guest frame range 0x%llx+0x%llx wraps", (unsigned long long)pfn,
				(unsigned long long)count);
	m->finished = false;
	next = (struct vmc_gmap_ext){ .pfn = pfn, .count = count, .src = src, .kind = kind, .arg = arg };
	if (last && continues(last, &next)) {
		last->count += count;
		return VMC_OK;
	}
	if (m->n == m->cap && vmc_grow(&m->ext, &m->cap, m->n + 1, 256, d))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for a guest frame map");
	m->ext[m->n++] = next;
	return VMC_OK;
}

enum vmc_status vmc_gmap_add(struct vmc_gmap *m, uint64_t pfn, uint64_t host_pfn, uint64_t count, struct vmc_diag *d)
{
	return push(m, pfn, count, host_pfn, VMC_GMAP_HOST, 0, d);
}

enum vmc_status vmc_gmap_add_zero(struct vmc_gmap *m, uint64_t pfn, uint64_t count, struct vmc_diag *d)
{
	return push(m, pfn, count, 0, VMC_GMAP_ZERO, 0, d);
}

enum vmc_status vmc_gmap_add_absent(struct vmc_gmap *m, uint64_t pfn, uint64_t count, struct vmc_diag *d)
{
	return push(m, pfn, count, 0, VMC_GMAP_ABSENT, 0, d);
}

enum vmc_status vmc_gmap_add_xform(struct vmc_gmap *m, uint64_t pfn, uint64_t host_pfn, uint64_t count, uint8_t arg,
				   struct vmc_diag *d)
{
	return push(m, pfn, count, host_pfn, VMC_GMAP_XFORM, arg, d);
}

enum vmc_status vmc_gmap_add_gen(struct vmc_gmap *m, uint64_t pfn, uint64_t src, uint64_t count, uint8_t arg,
				 struct vmc_diag *d)
{
	return push(m, pfn, count, src, VMC_GMAP_GEN, arg, d);
}

void vmc_gmap_set_xform(struct vmc_gmap *m, vmc_gmap_xform_fn *fn, void *ctx, void (*xform_free)(void *ctx))
{
	if (m->xform_free && m->xform_ctx != ctx)
		m->xform_free(m->xform_ctx);
	m->xform = fn;
	m->xform_ctx = ctx;
	m->xform_free = xform_free;
}

enum vmc_status vmc_gmap_add_synth(struct vmc_gmap *m, uint64_t pfn, const void *page, struct vmc_diag *d)
{
	/* synth_cap counts pages: grow by page_size-byte elements */
	if (m->nsynth == m->synth_cap &&
	    vmc_grow_((void **)&m->synth, &m->synth_cap, m->nsynth + 1, m->page_size, 16, d))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for synthesised pages");
	memcpy(m->synth + m->nsynth * m->page_size, page, m->page_size);
	return push(m, pfn, 1, m->nsynth++, VMC_GMAP_SYNTH, 0, d);
}

/* sort key: pfn, then the order of adding */
struct order {
	struct vmc_gmap_ext e;
	size_t seq;
};

static int cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	if (x->e.pfn != y->e.pfn)
		return x->e.pfn < y->e.pfn ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

enum vmc_status vmc_gmap_finish(struct vmc_gmap *m, struct vmc_diag *d)
{
	struct order *o;
	size_t n = 0;

	m->npages = 0;
	m->nconflicts = 0;
	if (!m->n) {
		m->finished = true;
		return VMC_OK;
	}
	if (!(o = malloc(m->n * sizeof(*o))))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory sorting a guest frame map");
	for (size_t i = 0; i < m->n; i++)
		o[i] = (struct order){ m->ext[i], i };
	qsort(o, m->n, sizeof(*o), cmp_order);
	/* Sweep: an extent starting inside the kept coverage loses its overlapping head. Later
	 * additions overlapping earlier ones always lose: with equal pfns the earlier sorts first,
	 * and a later extent with a lower pfn that runs into an earlier one is cut at its end. */
	for (size_t i = 0; i < m->n; i++) {
		struct vmc_gmap_ext e = o[i].e;
		if (n) {
			struct vmc_gmap_ext *p = &m->ext[n - 1];
			uint64_t pend = p->pfn + p->count;
			if (e.pfn < pend) {
				uint64_t cut = pend - e.pfn < e.count ? pend - e.pfn : e.count;
				if (!m->nconflicts)
					m->first_conflict_pfn = e.pfn;
				m->nconflicts += cut;
				e.pfn += cut;
				if (e.kind != VMC_GMAP_ZERO && e.kind != VMC_GMAP_ABSENT)
					e.src += cut;
				e.count -= cut;
				if (!e.count)
					continue;
			}
			if (continues(p, &e)) {
				p->count += e.count;
				m->npages += e.count;
				continue;
			}
		}
		m->ext[n++] = e;
		m->npages += e.count;
	}
	free(o);
	m->n = n;
	m->finished = true;
	return VMC_OK;
}

size_t vmc_gmap_seek(const struct vmc_gmap *m, uint64_t pfn)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->ext[mid].pfn + m->ext[mid].count <= pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool vmc_gmap_lookup(const struct vmc_gmap *m, uint64_t pfn, struct vmc_gmap_ext *one)
{
	size_t i = vmc_gmap_seek(m, pfn);
	const struct vmc_gmap_ext *e;

	if (i >= m->n || m->ext[i].pfn > pfn)
		return false;
	e = &m->ext[i];
	one->pfn = pfn;
	one->count = 1;
	one->kind = e->kind;
	one->arg = e->arg;
	one->src = e->kind != VMC_GMAP_ZERO && e->kind != VMC_GMAP_ABSENT ? e->src + (pfn - e->pfn) : 0;
	return true;
}

const uint8_t *vmc_gmap_synth_page(const struct vmc_gmap *m, uint64_t idx)
{
	return idx < m->nsynth ? m->synth + idx * m->page_size : NULL;
}

uint64_t vmc_gmap_end(const struct vmc_gmap *m)
{
	return m->n ? m->ext[m->n - 1].pfn + m->ext[m->n - 1].count : 0;
}
