/* guest_dump.c: a carved guest as a dump: frames through the guest's map from the host dump,
 * vCPU notes built from the carver's registers, and the guest kernel's own VMCOREINFO. */
#include "guest_dump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notes.h"
#include "physmem.h"

#define EM_X86_64_ 62

struct gdump {
	struct vmc_dump *host;
	struct vmc_guest *g;
	struct vmc_guest_vmci *watch; /* VMCOREINFO candidates still to count, or NULL */
	struct vmc_guest_tap tap;     /* the carver's look at the host frames read */
};

/* ---- notes ------------------------------------------------------------------------------ */

static size_t put_note(uint8_t *out, const char *name, uint32_t type, const void *desc, size_t desc_len)
{
	size_t namesz = strlen(name) + 1, need = 12 + ((namesz + 3) & ~3ul) + ((desc_len + 3) & ~3ul);
	uint32_t h[3] = { (uint32_t)namesz, (uint32_t)desc_len, type };

	if (out) {
		memset(out, 0, need);
		memcpy(out, h, 12);
		memcpy(out + 12, name, namesz);
		memcpy(out + 12 + ((namesz + 3) & ~3ul), desc, desc_len);
	}
	return need;
}

#define PRSTATUS_SIZE 336
#define PRSTATUS_PID 32
#define PRSTATUS_REG 112

size_t vmc_note_prstatus_x86_64(const struct vmc_vcpu *v, uint8_t *out)
{
	uint8_t desc[PRSTATUS_SIZE] = { 0 };
	uint32_t pid = v->id + 1; /* QEMU numbers CPUs from 1 here */
	uint64_t regs[27] = { v->r15, v->r14, v->r13, v->r12, v->rbp, v->rbx, v->r11, v->r10, v->r9,
			      v->r8, v->rax, v->rcx, v->rdx, v->rsi, v->rdi, v->orig_rax, v->rip, v->cs,
			      v->rflags, v->rsp, v->ss, v->fs_base, v->gs_base, v->ds, v->es, v->fs, v->gs };

	memcpy(desc + PRSTATUS_PID, &pid, 4);
	memcpy(desc + PRSTATUS_REG, regs, sizeof(regs));
	return put_note(out, "CORE", VMC_NT_PRSTATUS, desc, sizeof(desc));
}

/* QEMU's QEMUCPUState (version 1, with kernel_gs_base as QEMU >= 5.2 writes it): what crash
 * uses for per-CPU registers, CR3 and IDTR. */
#define QEMU_CPU_SIZE 440

static uint8_t *put_seg(uint8_t *p, const struct vmc_seg *s)
{
	uint32_t w[4] = { s->selector, s->limit, s->flags, 0 };
	memcpy(p, w, 16);
	memcpy(p + 16, &s->base, 8);
	return p + 24;
}

size_t vmc_note_qemu_cpu_x86_64(const struct vmc_vcpu *v, uint8_t *out)
{
	uint8_t desc[QEMU_CPU_SIZE] = { 0 }, *p = desc;
	uint32_t hdr[2] = { 1, QEMU_CPU_SIZE };
	uint64_t gpr[18] = { v->rax, v->rbx, v->rcx, v->rdx, v->rsi, v->rdi, v->rsp, v->rbp, v->r8, v->r9,
			     v->r10, v->r11, v->r12, v->r13, v->r14, v->r15, v->rip, v->rflags };

	memcpy(p, hdr, 8);
	p += 8;
	memcpy(p, gpr, sizeof(gpr));
	p += sizeof(gpr);
	p = put_seg(p, &v->seg_cs);
	p = put_seg(p, &v->seg_ds);
	p = put_seg(p, &v->seg_es);
	p = put_seg(p, &v->seg_fs);
	p = put_seg(p, &v->seg_gs);
	p = put_seg(p, &v->seg_ss);
	p = put_seg(p, &v->ldt);
	p = put_seg(p, &v->tr);
	p = put_seg(p, &v->gdt);
	p = put_seg(p, &v->idt);
	memcpy(p, v->cr, sizeof(v->cr));
	p += sizeof(v->cr);
	memcpy(p, &v->kernel_gs_base, 8);
	return put_note(out, "QEMU", 0, desc, sizeof(desc));
}

static enum vmc_status build_notes(struct vmc_dump *dump, const struct vmc_guest *g, struct vmc_diag *d)
{
	size_t len = g->notes_len, pos = 0;
	uint8_t *blob;

