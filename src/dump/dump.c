/* dump.c: the dump object: bitmaps, missing frames, reading a frame, closing. Opening (which
 * needs the registry of formats) is src/open.c. */
#include "dump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notes.h"

enum vmc_status vmc_dump_alloc_bitmaps(struct vmc_dump *dump, uint64_t max_pfn, struct vmc_diag *d)
{
	enum vmc_status rc;

	if (max_pfn > VMC_MAX_PFN_LIMIT)
		return vmc_fail(d, VMC_ERR_LIMIT, "%s: highest frame 0x%llx is beyond the supported 0x%llx",
				dump->name, (unsigned long long)max_pfn, (unsigned long long)VMC_MAX_PFN_LIMIT);
	dump->max_pfn = max_pfn;
	if ((rc = vmc_bitmap_init(&dump->ram, max_pfn, d)) || (rc = vmc_bitmap_init(&dump->stored, max_pfn, d)))
		return rc;
	return VMC_OK;
}

enum vmc_status vmc_dump_check_bitmaps(const struct vmc_dump *dump, struct vmc_diag *d)
{
	enum vmc_status rc;

	if ((rc = vmc_bitmap_check(&dump->ram, "RAM", d)) || (rc = vmc_bitmap_check(&dump->stored, "stored", d)) ||
	    (rc = vmc_bitmap_check(&dump->missing, "missing", d)))
		return rc;
	return VMC_OK;
}

void vmc_dump_mark_missing(struct vmc_dump *dump, uint64_t pfn, const char *file, uint64_t off, const char *why)
{
	struct vmc_diag d;

	if (!dump->nmissing)
		snprintf(dump->missing_why, sizeof(dump->missing_why), "%s: offset 0x%llx: frame 0x%llx %s", file,
			 (unsigned long long)off, (unsigned long long)pfn, why);
	if (!vmc_bitmap_live(&dump->missing) && vmc_bitmap_init(&dump->missing, dump->max_pfn, &d))
		return;
	if (!vmc_bitmap_test(&dump->missing, pfn)) {
		vmc_bitmap_set(&dump->missing, pfn);
		vmc_bitmap_clear(&dump->stored, pfn);
		dump->nmissing++;
	}
}

void vmc_dump_mark_missing_range(struct vmc_dump *dump, uint64_t pfn, uint64_t count, const char *file,
				 uint64_t off, const char *why)
{
	struct vmc_diag d;
	uint64_t first = vmc_bitmap_next_set(&dump->stored, pfn), n;

	if (first >= dump->max_pfn || first - pfn >= count)
		return;
	if (!vmc_bitmap_live(&dump->missing) && vmc_bitmap_init(&dump->missing, dump->max_pfn, &d))
		return;
	if (!dump->nmissing)
		snprintf(dump->missing_why, sizeof(dump->missing_why), "%s: offset 0x%llx: frame 0x%llx %s", file,
			 (unsigned long long)(off + ((first - pfn) << dump->page_shift)), (unsigned long long)first, why);
	n = vmc_bitmap_count_range(&dump->stored, pfn, count);
	/* stored and missing are disjoint, so the stored bits of the range become the missing ones */
	for (uint64_t p = first; p < pfn + count && p < dump->max_pfn;) {
		uint64_t e = vmc_bitmap_next_clear(&dump->stored, p);
		if (e > pfn + count)
			e = pfn + count;
		vmc_bitmap_set_range(&dump->missing, p, e - p);
		vmc_bitmap_clear_range(&dump->stored, p, e - p);
		p = vmc_bitmap_next_set(&dump->stored, e);
	}
	dump->nmissing += n;
}

