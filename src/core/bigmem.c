/* bigmem.c: huge-page-advised anonymous buffers (see bigmem.h). */
#include "bigmem.h"

#include <stdint.h>
#include <sys/mman.h>

enum { HUGE = 2 << 20 };

/* Bytes mapped for n: whole huge pages from 1 MiB up (at most 1 MiB more than asked, against
 * 256 dear faults), else whole 4 KiB pages. */
static size_t mapped_len(size_t n)
{
	size_t unit = n >= HUGE / 2 ? HUGE : 4096;

	return (n + unit - 1) / unit * unit;
}

void *vmc_bigmem_alloc(size_t n)
{
	size_t len = mapped_len(n ? n : 1), extra = len >= HUGE ? HUGE : 0;
	uint8_t *p = mmap(NULL, len + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t head;

	if (p == MAP_FAILED)
		return NULL;
	if (!extra)
		return p;
	/* align to 2 MiB (a huge page needs an aligned range), unmap the slack on both sides */
	head = (HUGE - (uintptr_t)p % HUGE) % HUGE;
	if (head)
		munmap(p, head);
	if (extra - head)
		munmap(p + head + len, extra - head);
#ifdef MADV_HUGEPAGE
	madvise(p + head, len, MADV_HUGEPAGE);
#endif
	return p + head;
}

void vmc_bigmem_free(void *p, size_t n)
{
	if (p)
		munmap(p, mapped_len(n ? n : 1));
}