	if (!g->no_vcpu_notes)
		for (unsigned i = 0; i < g->nvcpus; i++)
			len += vmc_note_prstatus_x86_64(&g->vcpus[i], NULL) +
			       (g->vcpus[i].sregs_valid ? vmc_note_qemu_cpu_x86_64(&g->vcpus[i], NULL) : 0);
	if (!len)
		return VMC_OK;
	if (!(blob = malloc(len)))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for notes");
	/* all NT_PRSTATUS first, in vCPU order (drgn and crash index CPUs by it), then the
	 * QEMU CPU states, as QEMU's dump-guest-memory lays them out */
	if (!g->no_vcpu_notes) {
		for (unsigned i = 0; i < g->nvcpus; i++)
			pos += vmc_note_prstatus_x86_64(&g->vcpus[i], blob + pos);
		for (unsigned i = 0; i < g->nvcpus; i++)
			if (g->vcpus[i].sregs_valid)
				pos += vmc_note_qemu_cpu_x86_64(&g->vcpus[i], blob + pos);
	}
	if (g->notes_len)
		memcpy(blob + pos, g->notes, g->notes_len);
	dump->notes = blob;
	dump->notes_len = len;
	return VMC_OK;
}

/* ---- reader ops over the map -------------------------------------------------------------- */

/* *host_mfn: the host frame whose bytes buf holds as the host dump has them (~0 when none) */
static enum vmc_status read_page(struct vmc_dump *dump, uint64_t pfn, void *buf, void *scratch, uint64_t *host_mfn,
				 struct vmc_diag *d)
{
	struct gdump *gd = dump->priv;
	struct vmc_gmap_ext e;

	*host_mfn = ~0ull;
	if (!vmc_gmap_lookup(&gd->g->map, pfn, &e))
		return vmc_fail(d, VMC_ERR_MISSING, "%s: frame 0x%llx is not mapped", dump->name, (unsigned long long)pfn);
	switch (e.kind) {
	case VMC_GMAP_HOST:
		*host_mfn = e.src;
		return gd->host->ops->read_page(gd->host, e.src, buf, scratch, d);
	case VMC_GMAP_XFORM:
	case VMC_GMAP_GEN: {
		const struct vmc_gmap *m = &gd->g->map;
		enum vmc_status rc;
		if (!m->xform)
			return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: frame 0x%llx has no transform", dump->name,
					(unsigned long long)pfn);
		if (e.kind == VMC_GMAP_GEN)
			memset(buf, 0, dump->page_size);
		else if ((rc = gd->host->ops->read_page(gd->host, e.src, buf, scratch, d)))
			return rc;
		return m->xform(m->xform_ctx, e.src, e.arg, buf, d);
	}
	case VMC_GMAP_ZERO:
		memset(buf, 0, dump->page_size);
		return VMC_OK;
	case VMC_GMAP_SYNTH:
		memcpy(buf, vmc_gmap_synth_page(&gd->g->map, e.src), dump->page_size);
		return VMC_OK;
	default:
		return vmc_fail(d, VMC_ERR_MISSING, "%s: frame 0x%llx is not available", dump->name,
				(unsigned long long)pfn);
	}
}

static enum vmc_status g_read_page(struct vmc_dump *dump, uint64_t pfn, void *buf, void *scratch, struct vmc_diag *d)
{
	struct gdump *gd = dump->priv;
	uint64_t mfn;
	enum vmc_status rc = read_page(dump, pfn, buf, scratch, &mfn, d);

	if (rc == VMC_OK && gd->watch)
		vmc_guest_vmci_seen(gd->watch, pfn, 1, buf, dump->page_size, dump->page_shift);
	if (rc == VMC_OK && gd->tap.seen && mfn != ~0ull)
		gd->tap.seen(gd->tap.arg, mfn, 1, buf);
	return rc;
}

/* A run inside one host-backed extent is a run of the host dump. */
static const struct vmc_gmap_ext *host_extent(struct gdump *gd, uint64_t pfn, uint64_t count)
{
	const struct vmc_gmap *m = &gd->g->map;
	size_t i = vmc_gmap_seek(m, pfn);

	if (i >= m->n || m->ext[i].pfn > pfn || m->ext[i].kind != VMC_GMAP_HOST ||
	    pfn + count > m->ext[i].pfn + m->ext[i].count)
		return NULL;
	return &m->ext[i];
}

