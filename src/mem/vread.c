/* vread.c: the one virtual-read loop (see vread.h). */
#include "vread.h"

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
		if ((rc = vmc_physmem_read(pm, pa, out, n, d)))
			return vmc_wrap(d, rc, "%s 0x%llx", what, (unsigned long long)va);
		out += n;
		va += n;
		len -= n;
	}
	return VMC_OK;
}
