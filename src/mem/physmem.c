/* physmem.c: byte-addressed physical reads for the carvers, through the dump's reader. */
#include "physmem.h"

#include <stdlib.h>
#include <string.h>

#include "bytesrc.h"

#define PREFAULT_MIN ((size_t)256 << 10) /* smaller reads: the faults cost less than the call */

enum vmc_status vmc_physmem_init(struct vmc_physmem *pm, struct vmc_dump *dump, struct vmc_diag *d)
{
	memset(pm, 0, sizeof(*pm));
	pm->dump = dump;
	pm->page = malloc(dump->page_size);
	pm->scratch = dump->scratch_size ? malloc(dump->scratch_size) : NULL;
	if (!pm->page || (dump->scratch_size && !pm->scratch)) {
		vmc_physmem_fini(pm);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	return VMC_OK;
}

void vmc_physmem_fini(struct vmc_physmem *pm)
{
	free(pm->page);
	free(pm->scratch);
	pm->page = NULL;
	pm->scratch = NULL;
	pm->cached = false;
}

bool vmc_physmem_has(const struct vmc_physmem *pm, uint64_t pfn)
{
	return vmc_bitmap_test(&pm->dump->stored, pfn);
}

const uint8_t *vmc_physmem_frame(struct vmc_physmem *pm, uint64_t pfn, struct vmc_diag *d)
{
	struct vmc_dump *dump = pm->dump;
	enum vmc_status rc;

	if (pm->cached && pm->cached_pfn == pfn)
		return pm->page;
	if (!vmc_bitmap_test(&dump->stored, pfn)) {
		const char *why = pfn >= dump->max_pfn || !vmc_bitmap_test(&dump->ram, pfn) ? "is not RAM in the dump"
				  : vmc_bitmap_live(&dump->missing) && vmc_bitmap_test(&dump->missing, pfn) ? "is missing from the dump"
												 : "was excluded by the dumper";
		vmc_fail(d, VMC_ERR_MISSING, "%s: physical address 0x%llx %s", dump->name,
			 (unsigned long long)(pfn << dump->page_shift), why);
		return NULL;
	}
	pm->cached = false;
	rc = dump->ops->read_page(dump, pfn, pm->page, pm->scratch, d);
	if (rc)
		return NULL;
	pm->cached = true;
	pm->cached_pfn = pfn;
	pm->reads++;
	if (dump->read_log && pfn < dump->read_log->nbits)
		vmc_bitmap_set(dump->read_log, pfn);
	return pm->page;
}

enum vmc_status vmc_physmem_read(struct vmc_physmem *pm, uint64_t addr, void *buf, size_t len, struct vmc_diag *d)
{
	uint32_t psz = pm->dump->page_size;
	uint8_t *out = buf;

