/* lkvm_probe.c: test-only: print what vmc_linux_kvm_find returns for a host dump, in a
 * stable text format, and optionally every VM's gfn -> host frame runs through its memslots
 * and the VMM's page tables (vmc_linux_uva_walk), for tests/accept/linuxkvm.sh.
 *   lkvm_probe HOST [--debuginfo DIR] [--no-btf] [--no-kallsyms] [--gpa2hpa] [--report]
 *   lkvm_probe HOST --v2p VA...   host kernel virtual -> physical (tests that patch a dump) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "linux_kallsyms.h"
#include "linux_kvm.h"
#include "linux_kvmem.h"
#include "physmem.h"

struct run {
	uint64_t gfn0, hpfn0, n;
	bool open;
};

struct walkarg {
	uint64_t uva_base, gfn_base;
	struct run r;
	uint64_t pages, absent; /* mapped; mapped to frames the dump does not hold */
	const struct vmc_physmem *pm;
};

static void flush(struct run *r)
{
	if (r->open && r->n)
		printf("R 0x%llx 0x%llx %llu\n", (unsigned long long)r->gfn0, (unsigned long long)r->hpfn0, (unsigned long long)r->n);
	r->open = false;
	r->n = 0;
}

static enum vmc_status leaf(uint64_t va, uint64_t pa, uint64_t size, uint64_t entry, void *arg)
{
	struct walkarg *w = arg;
	(void)entry;
	for (uint64_t off = 0; off < size; off += 4096) {
		uint64_t gfn = w->gfn_base + ((va + off - w->uva_base) >> 12), hpfn = (pa + off) >> 12;
		if (w->r.open && gfn == w->r.gfn0 + w->r.n && hpfn == w->r.hpfn0 + w->r.n) {
			w->r.n++;
		} else {
			flush(&w->r);
			w->r.open = true;
			w->r.gfn0 = gfn;
			w->r.hpfn0 = hpfn;
			w->r.n = 1;
		}
		w->pages++;
		if (!vmc_physmem_has(w->pm, hpfn))
			w->absent++;
	}
	return VMC_OK;
}

static int v2p(struct vmc_dump *dump, int n, char **vas)
{
	struct vmc_lkmem km;
	struct vmc_kallsyms ks;
	struct vmc_diag d;
	uint64_t sym;

	vmc_diag_init(&d);
	if (vmc_lkmem_init(&km, dump, &d) || vmc_kallsyms_load(&km, &ks, &d)) {
		printf("ERROR %s\n", d.msg);
		return 1;
	}
	if (vmc_kallsyms_lookup(&ks, "page_offset_base", &sym, NULL))
		vmc_lkmem_read_u64(&km, sym, &km.page_offset_base, &d);
	for (int i = 0; i < n; i++) {
		uint64_t va = strtoull(vas[i], NULL, 0), pa;
		if (vmc_lkmem_v2p(&km, va, &pa, &d))
			printf("V2P 0x%llx ERROR %s\n", (unsigned long long)va, d.msg);
		else
			printf("V2P 0x%llx 0x%llx\n", (unsigned long long)va, (unsigned long long)pa);
	}
	vmc_kallsyms_free(&ks);
	vmc_lkmem_fini(&km);
	return 0;
}

