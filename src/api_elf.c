/* api_elf.c: a dump seen as an ELF vmcore at any offset: the ELF writer builds the headers
 * once (into memory), and the page data that follows them is the dump's stored frames in
 * frame order, one page each, read on demand: runs of whole pages straight into the caller's
 * buffer (read_run: one pread for an ELF input), other pages through read_page (decompressed),
 * the partly read ones kept in a small cache so that unaligned readers decompress a page once. */
#include <pthread.h>
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

/* partly read pages, direct-mapped by pfn; bounded: VIEW_CACHE_SLOTS pages */
#define VIEW_CACHE_SLOTS 64
struct cache_slot {
	pthread_mutex_t lock;
	uint64_t pfn; /* UINT64_MAX: empty */
	uint8_t *data;
};

struct vmc_elf_view {
	struct vmc_dump *dump;
	struct cache_slot cache[VIEW_CACHE_SLOTS];
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
	for (size_t i = 0; i < VIEW_CACHE_SLOTS; i++) {
		pthread_mutex_init(&v->cache[i].lock, NULL);
		v->cache[i].pfn = UINT64_MAX;
	}
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

/* the stored run that holds the rank-th page of the page data */
static size_t run_of_rank(const struct vmc_elf_view *v, uint64_t rank)
{
	size_t lo = 0, hi = v->nruns;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->runs[mid].rank <= rank)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* count whole pages from the rank-th into out: consecutive frames in one read_run when the
 * reader has it, else page by page */
static enum vmc_status read_pages(struct vmc_elf_view *v, uint64_t rank, uint64_t count, uint8_t *out,
				  void *scratch, struct vmc_diag *d)
{
	struct vmc_dump *dump = v->dump;
	uint32_t ps = dump->page_size;
	enum vmc_status rc;

	while (count) {
		const struct stored_run *r = &v->runs[run_of_rank(v, rank)];
		uint64_t pfn = r->pfn + (rank - r->rank), n = r->count - (rank - r->rank);
		if (n > count)
			n = count;
		rc = n > 1 && dump->ops->read_run ? dump->ops->read_run(dump, pfn, n, out, d) : VMC_ERR_UNSUPPORTED;
		if (rc == VMC_ERR_UNSUPPORTED)
			for (uint64_t i = 0; i < n && !(rc = vmc_dump_read_page(dump, pfn + i, out + i * ps, scratch, d)); i++)
				;
		if (rc)
			return rc;
		rank += n;
		count -= n;
		out += n * ps;
	}
	return VMC_OK;
}

/* len bytes at in of the rank-th page, through the cache */
static enum vmc_status read_part(struct vmc_elf_view *v, uint64_t rank, size_t in, size_t len, uint8_t *out,
				 void *scratch, struct vmc_diag *d)
{
	const struct stored_run *r = &v->runs[run_of_rank(v, rank)];
	uint64_t pfn = r->pfn + (rank - r->rank);
	struct cache_slot *c = &v->cache[pfn % VIEW_CACHE_SLOTS];
	enum vmc_status rc = VMC_OK;

	pthread_mutex_lock(&c->lock);
	if (c->pfn != pfn) {
		c->pfn = UINT64_MAX;
		if (!c->data && !(c->data = malloc(v->dump->page_size)))
			rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		else if (!(rc = vmc_dump_read_page(v->dump, pfn, c->data, scratch, d)))
			c->pfn = pfn;
	}
	if (!rc)
		memcpy(out, c->data + in, len);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* [off, off + len) of the page data (off counted from its start) */
static enum vmc_status read_data(struct vmc_elf_view *v, uint64_t off, uint8_t *out, size_t len, void *scratch,
				 struct vmc_diag *d)
{
	uint32_t ps = v->dump->page_size;
	enum vmc_status rc = VMC_OK;

	while (len && !rc) {
		uint64_t rank = off / ps, in = off % ps, n;
		if (in || len < ps) {
			n = ps - in < len ? ps - in : len;
			rc = read_part(v, rank, (size_t)in, (size_t)n, out, scratch, d);
		} else {
			n = len / ps * ps;
			rc = read_pages(v, rank, n / ps, out, scratch, d);
		}
		out += n;
		off += n;
		len -= (size_t)n;
	}
	return rc;
}

enum vmc_status vmc_elf_view_read(struct vmc_elf_view *v, uint64_t off, void *buf, size_t len, struct vmc_diag *d)
{
	uint8_t *out = buf;
	void *scratch;
	enum vmc_status rc;

	if (off > vmc_elf_view_size(v) || len > vmc_elf_view_size(v) - off)
		return vmc_fail(d, VMC_ERR_ARGS, "%s: ELF view: read of %zu bytes at 0x%llx past its end (0x%llx)",
				v->dump->name, len, (unsigned long long)off, (unsigned long long)vmc_elf_view_size(v));
	if (off < v->head_len) {
		size_t n = v->head_len - off < len ? (size_t)(v->head_len - off) : len;
		memcpy(out, v->head + off, n);
		out += n;
		off += n;
		len -= n;
	}
	if (!len)
		return VMC_OK;
	/* per call, so that callers may read from several threads */
	if (!(scratch = malloc(v->dump->scratch_size ? v->dump->scratch_size : 1)))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	rc = read_data(v, off - v->head_len, out, len, scratch, d);
	free(scratch);
	return rc;
}

void vmc_elf_view_free(struct vmc_elf_view *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < VIEW_CACHE_SLOTS; i++) {
		pthread_mutex_destroy(&v->cache[i].lock);
		free(v->cache[i].data);
	}
	free(v->head);
	free(v->runs);
	free(v);
}
