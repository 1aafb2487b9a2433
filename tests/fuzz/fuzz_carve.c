/* fuzz_carve.c: hostile host memory through the carvers (Xen and KVM) and the guest dump view.
 * The input is a sparse memory image, so mutations land in the structures the carvers walk
 * (domain lists, frame tables, p2m trees, page tables, VMCBs/VMCSs, NPT/EPT) rather than in a
 * container: "VMCF", u32 npages, u32 notes_len, the ELF notes, then npages records of
 * {u64 pfn, 4096 bytes}. It becomes an ELF vmcore with one PT_LOAD per page. Byte 4 of the
 * magic word's successor picks the carver: probe (even) or forced xen/kvm. */
#include <elf.h>

#include "registry.h"
#include "fuzz_common.h"
#include "guest_dump.h"

enum { FC_MAX_PAGES = 512, FC_PFN_LIMIT = 1u << 22 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t npages, notes_len, hdr[3];
	size_t rec = 8 + 4096, phoff = sizeof(Elf64_Ehdr), nph, data_off, file_len;
	uint8_t *file;
	struct vmc_bytesrc *src;
	struct vmc_dump *host = NULL;
	struct vmc_carve_opts o = { 0 };
	struct vmc_hv hv = { 0 };
	struct vmc_diag d;

	if (size < 12)
		return 0;
	memcpy(hdr, data, 12);
	if (hdr[0] != 0x46434d56u) /* "VMCF" */
		return 0;
	npages = hdr[1] & 0xffff;
	notes_len = hdr[2] & 0xffff;
	if (12 + (size_t)notes_len > size)
		return 0;
	if (npages > (size - 12 - notes_len) / rec)
		npages = (uint32_t)((size - 12 - notes_len) / rec);
	if (npages > FC_MAX_PAGES)
		npages = FC_MAX_PAGES;
	o.force = (hdr[1] >> 16) % 3 == 1 ? "xen" : (hdr[1] >> 16) % 3 == 2 ? "kvm" : NULL;
	nph = 1 + npages;
	data_off = (phoff + nph * sizeof(Elf64_Phdr) + notes_len + 4095) & ~4095ul;
	file_len = data_off + (size_t)npages * 4096;
	if (!(file = calloc(1, file_len)))
		return 0;
	{
		Elf64_Phdr *ph = fz_elf_header(file, nph);
		size_t notes_off = phoff + nph * sizeof(Elf64_Phdr);
		ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = notes_off, .p_filesz = notes_len };
		memcpy(file + notes_off, data + 12, notes_len);
		for (uint32_t i = 0; i < npages; i++) {
			const uint8_t *r = data + 12 + notes_len + i * rec;
			uint64_t pfn;
			memcpy(&pfn, r, 8);
			pfn %= FC_PFN_LIMIT; /* keep bitmaps small; duplicates are the reader's business */
			ph[1 + i] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = data_off + i * 4096ul,
						  .p_paddr = pfn << 12, .p_filesz = 4096, .p_memsz = 4096 };
			memcpy(file + data_off + i * 4096ul, r + 8, 4096);
		}
	}
	vmc_diag_init(&d);
	if (vmc_bytesrc_new_mem("fuzz-host", file, file_len, &src, &d)) {
		free(file);
		return 0;
	}
	if (vmc_dump_open_srcs(&src, 1, &host, &d)) {
		vmc_bytesrc_free(src);
		free(file);
		return 0;
	}
	if (vmc_carve_scan(host, &o, &hv, &d) == VMC_OK) {
		if (fz_verbose())
			fprintf(stderr, "carve: %s, %u guest(s)\n", hv.kind, hv.nguests);
		for (unsigned i = 0; i < hv.nguests && i < 8; i++) {
			struct vmc_guest *g = &hv.guests[i];
			struct vmc_dump *gd = NULL;
			FZ_ASSERT(g->id[sizeof(g->id) - 1] == 0 || memchr(g->id, 0, sizeof(g->id)));
			if (g->status) {
				FZ_ASSERT(g->error[0] != 0); /* a failed guest says why */
				continue;
			}
			/* odd guests as a writer opens them: the VMCOREINFO count finished on close */
			struct vmc_guest_vmci *watch = NULL;
			if ((i & 1 ? vmc_guest_prepare_stream(host, g, &watch, &d) : vmc_guest_prepare(host, g, &d)) != VMC_OK)
				continue;
			if (vmc_guest_dump_open(host, g, &gd, &d) == VMC_OK) {
				if (watch)
					vmc_guest_dump_watch(gd, watch);
				watch = NULL;
				fz_check_dump(gd);
				fz_touch_notes(gd);
				fz_read_pages(gd, 64);
				vmc_dump_close(gd);
			}
			vmc_guest_vmci_free(watch);
		}
	} else {
		FZ_ASSERT(d.msg[0] != 0);
		if (fz_verbose())
			fprintf(stderr, "carve: %s\n", d.msg);
	}
	vmc_hv_free(&hv);
	vmc_dump_close(host);
	free(file);
	return 0;
}