void vmc_dump_facts_from_vmcoreinfo(struct vmc_dump *dump)
{
	struct vmc_note n;
	uint64_t v;
	char rel[65];

	if (!vmc_notes_find(dump->notes, dump->notes_len, "VMCOREINFO", &n))
		return;
	if (vmcoreinfo_get_u64(n.desc, n.desc_len, "PAGESIZE", 10, &v) && v >= 4096 && v <= VMC_PAGE_SIZE_MAX &&
	    !(v & (v - 1))) {
		dump->page_size = (uint32_t)v;
		dump->page_shift = (unsigned)__builtin_ctz(dump->page_size);
	}
	if (vmcoreinfo_get_u64(n.desc, n.desc_len, "NUMBER(phys_base)", 0, &v)) {
		dump->phys_base = v;
		dump->has_phys_base = true;
	} else if (dump->e_machine == VMC_EM_AARCH64 && !dump->has_phys_base &&
		   vmcoreinfo_get_u64(n.desc, n.desc_len, "NUMBER(PHYS_OFFSET)", 0, &v)) {
		/* arm64's phys_base is PHYS_OFFSET: makedumpfile writes it into the kdump
		 * sub-header, where crash looks for it */
		dump->phys_base = v;
		dump->has_phys_base = true;
	}
	if (vmcoreinfo_get(n.desc, n.desc_len, "OSRELEASE", rel, sizeof(rel))) {
		snprintf(dump->uts.release, sizeof(dump->uts.release), "%s", rel);
		dump->has_uts = true;
	}
}

enum vmc_status vmc_dump_vmcoreinfo_pagesize(const struct vmc_dump *dump, const char *file,
					     const struct vmc_notes_at *map, unsigned nmap, uint32_t *ps,
					     struct vmc_diag *d)
{
	static const char key[] = "PAGESIZE=";
	struct vmc_note n;
	const char *t, *end;
	char val[24];
	size_t len = 0, at;
	uint64_t v = 0;
	bool ok = true;

	*ps = 0;
	if (!vmc_notes_find(dump->notes, dump->notes_len, "VMCOREINFO", &n))
		return VMC_OK;
	t = (const char *)n.desc, end = t + n.desc_len;
	/* the key at a line start; the value up to the end of its line */
	for (const char *l = t, *nl; l < end; l = nl ? nl + 1 : end) {
		const char *le = (nl = memchr(l, '\n', (size_t)(end - l))) ? nl : end;
		if ((size_t)(le - l) < sizeof(key) - 1 || memcmp(l, key, sizeof(key) - 1))
			continue;
		l += sizeof(key) - 1;
		at = (size_t)((const uint8_t *)l - dump->notes);
		while (l + len < le && l[len] && len < sizeof(val) - 1)
			val[len] = l[len], len++;
		val[len] = 0;
		for (size_t i = 0; i < len; i++) {
			if (val[i] < '0' || val[i] > '9' || v > VMC_PAGE_SIZE_MAX)
				ok = false;
			else
				v = v * 10 + (uint64_t)(val[i] - '0');
		}
		if (!len || !ok || v < 4096 || v > VMC_PAGE_SIZE_MAX || (v & (v - 1))) {
			uint64_t off = 0;
			for (unsigned i = 0; i < nmap; i++)
				if (map[i].at <= at)
					off = map[i].off + (at - map[i].at);
			return vmc_fail_at(d, VMC_ERR_CORRUPT, file, off,
					   "VMCOREINFO PAGESIZE=%s is not a power of two from 4096 to %u", val,
					   VMC_PAGE_SIZE_MAX);
		}
		*ps = (uint32_t)v;
		return VMC_OK;
	}
	return VMC_OK;
}

void vmc_dump_close(struct vmc_dump *dump)
{
	if (!dump)
		return;
	if (dump->ops && dump->ops->close)
		dump->ops->close(dump);
	vmc_bitmap_release(&dump->ram);
	vmc_bitmap_release(&dump->stored);
	vmc_bitmap_release(&dump->missing);
	free(dump->notes);
	free(dump->name);
	free(dump);
}

enum vmc_status vmc_dump_read_page(struct vmc_dump *dump, uint64_t pfn, void *buf, void *scratch,
				   struct vmc_diag *d)
{
	if (!vmc_bitmap_test(&dump->stored, pfn))
		return vmc_fail(d, VMC_ERR_MISSING, "%s: frame 0x%llx is not in the dump", dump->name,
				(unsigned long long)pfn);
	return dump->ops->read_page(dump, pfn, buf, scratch, d);
}