/* One host-backed piece of a run, as the host dump reads it. */
static enum vmc_status read_host_piece(struct gdump *gd, struct vmc_dump *dump, const struct vmc_gmap_ext *e,
				       uint64_t pfn, uint64_t n, uint8_t *buf, struct vmc_diag *d)
{
	enum vmc_status rc = gd->host->ops->read_run(gd->host, e->src + (pfn - e->pfn), n, buf, d);

	if (rc == VMC_OK && gd->watch)
		vmc_guest_vmci_seen(gd->watch, pfn, n, buf, dump->page_size, dump->page_shift);
	if (rc == VMC_OK && gd->tap.seen)
		gd->tap.seen(gd->tap.arg, e->src + (pfn - e->pfn), n, buf);
	return rc;
}

/* A run across several extents (a guest's memory is mostly many host runs: a writer's batch
 * crosses their ends) is read piece by piece: host runs as host runs, other frames one by one,
 * rather than the whole batch frame by frame. */
static enum vmc_status g_read_run(struct vmc_dump *dump, uint64_t pfn, uint64_t count, void *buf, struct vmc_diag *d)
{
	struct gdump *gd = dump->priv;
	const struct vmc_gmap *m = &gd->g->map;
	uint8_t *out = buf, *scratch = NULL;
	enum vmc_status rc = VMC_OK;

	if (!gd->host->ops->read_run)
		return VMC_ERR_UNSUPPORTED;
	for (size_t i = vmc_gmap_seek(m, pfn); count && !rc;) {
		const struct vmc_gmap_ext *e = i < m->n ? &m->ext[i] : NULL;
		uint64_t n = 1;
		if (e && e->pfn <= pfn && pfn < e->pfn + e->count && e->kind == VMC_GMAP_HOST) {
			n = e->pfn + e->count - pfn < count ? e->pfn + e->count - pfn : count;
			rc = read_host_piece(gd, dump, e, pfn, n, out, d);
		} else if (scratch || (scratch = malloc(dump->scratch_size ? dump->scratch_size : 1))) {
			rc = g_read_page(dump, pfn, out, scratch, d);
		} else {
			rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		}
		pfn += n;
		count -= n;
		out += n << dump->page_shift;
		while (i < m->n && m->ext[i].pfn + m->ext[i].count <= pfn)
			i++;
	}
	free(scratch);
	return rc;
}

/* a mapped run is not counted (its pages may never be touched): the watch's finish and the
 * tap's close read them */
static const uint8_t *g_map_run(struct vmc_dump *dump, uint64_t pfn, uint64_t count)
{
	struct gdump *gd = dump->priv;
	const struct vmc_gmap_ext *e = host_extent(gd, pfn, count);

	if (!e || !gd->host->ops->map_run)
		return NULL;
	return gd->host->ops->map_run(gd->host, e->src + (pfn - e->pfn), count);
}

static void g_close(struct vmc_dump *dump)
{
	struct gdump *gd = dump->priv;
	struct vmc_guest_vmci *w = gd->watch;

	if (w) {
		gd->watch = NULL; /* the finish's own reads are not counted twice */
		vmc_guest_vmci_finish(w, dump, gd->g);
		vmc_guest_vmci_free(w);
	}
	if (gd->tap.seen) {
		struct vmc_guest_tap t = gd->tap;
		gd->tap.seen = NULL;
		t.close(t.arg);
	}
	free(gd);
}

void vmc_guest_dump_tap(struct vmc_dump *dump, const struct vmc_guest_tap *tap)
{
	struct gdump *gd = dump->priv;

	gd->tap = *tap;
}

void vmc_guest_dump_watch(struct vmc_dump *dump, struct vmc_guest_vmci *w)
{
	struct gdump *gd = dump->priv;

	vmc_guest_vmci_free(gd->watch);
	gd->watch = w;
}

/* Three variants so the page stream picks the same strategy it would for the host: a mapped
 * host is read in place, a compressed one through the read-ahead pool. */
static const struct vmc_reader_ops guest_ops_map = {
	.name = "carved guest", .read_page = g_read_page, .read_run = g_read_run, .map_run = g_map_run, .close = g_close,
};
static const struct vmc_reader_ops guest_ops_run = {
	.name = "carved guest", .read_page = g_read_page, .read_run = g_read_run, .close = g_close,
};
static const struct vmc_reader_ops guest_ops_page = {
	.name = "carved guest", .read_page = g_read_page, .close = g_close,
};

