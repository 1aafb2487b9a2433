/* api_elf.c: a dump seen as an ELF vmcore at any offset: the ELF writer builds the headers
 * once (into memory), and the page data that follows them is the dump's stored frames in
 * frame order, one page each, read on demand. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "array.h"
#include "convert.h"
#include "linux_info.h"
#include "registry.h"

/* a run of stored frames; rank = how many stored frames come before it */
struct stored_run {
	uint64_t pfn, count, rank;
};

struct vmc_elf_view {
	struct vmc_dump *dump;
	uint8_t *head; /* Ehdr, Phdrs, notes, padding to a page: the bytes before the page data */
	size_t head_len;
	struct stored_run *runs;
	size_t nruns;
	uint64_t npages;
};

/* What the ELF writer's begin() writes: everything before the first page. */
static enum vmc_status build_head(struct vmc_elf_view *v, struct vmc_diag *d)
{
	struct vmc_write_opts wopts = { .codec = VMC_CODEC_NONE, .threads = 1 };
	struct vmc_out_info info;
	struct vmc_bytesink *mem = NULL;
	struct vmc_writer *w = NULL;
	const uint8_t *data;
	size_t len = 0;
	enum vmc_status rc;

	vmc_dump_out_info(v->dump, true, &info);
	if (!(rc = vmc_bytesink_new_mem(&mem, d)) && !(rc = vmc_writer_elf.new(mem, &wopts, &w, d)) &&
	    !(rc = vmc_writer_elf.begin(w, &info, d))) {
		data = vmc_bytesink_mem_data(mem, &len);
		if (!(v->head = malloc(len ? len : 1)))
			rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		else
			memcpy(v->head, data, len);
		v->head_len = len;
	}
	if (w)
		vmc_writer_elf.free(w);
	vmc_bytesink_free(mem);
	return rc;
}

static enum vmc_status build_runs(struct vmc_elf_view *v, struct vmc_diag *d)
{
	const struct vmc_dump *dump = v->dump;
	size_t cap = 0;
	enum vmc_status rc;

	for (uint64_t p = vmc_bitmap_next_set(&dump->stored, 0); p < dump->max_pfn;) {
		uint64_t e = vmc_bitmap_next_clear(&dump->stored, p);
		if ((rc = vmc_grow(&v->runs, &cap, v->nruns + 1, 64, d)))
			return rc;
		v->runs[v->nruns++] = (struct stored_run){ p, e - p, v->npages };
		v->npages += e - p;
		p = vmc_bitmap_next_set(&dump->stored, e);
	}
	return VMC_OK;
}

enum vmc_status vmc_elf_view_open(struct vmc_dump *dump, struct vmc_elf_view **ret, struct vmc_diag *d)
{
	struct vmc_elf_view *v = calloc(1, sizeof(*v));
	enum vmc_status rc;

	*ret = NULL;
	if (!v)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	v->dump = dump;
	vmc_linux_info_fill(dump); /* the kernel facts an ELF output carries, as vmc_write() has them */
	if ((rc = build_head(v, d)) || (rc = build_runs(v, d))) {
		vmc_elf_view_free(v);
		return rc;
	}
	*ret = v;
	return VMC_OK;
}

uint64_t vmc_elf_view_size(const struct vmc_elf_view *v)
{
	return v->head_len + v->npages * v->dump->page_size;
}

/* the frame whose page is the rank-th of the page data */
static uint64_t pfn_of_rank(const struct vmc_elf_view *v, uint64_t rank)
{
	size_t lo = 0, hi = v->nruns;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->runs[mid].rank <= rank)
			lo = mid;
		else
			hi = mid;
	}
	return v->runs[lo].pfn + (rank - v->runs[lo].rank);
}

enum vmc_status vmc_elf_view_read(struct vmc_elf_view *v, uint64_t off, void *buf, size_t len, struct vmc_diag *d)
{
	uint32_t ps = v->dump->page_size;
	uint8_t *out = buf, *page = NULL;
	enum vmc_status rc = VMC_OK;

	if (off > vmc_elf_view_size(v) || len > vmc_elf_view_size(v) - off)
		return vmc_fail(d, VMC_ERR_ARGS, "%s: ELF view: read of %zu bytes at 0x%llx past its end (0x%llx)",
				v->dump->name, len, (unsigned long long)off, (unsigned long long)vmc_elf_view_size(v));
	for (size_t n; len && !rc; out += n, off += n, len -= n) {
		if (off < v->head_len) {
			n = v->head_len - off < len ? v->head_len - off : len;
			memcpy(out, v->head + off, n);
			continue;
		}
		uint64_t rank = (off - v->head_len) / ps, in = (off - v->head_len) % ps;
		n = ps - in < len ? ps - in : len;
		if (!page && !(page = malloc(ps))) {
			rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
			break;
		}
		if (!(rc = vmc_dump_read_pfn(v->dump, pfn_of_rank(v, rank), page, d)))
			memcpy(out, page + in, n);
	}
	free(page);
	return rc;
}

void vmc_elf_view_free(struct vmc_elf_view *v)
{
	if (!v)
		return;
	free(v->head);
	free(v->runs);
	free(v);
}
