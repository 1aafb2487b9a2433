/* fuzz_vmx.c: the input as a host dump for the VMCS scan (layout from a VMCSINFO note in it,
 * or the built-in tables), and as VMCS layout text. Every VM found must be consistent with the
 * dump: a well-formed EPTP, vCPUs whose VMCS pages are stored frames, bounded report text. */
#include "fuzz_common.h"
#include "kvm_hw.h"
#include "vmcs_layout.h"

static void check_scan(struct vmc_dump *dump, const struct vmc_hw_scan *s)
{
	FZ_ASSERT(s->nvms <= s->candidates);
	FZ_ASSERT(s->rejected <= s->candidates);
	FZ_ASSERT(s->frames_scanned <= vmc_bitmap_count(&dump->stored));
	FZ_ASSERT(s->report_len == 0 || (s->report && strlen(s->report) == s->report_len));
	for (unsigned i = 0; i < s->nwarnings; i++)
		FZ_ASSERT(s->warnings[i] && strlen(s->warnings[i]) < 512);
	for (unsigned v = 0; v < s->nvms; v++) {
		const struct vmc_hw_vm *vm = &s->vms[v];
		char why[200];
		FZ_ASSERT(vm->format == VMC_PT_EPT);
		FZ_ASSERT(vm->levels == 4 || vm->levels == 5);
		FZ_ASSERT(vm->levels == ((vm->eptp >> 3) & 7) + 1);
		FZ_ASSERT(vm->tdp_root == (vm->eptp & 0x000ffffffffff000ull));
		FZ_ASSERT(vmc_vmx_eptp_valid(dump, vm->eptp, why, sizeof(why)));
		FZ_ASSERT(vm->nvcpus >= 1);
		for (unsigned c = 0; c < vm->nvcpus; c++) {
			uint64_t pa = vm->vcpus[c].state_pa;
			FZ_ASSERT((pa & (dump->page_size - 1)) == 0);
			FZ_ASSERT(vmc_bitmap_test(&dump->stored, pa >> dump->page_shift));
			FZ_ASSERT(vm->vcpus[c].regs.id == c);
			FZ_ASSERT(!vm->vcpus[c].regs.gprs_valid);
			FZ_ASSERT(memchr(vm->vcpus[c].regs.source, 0, sizeof(vm->vcpus[c].regs.source)));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *bufs[1] = { data };
	size_t lens[1] = { size };
	struct vmc_vmcs_layout l;
	struct vmc_hw_scan s;
	struct vmc_diag d;
	struct vmc_dump *dump;
	enum vmc_status rc;

	vmc_diag_init(&d);
	rc = vmc_vmcs_layout_parse((const char *)data, size, "input", &l, &d);
	FZ_ASSERT(rc == VMC_OK || (rc == VMC_ERR_CORRUPT && d.msg[0]));
	if (rc == VMC_OK) {
		FZ_ASSERT(l.size >= 16 && l.size <= 4096 && l.revision_id && l.revision_id <= 0x7fffffff);
		for (unsigned f = 0; f < VMCS_NFIELDS; f++)
			FZ_ASSERT(l.off[f] == VMC_VMCS_UNKNOWN || (l.off[f] >= 8 && l.off[f] + vmc_vmcs_field_bytes(f) <= l.size));
	}
	if (!(dump = fz_open(bufs, lens, 1, &d)))
		return 0;
	vmc_diag_init(&d);
	rc = vmc_vmx_scan(dump, NULL, &s, &d);
	FZ_ASSERT(fz_status_known(rc) && rc != VMC_DONE);
	if (rc)
		FZ_ASSERT(d.msg[0] != 0);
	else
		check_scan(dump, &s);
	if (fz_verbose())
		fprintf(stderr, "vmx: %s, %u VM(s), %llu candidates, %llu rejected\n", vmc_status_name(rc), s.nvms,
			(unsigned long long)s.candidates, (unsigned long long)s.rejected);
	vmc_hw_scan_free(&s);
	vmc_dump_close(dump);
	return 0;
}