enum vmc_status vmc_guest_dump_open(struct vmc_dump *host, struct vmc_guest *g, struct vmc_dump **ret,
				    struct vmc_diag *d)
{
	struct vmc_dump *dump = calloc(1, sizeof(*dump));
	struct gdump *gd = calloc(1, sizeof(*gd));
	const struct vmc_gmap *m = &g->map;
	char name[512];
	enum vmc_status rc;

	if (!dump || !gd) {
		free(dump);
		free(gd);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	if (!m->finished && (rc = vmc_gmap_finish(&g->map, d)))
		goto fail;
	gd->host = host;
	gd->g = g;
	dump->priv = gd;
	dump->ops = host->ops->map_run ? &guest_ops_map : host->ops->read_run ? &guest_ops_run : &guest_ops_page;
	snprintf(name, sizeof(name), "%s[%s %s]", host->name, g->space == VMC_SPACE_MACHINE ? "domain" : "guest", g->id);
	if (!(dump->name = strdup(name))) {
		rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		goto fail;
	}
	dump->format = "carved guest";
	dump->page_size = host->page_size;
	dump->page_shift = host->page_shift;
	dump->e_machine = EM_X86_64_;
	dump->dump_level = -1;
	dump->scratch_size = host->scratch_size;
	dump->nfiles = 1;
	if ((rc = vmc_dump_alloc_bitmaps(dump, vmc_gmap_end(m), d)))
		goto fail;
	for (size_t i = 0; i < m->n; i++) {
		const struct vmc_gmap_ext *e = &m->ext[i];
		vmc_bitmap_set_range(&dump->ram, e->pfn, e->count);
		if (e->kind == VMC_GMAP_ZERO || e->kind == VMC_GMAP_SYNTH || e->kind == VMC_GMAP_GEN) {
			vmc_bitmap_set_range(&dump->stored, e->pfn, e->count);
			continue;
		}
		if (!vmc_gmap_kind_host(e->kind))
			continue;
		/* host frames the host dump holds are stored; missing ones stay missing; the rest
		 * (excluded by the host's dumper, or not host RAM) are excluded here too */
		for (uint64_t k = 0; k < e->count;) {
			uint64_t hpfn = e->src + k;
			uint64_t run_end = vmc_bitmap_test(&host->stored, hpfn) ? vmc_bitmap_next_clear(&host->stored, hpfn)
										 : vmc_bitmap_next_set(&host->stored, hpfn);
			uint64_t n = run_end - hpfn;
			if (n > e->count - k || run_end <= hpfn)
				n = e->count - k;
			if (vmc_bitmap_test(&host->stored, hpfn))
				vmc_bitmap_set_range(&dump->stored, e->pfn + k, n);
			else if (vmc_bitmap_live(&host->missing))
				for (uint64_t j = 0; j < n; j++)
					if (vmc_bitmap_test(&host->missing, hpfn + j))
						vmc_dump_mark_missing(dump, e->pfn + k + j, host->name,
								      (hpfn + j) << host->page_shift,
								      "(host frame) is missing from the host dump");
			k += n;
		}
	}
	if ((rc = vmc_dump_check_bitmaps(dump, d)) || (rc = build_notes(dump, g, d)))
		goto fail;
	dump->machine_frames = g->space == VMC_SPACE_MACHINE;
	if (g->has_uts) {
		memcpy(dump->uts.sysname, g->uts[0], 65);
		memcpy(dump->uts.nodename, g->uts[1], 65);
		memcpy(dump->uts.release, g->uts[2], 65);
		memcpy(dump->uts.version, g->uts[3], 65);
		memcpy(dump->uts.machine, g->uts[4], 65);
		memcpy(dump->uts.domainname, g->uts[5], 65);
		dump->has_uts = true;
	}
	if (g->has_phys_base) {
		dump->phys_base = g->phys_base;
		dump->has_phys_base = true;
	}
	*ret = dump;
	return VMC_OK;
fail:
	dump->ops = NULL; /* gd is half set up: freed here, not by the guest reader's close */
	vmc_dump_close(dump);
	free(gd);
	return rc;
}