	while (len) {
		uint64_t off = addr & (psz - 1);
		size_t n = psz - off < len ? psz - off : len;
		const uint8_t *p = vmc_physmem_frame(pm, addr >> pm->dump->page_shift, d);
		if (!p)
			return d->status;
		memcpy(out, p + off, n);
		out += n;
		len -= n;
		if (addr + n < addr && len) /* wrapped past the top of the address space */
			return vmc_fail(d, VMC_ERR_CORRUPT, "%s: read wraps past the top of physical memory",
					pm->dump->name);
		addr += n;
	}
	return VMC_OK;
}

/* addr..addr+len are whole frames of the dump, all stored. */
static bool whole_stored(const struct vmc_dump *dump, uint64_t addr, size_t len)
{
	uint64_t pfn = addr >> dump->page_shift, count = len >> dump->page_shift;

	return !((addr | len) & (dump->page_size - 1)) && count && pfn + count >= pfn && pfn + count <= dump->max_pfn &&
	       vmc_bitmap_next_clear_before(&dump->stored, pfn, pfn + count) >= pfn + count;
}

static void log_run(struct vmc_physmem *pm, uint64_t pfn, uint64_t count)
{
	struct vmc_dump *dump = pm->dump;

	pm->reads += count;
	for (uint64_t f = pfn; dump->read_log && f < pfn + count && f < dump->read_log->nbits; f++)
		vmc_bitmap_set(dump->read_log, f);
}

const uint8_t *vmc_physmem_map_run(struct vmc_physmem *pm, uint64_t addr, size_t len)
{
	struct vmc_dump *dump = pm->dump;
	uint64_t pfn = addr >> dump->page_shift, count = len >> dump->page_shift;
	const uint8_t *p;

	if (!dump->ops->map_run || !whole_stored(dump, addr, len) || !(p = dump->ops->map_run(dump, pfn, count)))
		return NULL;
	log_run(pm, pfn, count);
	return p;
}

bool vmc_physmem_read_run(struct vmc_physmem *pm, uint64_t addr, void *buf, size_t len)
{
	struct vmc_dump *dump = pm->dump;
	uint64_t pfn = addr >> dump->page_shift, count = len >> dump->page_shift;
	struct vmc_diag tmp;

	if (!dump->ops->read_run || !whole_stored(dump, addr, len))
		return false;
	vmc_diag_init(&tmp);
	/* a fresh buffer only: prefaulting one already in use is a wasted walk of its page table
	 * (the Xen scans read all of dom0 into one 256 KiB buffer: 6 % of `list`) */
	if (len >= PREFAULT_MIN && (buf != pm->prefaulted || len > pm->prefaulted_len)) {
		vmc_bytesrc_prefault(buf, len);
		pm->prefaulted = buf;
		pm->prefaulted_len = len;
	}
	if (dump->ops->read_run(dump, pfn, count, buf, &tmp))
		return false;
	log_run(pm, pfn, count);
	return true;
}

enum vmc_status vmc_physmem_read_u64(struct vmc_physmem *pm, uint64_t addr, uint64_t *val, struct vmc_diag *d)
{
	return vmc_physmem_read(pm, addr, val, sizeof(*val), d);
}

enum vmc_status vmc_physmem_read_u32(struct vmc_physmem *pm, uint64_t addr, uint32_t *val, struct vmc_diag *d)
{
	return vmc_physmem_read(pm, addr, val, sizeof(*val), d);
}

bool vmc_physmem_peek(struct vmc_physmem *pm, uint64_t pfn, uint32_t off, void *buf, size_t len)
{
	struct vmc_dump *dump = pm->dump;
	const uint8_t *p;
	struct vmc_diag d;

	if (!vmc_bitmap_test(&dump->stored, pfn) || off > dump->page_size || len > dump->page_size - off)
		return false;
	if (dump->ops->map_run && (p = dump->ops->map_run(dump, pfn, 1))) {
		memcpy(buf, p + off, len);
		return true;
	}
	vmc_diag_init(&d);
	if (!(p = vmc_physmem_frame(pm, pfn, &d)))
		return false;
	memcpy(buf, p + off, len);
	return true;
}

void vmc_physmem_window_init(struct vmc_physmem_window *w, struct vmc_physmem *pm)
{
	*w = (struct vmc_physmem_window){ .pm = pm };
	w->buf = malloc((size_t)VMC_PHYSMEM_WINDOW_FRAMES << pm->dump->page_shift);
}

void vmc_physmem_window_fini(struct vmc_physmem_window *w)
{
	free(w->buf);
	w->buf = NULL;
	w->n = 0;
}

bool vmc_physmem_window_read(struct vmc_physmem_window *w, uint64_t first, uint64_t n)
{
	unsigned shift = w->pm->dump->page_shift;

	w->n = 0; /* a failed read may have overwritten part of it */
	if (!w->buf || n < 2 || n > VMC_PHYSMEM_WINDOW_FRAMES ||
	    !vmc_physmem_read_run(w->pm, first << shift, w->buf, (size_t)n << shift))
		return false;
	w->first = first;
	w->n = n;
	return true;
}

const uint8_t *vmc_physmem_window_get(const struct vmc_physmem_window *w, uint64_t pfn)
{
	return w->n && pfn >= w->first && pfn - w->first < w->n ? w->buf + ((pfn - w->first) << w->pm->dump->page_shift)
								: NULL;
}

const uint8_t *vmc_physmem_window_frame(struct vmc_physmem_window *w, uint64_t pfn, vmc_physmem_run_fn run, void *arg,
					struct vmc_diag *d)
{
	const uint8_t *p = vmc_physmem_window_get(w, pfn);
	uint64_t first = pfn, n;

	if (p)
		return p;
	n = run(arg, pfn, VMC_PHYSMEM_WINDOW_FRAMES, &first);
	if (vmc_physmem_window_read(w, first, n) && (p = vmc_physmem_window_get(w, pfn)))
		return p;
	return vmc_physmem_frame(w->pm, pfn, d);
}
