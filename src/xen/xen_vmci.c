/* xen_vmci.c: the search for a PV guest kernel's VMCOREINFO note over the domain's frames in
 * pfn order (the note's address is nowhere Xen keeps), on two threads: it reads every frame up
 * to the note, some 90 MiB on the test bed, and was the largest cost before a carve writes. */
#include "xen_vmci.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "guest_dump.h"
#include "linux_info.h"
#include "workpool.h"

/* The unit of work: 8 MiB of the guest, one claim each. Large enough that claims cost nothing,
 * small enough that the second thread has a share before a note that sits low. */
#define CHUNK_PFNS 2048ull

bool vmc_xen_pv_kva_read(struct vmc_physmem *pm, const struct xen_p2m *p, uint64_t kva, uint64_t phys_base, void *buf,
			 size_t len)
{
	uint8_t *out = buf;

	while (len) {
		uint64_t pa = kva - VMC_X86_64_START_KERNEL_MAP + phys_base, pfn = pa >> 12, mfn, e;
		size_t n = 4096 - (pa & 0xfff);
		struct vmc_diag tmp;
		if (n > len)
			n = len;
		if (kva < VMC_X86_64_START_KERNEL_MAP || pfn >= p->npfn)
			return false;
		e = vmc_xen_p2m_get(p, pfn);
		mfn = e & ~(XEN_P2M_IDENTITY_BIT | XEN_P2M_FOREIGN_BIT);
		vmc_diag_init(&tmp);
		if (e == XEN_P2M_INVALID || vmc_physmem_read(pm, (mfn << 12) | (pa & 0xfff), out, n, &tmp))
			return false;
		out += n;
		kva += n;
		len -= n;
	}
	return true;
}

/* What the threads share: the chunks are claimed in order, and a thread that finds a note
 * lowers `found`, past which no chunk is begun or finished. */
struct vmci_shared {
	const struct xen_host *x;
	const struct xen_p2m *p;
	uint32_t pickled;
	uint64_t nchunk;
	atomic_uint_fast64_t next;  /* the next chunk to claim */
	atomic_uint_fast64_t found; /* the lowest chunk holding a validated note; nchunk: none yet */
	uint32_t *ncand;	    /* per chunk: frames that began with the name (up to its note) */
	bool threaded;		    /* two searchers: no mapped peeks (the mapping's bookkeeping is not shared) */
};

/* One thread's search: its own reads (frame cache, held p2m page, frame-table hint), so that
 * two run at once; the rest of x and p is only read. */
struct vmci_searcher {
	struct vmci_shared *sh;
	struct vmc_physmem pm;
	struct xen_p2m p; /* sh->p with its own held page, read through pm */
	struct xen_p2m_page page;
	struct vmc_physmem_window win;
	size_t hint;
	uint64_t chunk;	      /* the chunk being searched */
	struct xen_vmci best; /* the note this thread found, in chunk best_chunk */
	uint64_t best_chunk;
};

struct pv_kva {
	struct vmc_physmem *pm;
	const struct xen_p2m *p;
};

static bool pv_kva_read(void *arg, uint64_t kva, uint64_t phys_base, void *buf, size_t len)
{
	struct pv_kva *r = arg;
	return vmc_xen_pv_kva_read(r->pm, r->p, kva, phys_base, buf, len);
}

/* A note at the start of frame pg, validated against init_uts_ns read through the guest's p2m
 * (its release must be the note's): its text, malloc'd, else NULL. */
static uint8_t *note_candidate(struct vmci_searcher *w, const uint8_t *pg, size_t *tlen)
{
	size_t len = vmc_guest_vmcoreinfo_note_at(pg, 4096);
	uint8_t *text;

	/* pg may be the frame cache, which the check's reads reuse: the text is copied first */
	if (!len || !(text = malloc(len)))
		return NULL;
	memcpy(text, pg + VMC_GUEST_NOTE_HDR, len);
	if (vmc_guest_vmcoreinfo_check(text, len, pv_kva_read, &(struct pv_kva){ &w->pm, &w->p })) {
		*tlen = len;
		return text;
	}
	free(text);
	return NULL;
}

/* The mfn of pfn when the search looks at it: owned by the domain, not Xen heap, stored. */
static bool search_frame(struct vmci_searcher *w, uint64_t pfn, uint64_t *mfn)
{
	const struct xen_host *x = w->sh->x;

	*mfn = vmc_xen_p2m_get(&w->p, pfn);
	return *mfn != XEN_P2M_INVALID && !(*mfn & (XEN_P2M_IDENTITY_BIT | XEN_P2M_FOREIGN_BIT)) &&
	       vmc_xen_frames_own_ram_at(x, *mfn, w->sh->pickled, &w->hint) && vmc_bitmap_test(&x->dump->stored, *mfn);
}

