/* fuzz_pagewalk.c: the input as hostile page tables. Byte 0 picks the format and levels,
 * byte 1 the root frame; the rest is physical memory from address 0 (in 4 KiB frames) of
 * an ELF dump built around it. Walk the whole space, translate, build a guest frame map
 * from the leaves and read the guest through its dump view: bounded work, no crash. */
#include <elf.h>

#include "fuzz_common.h"
#include "gmap.h"
#include "guest_dump.h"
#include "pagewalk.h"

enum { MAX_FRAMES = 64 };

struct leafs {
	struct vmc_gmap *map;
	uint64_t last_va, n;
	uint64_t max_frames;
};

static enum vmc_status on_leaf(uint64_t va, uint64_t pa, uint64_t size, uint64_t entry, void *arg)
{
	struct leafs *l = arg;
	struct vmc_diag d;

	(void)entry;
	FZ_ASSERT(!l->n || va > l->last_va); /* ascending, canonical upper half last */
	FZ_ASSERT(size == 4096 || size == (2u << 20) || size == (1u << 30));
	FZ_ASSERT((pa & (size - 1)) == 0);
	l->last_va = va;
	l->n++;
	vmc_diag_init(&d);
	/* only the first frames of a large page: the map must stay small */
	return vmc_gmap_add(l->map, (va >> 12) & 0xfffff, pa >> 12, size > 4096 ? 2 : 1, &d) ? VMC_ERR_NOMEM : VMC_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t mem_len, file_len;
	uint8_t *file;
	Elf64_Phdr *ph;
	struct vmc_bytesrc *src;
	struct vmc_dump *host = NULL, *gd = NULL;
	struct vmc_physmem pm;
	struct vmc_pt pt = { 0 };
	struct vmc_guest g;
	struct leafs l = { 0 };
	struct vmc_diag d;

	if (size < 2)
		return 0;
	mem_len = ((size - 2 + 4095) / 4096) * 4096;
	if (mem_len / 4096 > MAX_FRAMES)
		mem_len = MAX_FRAMES * 4096;
	if (!mem_len)
		return 0;
	file_len = 4096 + mem_len;
	if (!(file = calloc(1, file_len)))
		return 0;
	memcpy(file + 4096, data + 2, size - 2 < mem_len ? size - 2 : mem_len);
	ph = fz_elf_header(file, 1);
	ph->p_type = PT_LOAD;
	ph->p_offset = 4096;
	ph->p_filesz = ph->p_memsz = mem_len;
	vmc_diag_init(&d);
	if (vmc_bytesrc_new_mem("fuzz", file, file_len, &src, &d)) {
		free(file);
		return 0;
	}
	if (vmc_dump_open_srcs(&src, 1, &host, &d)) {
		vmc_bytesrc_free(src);
		free(file);
		return 0;
	}
	FZ_ASSERT(vmc_physmem_init(&pm, host, &d) == VMC_OK);
	pt.pm = &pm;
	pt.format = data[0] & 1 ? VMC_PT_EPT : VMC_PT_X86_64;
	pt.levels = data[0] & 2 ? 5 : 4;
	pt.root = (uint64_t)(data[1] % (mem_len / 4096)) << 12;
	pt.max_leaves = 1u << 14;
	memset(&g, 0, sizeof(g));
	vmc_gmap_init(&g.map, 4096);
	strcpy(g.id, "f");
	l.map = &g.map;
	{
		struct vmc_pt_stats st = { 0 };
		enum vmc_status rc = vmc_pt_walk(&pt, 0, 0, on_leaf, &l, &st, &d);
		FZ_ASSERT(rc == VMC_OK || rc == VMC_ERR_LIMIT || rc == VMC_ERR_NOMEM);
		FZ_ASSERT(l.n <= pt.max_leaves);
		FZ_ASSERT(st.leaves[0] + st.leaves[1] + st.leaves[2] == l.n);
	}
	for (unsigned i = 0; i < 16; i++) {
		uint64_t va = (uint64_t)data[(i + 2) % size] << (12 + (i % 4) * 9), pa = 0, psz = 0;
		if (vmc_pt_translate(&pt, va, &pa, &psz, &d) == VMC_OK)
			FZ_ASSERT(psz == 4096 || psz == (2u << 20) || psz == (1u << 30));
	}
	if (vmc_gmap_finish(&g.map, &d) == VMC_OK && vmc_guest_dump_open(host, &g, &gd, &d) == VMC_OK) {
		uint8_t *buf = malloc(gd->page_size), *scratch = malloc(gd->scratch_size + 1);
		unsigned n = 0;
		FZ_ASSERT(buf && scratch);
		for (uint64_t pfn = vmc_bitmap_next_set(&gd->stored, 0); pfn < gd->max_pfn && n < 256;
		     pfn = vmc_bitmap_next_set(&gd->stored, pfn + 1), n++)
			FZ_ASSERT(gd->ops->read_page(gd, pfn, buf, scratch, &d) == VMC_OK);
		free(buf);
		free(scratch);
		vmc_dump_close(gd);
	}
	vmc_gmap_free(&g.map);
	vmc_physmem_fini(&pm);
	vmc_dump_close(host);
	free(file);
	return 0;
}
