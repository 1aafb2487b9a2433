/* api_dump.c: the public API's dump side: what a dump is and holds, its pages, notes and
 * VMCOREINFO. The dump handle is the internal struct vmc_dump itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "codec.h"
#include "dump.h"
#include "linux_info.h"
#include "notes.h"

static void codec_names(uint32_t flags, char *buf, size_t n)
{
	static const struct { uint32_t bit; const char *name; } t[] = {
		{ VMC_KDUMP_ZLIB, "zlib" }, { VMC_KDUMP_LZO, "lzo" }, { VMC_KDUMP_SNAPPY, "snappy" }, { VMC_KDUMP_ZSTD, "zstd" },
	};
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (flags & t[i].bit)
			snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? "," : "", t[i].name);
	if (!buf[0])
		snprintf(buf, n, "none");
}

static void copy_uts(struct vmc_dump_info *in, const struct vmc_uts *uts)
{
	memcpy(in->sysname, uts->sysname, sizeof(in->sysname));
	memcpy(in->nodename, uts->nodename, sizeof(in->nodename));
	memcpy(in->release, uts->release, sizeof(in->release));
	memcpy(in->version, uts->version, sizeof(in->version));
	memcpy(in->machine, uts->machine, sizeof(in->machine));
	memcpy(in->domainname, uts->domainname, sizeof(in->domainname));
}

enum vmc_status vmc_dump_get_info(struct vmc_dump *dump, struct vmc_dump_info *info, struct vmc_diag *d)
{
	struct vmc_dump_info in = { .size = sizeof(in) };
	struct vmc_note vi;

	in.name = dump->name;
	in.format = dump->format;
	in.nfiles = dump->nfiles;
	in.page_size = dump->page_size;
	in.page_shift = dump->page_shift;
	in.max_pfn = dump->max_pfn;
	in.ram_pages = vmc_bitmap_count(&dump->ram);
	in.stored_pages = vmc_bitmap_count(&dump->stored);
	in.missing_pages = dump->nmissing;
	in.excluded_pages = in.ram_pages - in.stored_pages - in.missing_pages;
	in.incomplete_flag = dump->incomplete_flag;
	in.missing_why = dump->missing_why;
	codec_names(dump->codecs, in.codecs, sizeof(in.codecs));
	in.dump_level = dump->dump_level;
	in.has_phys_base = dump->has_phys_base;
	in.phys_base = dump->phys_base;
	in.has_uts = dump->has_uts;
	copy_uts(&in, &dump->uts);
	in.has_vmcoreinfo = vmc_notes_find(dump->notes, dump->notes_len, "VMCOREINFO", &vi);
	return vmc_api_info_out(info, &in, sizeof(in), "struct vmc_dump_info", d);
}

void vmc_dump_read_kernel_info(struct vmc_dump *dump)
{
	vmc_linux_info_fill(dump);
}

bool vmc_dump_ram_range(struct vmc_dump *dump, uint64_t from, uint64_t *start, uint64_t *end)
{
	uint64_t s = vmc_bitmap_next_set(&dump->ram, from);

	if (s >= dump->max_pfn)
		return false;
	*start = s;
	*end = vmc_bitmap_next_clear(&dump->ram, s);
	return true;
}

enum vmc_page_state vmc_dump_page_state(struct vmc_dump *dump, uint64_t pfn)
{
	if (pfn >= dump->max_pfn || !vmc_bitmap_test(&dump->ram, pfn))
		return VMC_PAGE_NOT_RAM;
	if (vmc_bitmap_test(&dump->stored, pfn))
		return VMC_PAGE_STORED;
	return vmc_bitmap_test(&dump->missing, pfn) ? VMC_PAGE_MISSING : VMC_PAGE_EXCLUDED;
}

enum vmc_status vmc_dump_read_pfn(struct vmc_dump *dump, uint64_t pfn, void *buf, struct vmc_diag *d)
{
	/* per call, so that callers may read from several threads */
	void *scratch = malloc(dump->scratch_size ? dump->scratch_size : 1);
	enum vmc_status rc;

	if (!scratch)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	rc = vmc_dump_read_page(dump, pfn, buf, scratch, d);
	free(scratch);
	return rc;
}

enum vmc_status vmc_dump_read_phys(struct vmc_dump *dump, uint64_t addr, void *buf, size_t len, struct vmc_diag *d)
{
	uint8_t *page = malloc(dump->page_size), *out = buf;
	enum vmc_status rc = VMC_OK;

	if (!page)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	while (len && !rc) {
		uint64_t off = addr & (dump->page_size - 1);
		size_t n = dump->page_size - off < len ? dump->page_size - off : len;
		if (!(rc = vmc_dump_read_pfn(dump, addr >> dump->page_shift, page, d))) {
			memcpy(out, page + off, n);
			out += n;
			addr += n;
			len -= n;
		}
	}
	free(page);
	return rc;
}

bool vmc_dump_note_next(struct vmc_dump *dump, size_t *pos, struct vmc_dump_note *note)
{
	struct vmc_note n;

	if (vmc_note_next(dump->notes, dump->notes_len, pos, &n) != VMC_OK)
		return false;
	*note = (struct vmc_dump_note){ n.name, n.name_len, n.type, n.desc, n.desc_len };
	return true;
}

bool vmc_dump_vmcoreinfo(struct vmc_dump *dump, const char *key, char *val, size_t valsz)
{
	struct vmc_note vi;

	return vmc_notes_find(dump->notes, dump->notes_len, "VMCOREINFO", &vi) &&
	       vmcoreinfo_get(vi.desc, vi.desc_len, key, val, valsz);
}
