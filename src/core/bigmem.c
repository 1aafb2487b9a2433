/* bigmem.c: huge-page-advised anonymous buffers (see bigmem.h). */
#include "bigmem.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

enum { HUGE = 2 << 20 };

/* The one threshold: from 1 MiB up, whole huge pages (at most 1 MiB more than asked, against
 * 256 dear faults); below it, the heap. */
static bool is_big(size_t n)
{
	return n >= HUGE / 2;
}

static size_t mapped_len(size_t n)
{
	return (n + HUGE - 1) / HUGE * HUGE;
}

void *vmc_bigmem_alloc(size_t n)
{
	size_t len = mapped_len(n);
	uint8_t *p;
	uintptr_t head;

	if (!is_big(n))
		return calloc(1, n ? n : 1);
	p = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* align to 2 MiB (a huge page needs an aligned range), unmap the slack on both sides */
	head = (HUGE - (uintptr_t)p % HUGE) % HUGE;
	if (head)
		munmap(p, head);
	if (HUGE - head)
		munmap(p + head + len, HUGE - head);
#ifdef MADV_HUGEPAGE
	madvise(p + head, len, MADV_HUGEPAGE);
#endif
	return p + head;
}

void vmc_bigmem_free(void *p, size_t n)
{
	if (!is_big(n))
		free(p);
	else if (p)
		munmap(p, mapped_len(n));
}
