/* cmd_info.c: `vmcarve info`: what a dump is and holds; writes nothing. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "codec.h"
#include "dump.h"
#include "linux_info.h"
#include "notes.h"

static const char *codec_names(uint32_t f, char *buf, size_t n)
{
	static const struct { uint32_t bit; const char *name; } t[] = {
		{ VMC_KDUMP_ZLIB, "zlib" }, { VMC_KDUMP_LZO, "lzo" }, { VMC_KDUMP_SNAPPY, "snappy" }, { VMC_KDUMP_ZSTD, "zstd" },
	};
	buf[0] = 0;
	for (size_t i = 0; i < 4; i++)
		if (f & t[i].bit)
			snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? "," : "", t[i].name);
	if (!buf[0])
		snprintf(buf, n, "none");
	return buf;
}

static const char *vmci_keys[] = { "OSRELEASE", "BUILD-ID", "PAGESIZE", "KERNELOFFSET", "NUMBER(phys_base)",
				   "CRASHTIME", "SYMBOL(swapper_pg_dir)", "NUMBER(pgtable_l5_enabled)" };

static void info_one(struct vmc_dump *dump, bool json)
{
	uint64_t ram = vmc_bitmap_count(&dump->ram), stored = vmc_bitmap_count(&dump->stored);
	uint64_t excluded = ram - stored - dump->nmissing;
	char cbuf[64];
	struct vmc_note vi;
	bool have_vi = vmc_notes_find(dump->notes, dump->notes_len, "VMCOREINFO", &vi);
	size_t pos = 0;
	struct vmc_note n;
	unsigned nranges = 0;

	if (json) {
		printf("{\"file\":");
		cli_json_str(dump->name, strlen(dump->name));
		printf(",\"format\":\"%s\",\"files\":%u,\"machine\":", dump->format, dump->nfiles);
		cli_json_str(dump->uts.machine, sizeof(dump->uts.machine));
		printf(",\"page_size\":%u,\"max_pfn\":%llu,\"ram_pages\":%llu,\"stored_pages\":%llu,"
		       "\"excluded_pages\":%llu,\"missing_pages\":%llu,\"incomplete\":%s,\"codecs\":\"%s\",\"dump_level\":%d",
		       dump->page_size, (unsigned long long)dump->max_pfn, (unsigned long long)ram,
		       (unsigned long long)stored, (unsigned long long)excluded, (unsigned long long)dump->nmissing,
		       dump->incomplete_flag || dump->nmissing ? "true" : "false",
		       codec_names(dump->codecs, cbuf, sizeof(cbuf)), dump->dump_level);
		if (dump->has_phys_base)
			printf(",\"phys_base\":%llu", (unsigned long long)dump->phys_base);
		printf(",\"ranges\":[");
		for (uint64_t p = vmc_bitmap_next_set(&dump->ram, 0); p < dump->max_pfn;) {
			uint64_t e = vmc_bitmap_next_clear(&dump->ram, p);
			printf("%s[%llu,%llu]", nranges++ ? "," : "", (unsigned long long)p, (unsigned long long)e);
			p = vmc_bitmap_next_set(&dump->ram, e);
		}
		printf("],\"notes\":[");
		for (unsigned i = 0; vmc_note_next(dump->notes, dump->notes_len, &pos, &n) == VMC_OK; i++) {
			printf("%s{\"name\":", i ? "," : "");
			cli_json_str(n.name, n.name_len);
			printf(",\"type\":%u,\"size\":%zu}", n.type, n.desc_len);
		}
		printf("],\"vmcoreinfo\":{");
		if (have_vi) {
			unsigned k = 0;
			for (size_t i = 0; i < sizeof(vmci_keys) / sizeof(vmci_keys[0]); i++) {
				char v[128];
				if (vmcoreinfo_get(vi.desc, vi.desc_len, vmci_keys[i], v, sizeof(v))) {
					printf("%s\"%s\":", k++ ? "," : "", vmci_keys[i]);
					cli_json_str(v, sizeof(v));
				}
			}
		}
		printf("}}\n");
		return;
	}
	printf("file:          %s%s\n", dump->name, dump->nfiles > 1 ? " (+ split parts)" : "");
	printf("format:        %s\n", dump->format);
	printf("machine:       %s\n", dump->uts.machine[0] ? dump->uts.machine : "?");
	if (dump->uts.release[0])
		printf("release:       %s\n", dump->uts.release);
	printf("page size:     %u\n", dump->page_size);
	printf("max pfn:       0x%llx\n", (unsigned long long)dump->max_pfn);
	printf("RAM:           %llu pages (%.1f MiB)\n", (unsigned long long)ram, (double)ram * dump->page_size / 1048576.0);
	printf("stored:        %llu pages\n", (unsigned long long)stored);
	printf("excluded:      %llu pages\n", (unsigned long long)excluded);
	printf("missing:       %llu pages%s\n", (unsigned long long)dump->nmissing,
	       dump->incomplete_flag ? " (the dump is marked incomplete)" : "");
	if (dump->nmissing || dump->incomplete_flag)
		printf("               first: %s\n", dump->missing_why);
	printf("compression:   %s\n", codec_names(dump->codecs, cbuf, sizeof(cbuf)));
	if (dump->dump_level >= 0)
		printf("dump level:    %d\n", dump->dump_level);
	if (dump->has_phys_base)
		printf("phys_base:     0x%llx\n", (unsigned long long)dump->phys_base);
	printf("ranges:\n");
	for (uint64_t p = vmc_bitmap_next_set(&dump->ram, 0); p < dump->max_pfn;) {
		uint64_t e = vmc_bitmap_next_clear(&dump->ram, p);
		if (nranges++ < 32)
			printf("  0x%012llx-0x%012llx  %llu pages\n", (unsigned long long)(p << dump->page_shift),
			       (unsigned long long)(e << dump->page_shift) - 1, (unsigned long long)(e - p));
		p = vmc_bitmap_next_set(&dump->ram, e);
	}
	if (nranges > 32)
		printf("  ... %u ranges in all\n", nranges);
	printf("notes:\n");
	while (vmc_note_next(dump->notes, dump->notes_len, &pos, &n) == VMC_OK)
		printf("  %-12.*s type 0x%-8x %zu bytes\n", (int)n.name_len, n.name, n.type, n.desc_len);
	if (have_vi) {
		printf("vmcoreinfo:\n");
		for (size_t i = 0; i < sizeof(vmci_keys) / sizeof(vmci_keys[0]); i++) {
			char v[128];
			if (vmcoreinfo_get(vi.desc, vi.desc_len, vmci_keys[i], v, sizeof(v)))
				printf("  %s=%s\n", vmci_keys[i], v);
		}
	}
}

int cmd_info(int argc, char **argv)
{
	bool json = false;
	const char *files[256];
	unsigned nfiles = 0;
	struct vmc_dump *dump;
	struct vmc_diag d;

	vmc_diag_init(&d);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			puts("usage: vmcarve info [--json] FILE...   (several files = a split set)");
			return EXIT_OK;
		} else if (nfiles < 256)
			files[nfiles++] = argv[i];
	}
	if (!nfiles) {
		fputs("usage: vmcarve info [--json] FILE...\n", stderr);
		return EXIT_USAGE;
	}
	if (vmc_dump_open(files, nfiles, &dump, &d))
		return cli_error(&d);
	vmc_linux_info_fill(dump); /* phys_base and utsname as the kernel itself records them */
	info_one(dump, json);
	vmc_dump_close(dump);
	return EXIT_OK;
}
