/* vread.c: the one virtual-read loop (see vread.h). */
#include "vread.h"

#define VREAD_RUN_MAX ((size_t)1 << 21) /* bytes per physical read */

/* Whole pages after the one at va (page-aligned, at pa) that translate to the frames right after
 * pa: the bytes from va that one physical run can serve (at most len). */
static size_t contiguous(vmc_translate_fn *translate, void *arg, uint64_t va, uint64_t pa, size_t len)
{
	size_t run = 4096;

	while (len - run >= 4096 && run < VREAD_RUN_MAX) {
		uint64_t next = 0;
		struct vmc_diag tmp;
		vmc_diag_init(&tmp);
		if (translate(arg, va + run, &next, &tmp) || next != pa + run)
			break;
		run += 4096;
	}
	return run;
}

enum vmc_status vmc_vread(vmc_translate_fn *translate, void *arg, struct vmc_physmem *pm, const char *what,
			  uint64_t va, void *buf, size_t len, struct vmc_diag *d)
{
	uint8_t *out = buf;

	while (len) {
		uint64_t pa = 0;
		size_t n = 4096 - (va & 0xfff);
		enum vmc_status rc;

		if (n > len)
			n = len;
		if ((rc = translate(arg, va, &pa, d)))
			return rc;
		/* big reads (BTF, symbol tables) in one go where the pages are physically contiguous;
		 * anything the run cannot serve goes page by page, with the same messages as ever */
		if (n == 4096 && len > 4096 && !(pa & 0xfff)) {
			size_t run = contiguous(translate, arg, va, pa, len);
			if (run > 4096 && vmc_physmem_read_run(pm, pa, out, run)) {
				out += run;
				va += run;
				len -= run;
				continue;
			}
		}
		if ((rc = vmc_physmem_read(pm, pa, out, n, d)))
			return vmc_wrap(d, rc, "%s 0x%llx", what, (unsigned long long)va);
		out += n;
		va += n;
		len -= n;
	}
	return VMC_OK;
}

const void *vmc_vmap(vmc_translate_fn *translate, void *arg, struct vmc_physmem *pm, uint64_t va, size_t len)
{
	uint64_t vpage = va & ~0xfffull, pa0 = 0, span = ((va & 0xfff) + len + 0xfff) & ~0xfffull;
	const uint8_t *p;
	struct vmc_diag tmp;

	vmc_diag_init(&tmp);
	if (!len || va + len < va || pm->dump->page_size != 4096 || translate(arg, vpage, &pa0, &tmp) || (pa0 & 0xfff))
		return NULL;
	for (uint64_t off = 4096; off < span; off += 4096) {
		uint64_t pa = 0;
		if (translate(arg, vpage + off, &pa, &tmp) || pa != pa0 + off)
			return NULL;
	}
	if (!(p = vmc_physmem_map_run(pm, pa0, span)))
		return NULL;
	return p + (va & 0xfff);
}