/* One frame's bytes: a candidate when it starts with the note's name; true when it validates
 * (the chunk's search ends there). */
static bool look(struct vmci_searcher *w, uint64_t pfn, uint64_t mfn, const uint8_t *pg)
{
	struct vmci_shared *sh = w->sh;
	uint64_t c = w->chunk, seen;
	uint8_t *text;
	size_t len = 0;

	if (memcmp(pg + 12, "VMCOREINFO", 10))
		return false;
	sh->ncand[c]++;
	if (!(text = note_candidate(w, pg, &len)))
		return false;
	/* a thread finds one note at most: its next claim is past `found` */
	w->best = (struct xen_vmci){ .text = text, .len = len, .pfn = pfn, .mfn = mfn };
	w->best_chunk = c;
	seen = atomic_load(&sh->found);
	while (c < seen && !atomic_compare_exchange_weak(&sh->found, &seen, c))
		;
	return true;
}

/* The frames from pfn (< end) whose mfns follow each other, read in one go (the domain's frames
 * are mostly contiguous, and a copy costs less than faulting a mapping in under
 * virtualisation); a frame alone is read by itself. Returns how many were looked at. */
static uint64_t search_run(struct vmci_searcher *w, uint64_t pfn, uint64_t end, uint64_t mfn, bool *hit)
{
	uint64_t n = 1, m;
	const uint8_t *pg;
	uint8_t name[10];
	struct vmc_diag tmp;

	while (n < VMC_PHYSMEM_WINDOW_FRAMES && pfn + n < end && search_frame(w, pfn + n, &m) && m == mfn + n)
		n++;
	if (vmc_physmem_window_read(&w->win, mfn, n)) {
		for (uint64_t k = 0; k < n; k++)
			if ((*hit = look(w, pfn + k, mfn + k, vmc_physmem_window_get(&w->win, mfn + k))))
				return k + 1;
		return n;
	}
	/* alone, a look at the name first (in place when the dump is mapped) */
	if (!w->sh->threaded &&
	    (!vmc_physmem_peek(&w->pm, mfn, 12, name, sizeof(name)) || memcmp(name, "VMCOREINFO", 10)))
		return 1;
	vmc_diag_init(&tmp);
	if ((pg = vmc_physmem_frame(&w->pm, mfn, &tmp)))
		*hit = look(w, pfn, mfn, pg);
	return 1;
}

static void search_chunk(struct vmci_searcher *w, uint64_t c)
{
	struct vmci_shared *sh = w->sh;
	uint64_t pfn = c * CHUNK_PFNS, end = pfn + CHUNK_PFNS < sh->p->npfn ? pfn + CHUNK_PFNS : sh->p->npfn, mfn;
	bool hit = false;

	w->chunk = c;
	/* a chunk above one that holds a note is not needed: given up between runs */
	while (pfn < end && !hit && c < atomic_load(&sh->found))
		pfn += search_frame(w, pfn, &mfn) ? search_run(w, pfn, end, mfn, &hit) : 1;
}

static void search_chunks(struct vmci_searcher *w)
{
	struct vmci_shared *sh = w->sh;

	for (;;) {
		uint64_t c = atomic_fetch_add(&sh->next, 1);
		if (c >= sh->nchunk || c > atomic_load(&sh->found))
			return;
		search_chunk(w, c);
	}
}

static void *helper_main(void *arg)
{
	search_chunks(arg);
	return NULL;
}

static enum vmc_status searcher_init(struct vmci_searcher *w, struct vmci_shared *sh, struct vmc_diag *d)
{
	enum vmc_status rc;

	memset(w, 0, sizeof(*w));
	w->sh = sh;
	w->best_chunk = ~0ull;
	if ((rc = vmc_physmem_init(&w->pm, sh->x->dump, d)))
		return rc;
	w->p = *sh->p;
	w->p.pm = &w->pm;
	w->p.page = &w->page;
	w->page.leaf = ~0ull;
	vmc_physmem_window_init(&w->win, &w->pm);
	return VMC_OK;
}

static void searcher_release(struct vmci_searcher *w)
{
	vmc_physmem_window_fini(&w->win);
	vmc_physmem_fini(&w->pm);
	free(w->best.text);
}