int main(int argc, char **argv)
{
	const char *host = NULL, *dbg = NULL;
	bool gpa = false, report = false;
	unsigned flags = 0;
	struct vmc_dump *dump;
	struct vmc_diag d;
	struct vmc_kvm_host h;
	enum vmc_status rc;

	int v2p_at = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--v2p")) {
			v2p_at = i + 1;
			break;
		}
		if (!strcmp(argv[i], "--debuginfo") && i + 1 < argc)
			dbg = argv[++i];
		else if (!strcmp(argv[i], "--gpa2hpa"))
			gpa = true;
		else if (!strcmp(argv[i], "--no-btf"))
			flags |= VMC_LKVM_NO_BTF;
		else if (!strcmp(argv[i], "--no-kallsyms"))
			flags |= VMC_LKVM_NO_KALLSYMS;
		else if (!strcmp(argv[i], "--report"))
			report = true;
		else
			host = argv[i];
	}
	if (!host) {
		fprintf(stderr, "usage: lkvm_probe HOST [--debuginfo DIR] [--gpa2hpa] [--report]\n");
		return 2;
	}
	vmc_diag_init(&d);
	if ((rc = vmc_dump_open(&host, 1, &dump, &d))) {
		fprintf(stderr, "lkvm_probe: %s\n", d.msg);
		return 1;
	}
	if (v2p_at) {
		int r = v2p(dump, argc - v2p_at, argv + v2p_at);
		vmc_dump_close(dump);
		return r;
	}
	rc = vmc_linux_kvm_find_flags(dump, dbg, flags, &h, &d);
	if (report && h.report)
		fputs(h.report, stdout);
	if (rc) {
		printf("ERROR %s\n", d.msg);
		vmc_linux_kvm_free(&h);
		vmc_dump_close(dump);
		return 1;
	}
	printf("SOURCE %s\n", h.source);
	if (h.incomplete[0])
		printf("INCOMPLETE %s\n", h.incomplete);
	for (unsigned i = 0; i < h.nvms; i++) {
		const struct vmc_kvm_vm *vm = &h.vms[i];
		printf("VM kvm=0x%llx userspace_pid=%d stats_id=%s pgd_pa=0x%llx levels=%u slots=%u vcpus=%u\n",
		       (unsigned long long)vm->kvm_va, vm->userspace_pid, vm->stats_id, (unsigned long long)vm->pgd_pa,
		       vm->pgtable_levels, vm->nslots, vm->nvcpus);
		if (vm->error[0])
			printf("  VMERROR %s\n", vm->error);
		for (unsigned s = 0; s < vm->nslots; s++) {
			const struct vmc_kvm_memslot *m = &vm->slots[s];
			printf("  MEMSLOT as=%u id=%d base_gfn=0x%llx npages=0x%llx userspace_addr=0x%llx flags=0x%x\n", m->as_id,
			       m->id, (unsigned long long)m->base_gfn, (unsigned long long)m->npages,
			       (unsigned long long)m->userspace_addr, m->flags);
		}
		for (unsigned v = 0; v < vm->nvcpus; v++) {
			const struct vmc_kvm_vcpu_state *c = &vm->vcpus[v];
			printf("  VCPU id=%d vmcb_pa=0x%llx vmcs_pa=0x%llx root_hpa=0x%llx cr0=0x%llx cr2=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx regs_avail=0x%llx rip=0x%llx",
			       c->vcpu_id, (unsigned long long)c->vmcb_pa, (unsigned long long)c->vmcs_pa,
			       (unsigned long long)c->tdp_root_hpa, (unsigned long long)c->cr0, (unsigned long long)c->cr2,
			       (unsigned long long)c->cr3, (unsigned long long)c->cr4, (unsigned long long)c->efer,
			       (unsigned long long)c->regs_avail, (unsigned long long)c->rip);
			for (int r = 0; r < 16; r++)
				printf(" r%d=0x%llx", r, (unsigned long long)c->regs[r]);
			printf("\n");
		}
		if (gpa) {
			struct vmc_physmem pm;
			if (vmc_physmem_init(&pm, dump, &d)) {
				printf("ERROR %s\n", d.msg);
				continue;
			}
			printf("  GPA2HPA pid=%d\n", vm->userspace_pid);
			for (unsigned s = 0; s < vm->nslots; s++) {
				const struct vmc_kvm_memslot *m = &vm->slots[s];
				struct walkarg w = { m->userspace_addr, m->base_gfn, { 0, 0, 0, false }, 0, 0, &pm };
				struct vmc_pt_stats st;
				memset(&st, 0, sizeof(st));
				if (m->as_id != 0)
					continue;
				vmc_diag_init(&d);
				rc = vmc_linux_uva_walk(&pm, vm->pgd_pa, vm->pgtable_levels, m->userspace_addr,
							m->userspace_addr + (m->npages << 12), leaf, &w, &st, &d);
				flush(&w.r);
				printf("  SLOT id=%d mapped=%llu of %llu frames_absent=%llu tables_absent=%llu%s%s\n", m->id,
				       (unsigned long long)w.pages, (unsigned long long)m->npages, (unsigned long long)w.absent,
				       (unsigned long long)st.tables_absent, rc ? " error=" : "", rc ? d.msg : "");
			}
			vmc_physmem_fini(&pm);
		}
	}
	vmc_linux_kvm_free(&h);
	vmc_dump_close(dump);
	return 0;
}
