/* linux_info.c: reading the kernel's utsname and kernel-text placement out of a dump. */
#include "linux_info.h"

#include <stdlib.h>
#include <string.h>

#include "notes.h"

/* Read `len` bytes at a kernel-image virtual address (linear map of the image). */
static bool read_ktext(struct vmc_dump *dump, uint64_t vaddr, void *dst, size_t len)
{
	uint8_t *page = malloc(dump->page_size), *scratch = malloc(dump->scratch_size ? dump->scratch_size : 1);
	uint8_t *out = dst;
	struct vmc_diag d;
	bool ok = page && scratch;

	vmc_diag_init(&d);
	while (ok && len) {
		uint64_t pa = vaddr - VMC_X86_64_START_KERNEL_MAP + dump->phys_base;
		uint64_t pfn = pa >> dump->page_shift, in = pa & (dump->page_size - 1);
		size_t n = dump->page_size - in < len ? dump->page_size - in : len;
		if (vaddr < VMC_X86_64_START_KERNEL_MAP || vmc_dump_read_page(dump, pfn, page, scratch, &d)) {
			ok = false;
			break;
		}
		memcpy(out, page + in, n);
		out += n;
		vaddr += n;
		len -= n;
	}
	free(page);
	free(scratch);
	return ok;
}

static bool sane_field(const char *s)
{
	size_t n = strnlen(s, 65);
	if (n == 0 || n == 65)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static void fill_uts(struct vmc_dump *dump, const struct vmc_note *vi)
{
	struct vmc_uts uts;
	uint64_t sym, off = 0;
	char *f[6];

	if (dump->uts.nodename[0] && dump->uts.version[0] && dump->uts.release[0])
		return;
	if (!vmcoreinfo_get_u64(vi->desc, vi->desc_len, "SYMBOL(init_uts_ns)", 16, &sym))
		return;
	if (!vmcoreinfo_get_u64(vi->desc, vi->desc_len, "OFFSET(uts_namespace.name)", 10, &off)) {
		/* older kernels: struct kref, then the name; look for the sysname */
		char buf[64];
		if (!read_ktext(dump, sym, buf, sizeof(buf)))
			return;
		for (off = 0; off + 6 <= sizeof(buf); off++)
			if (memcmp(buf + off, "Linux", 6) == 0)
				break;
		if (off + 6 > sizeof(buf))
			return;
	}
	if (off > 4096 || !read_ktext(dump, sym + off, &uts, sizeof(uts)))
		return;
	f[0] = uts.sysname, f[1] = uts.nodename, f[2] = uts.release, f[3] = uts.version, f[4] = uts.machine;
	f[5] = uts.domainname;
	for (int i = 0; i < 5; i++)
		if (!sane_field(f[i]))
			return;
	uts.domainname[64] = '\0';
	dump->uts = uts;
	dump->has_uts = true;
}

static void fill_ktext(struct vmc_dump *dump, const struct vmc_note *vi)
{
	uint64_t stext, pa, end;

	if (dump->has_ktext || !dump->has_phys_base || dump->e_machine != 62)
		return;
	if (!vmcoreinfo_get_u64(vi->desc, vi->desc_len, "SYMBOL(_stext)", 16, &stext) ||
	    stext < VMC_X86_64_START_KERNEL_MAP)
		return;
	/* map from _stext to the end of the stored RAM run that holds it, at most 64 MiB
	 * (kexec maps _text.._end; the image is smaller than that) */
	pa = stext - VMC_X86_64_START_KERNEL_MAP + dump->phys_base;
	if (!vmc_bitmap_test(&dump->stored, pa >> dump->page_shift) || (pa & (dump->page_size - 1)))
		return;
	end = vmc_bitmap_next_clear(&dump->stored, pa >> dump->page_shift) << dump->page_shift;
	if (end - pa > (64ull << 20))
		end = pa + (64ull << 20);
	dump->ktext = (struct vmc_ktext){ stext, pa, end - pa };
	dump->has_ktext = true;
}

void vmc_linux_info_fill(struct vmc_dump *dump)
{
	struct vmc_note vi;

	if (!vmc_notes_find(dump->notes, dump->notes_len, "VMCOREINFO", &vi))
		return;
	{
		/* the kernel's own figure wins over a header's, as in crash: QEMU writes 0 into the
		 * kdump sub-header unless it parsed the guest's VMCOREINFO itself */
		uint64_t v;
		if (vmcoreinfo_get_u64(vi.desc, vi.desc_len, "NUMBER(phys_base)", 0, &v)) {
			dump->phys_base = v;
			dump->has_phys_base = true;
		}
		if (!dump->has_phys_base)
			return;
	}
	if (dump->e_machine == 62 && !dump->machine_frames) {
		fill_uts(dump, &vi);
		fill_ktext(dump, &vi);
	}
}