/* The CPUs the helper may run on: those the caller may, but the one it is on now (none when
 * that leaves none). */
static bool helper_cpus(cpu_set_t *set)
{
	int here = sched_getcpu();

	if (sched_getaffinity(0, sizeof(*set), set))
		return false;
	if (here >= 0 && here < CPU_SETSIZE)
		CPU_CLR(here, set);
	return CPU_COUNT(set) > 0;
}

/* Two threads when there is more than one chunk, no log of the frames read (dump->read_log is
 * one bitmap that both would set bits of), and a CPU for the helper. */
static bool two_threads(const struct vmci_shared *sh, cpu_set_t *cpus)
{
	return sh->nchunk > 1 && !sh->x->dump->read_log && helper_cpus(cpus);
}

/* The searchers' outcome in r (all zero): the note of the lowest chunk, the candidates up to it. */
static void conclude(struct vmci_shared *sh, struct vmci_searcher *w, unsigned nw, struct xen_vmci *r)
{
	uint64_t found = atomic_load(&sh->found);

	r->threads = nw;
	for (uint64_t c = 0; c < sh->nchunk && c <= found; c++)
		r->ncand += sh->ncand[c];
	for (unsigned i = 0; i < nw; i++)
		if (w[i].best_chunk == found) {
			r->text = w[i].best.text, r->len = w[i].best.len, r->pfn = w[i].best.pfn,
			r->mfn = w[i].best.mfn;
			w[i].best.text = NULL;
		}
}

/* A search under way: the helper, when there is one (nw 2: w[1]), at work since
 * vmc_xen_vmci_begin. */
struct xen_vmci_search {
	struct vmci_shared sh;
	struct vmci_searcher w[2];
	unsigned nw;
	pthread_t helper;
};

static void search_free(struct xen_vmci_search *s)
{
	for (unsigned i = 0; i < s->nw; i++)
		searcher_release(&s->w[i]);
	free(s->sh.ncand);
	free(s);
}

/* The helper thread, when two_threads() allows it and it can be had; else the search is the
 * caller's alone. The helper starts on another CPU than the caller's: a new thread otherwise
 * starts in its creator's CPU's queue and, while the creator computes, waits there for the
 * scheduler's next tick (4 ms measured here), the other CPU idle. */
static void start_helper(struct xen_vmci_search *s)
{
	struct vmci_searcher *w = &s->w[s->nw];
	cpu_set_t cpus;

	if (!two_threads(&s->sh, &cpus) || searcher_init(w, &s->sh, &(struct vmc_diag){ 0 }))
		return;
	s->sh.threaded = true; /* before the helper starts: both read it */
	if (!vmc_thread_start(&s->helper, helper_main, w, &cpus)) {
		s->nw++;
		return;
	}
	s->sh.threaded = false;
	searcher_release(w);
}

enum vmc_status vmc_xen_vmci_begin(struct xen_host *x, const struct xen_p2m *p, uint32_t pickled,
				   struct xen_vmci_search **ret, struct vmc_diag *d)
{
	struct xen_vmci_search *s = calloc(1, sizeof(*s));
	uint64_t nchunk = (p->npfn + CHUNK_PFNS - 1) / CHUNK_PFNS;
	enum vmc_status rc;

	*ret = NULL;
	if (!s || !(s->sh.ncand = calloc(nchunk ? nchunk : 1, sizeof(*s->sh.ncand)))) {
		free(s);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for the VMCOREINFO search");
	}
	s->sh.x = x;
	s->sh.p = p;
	s->sh.pickled = pickled;
	s->sh.nchunk = nchunk;
	atomic_init(&s->sh.next, 0);
	atomic_init(&s->sh.found, s->sh.nchunk);
	if ((rc = searcher_init(&s->w[s->nw++], &s->sh, d))) {
		search_free(s);
		return rc;
	}
	start_helper(s);
	*ret = s;
	return VMC_OK;
}

void vmc_xen_vmci_end(struct xen_vmci_search *s, struct xen_vmci *r)
{
	if (r)
		memset(r, 0, sizeof(*r));
	if (!s)
		return;
	if (r)
		search_chunks(&s->w[0]);
	else /* given up: no chunk is begun or finished */
		atomic_store(&s->sh.found, 0);
	if (s->nw > 1)
		pthread_join(s->helper, NULL);
	if (r)
		conclude(&s->sh, s->w, s->nw, r);
	search_free(s);
}
