/* cmd_info.c: `vmcarve info`: what a dump is and holds; writes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *vmci_keys[] = { "OSRELEASE", "BUILD-ID", "PAGESIZE", "KERNELOFFSET", "NUMBER(phys_base)",
				   "CRASHTIME", "SYMBOL(swapper_pg_dir)", "NUMBER(pgtable_l5_enabled)" };

/* The crash reason of a Linux dump (its log read through VMCOREINFO); false when there is no
 * log to read (no VMCOREINFO: not a Linux dump, or a hypervisor's). */
static bool info_crash(struct vmc_dump *dump, const struct vmc_dump_info *in, struct vmc_crash_reason *cr,
		       struct vmc_diag *d)
{
	char rel[8];

	memset(cr, 0, sizeof(*cr));
	cr->size = sizeof(*cr);
	vmc_diag_init(d);
	if (!in->has_vmcoreinfo || !vmc_dump_vmcoreinfo(dump, "OSRELEASE", rel, sizeof(rel)))
		return false;
	if (vmc_dump_crash_reason(dump, cr, d))
		return true; /* d says why */
	vmc_diag_init(d);
	return true;
}

static void crash_json(struct vmc_dump *dump, const struct vmc_dump_info *in)
{
	struct vmc_crash_reason *cr = calloc(1, sizeof(*cr));
	struct vmc_diag d;

	printf(",\"crash\":");
	if (!cr || !info_crash(dump, in, cr, &d)) {
		printf("null");
	} else if (d.msg[0]) {
		printf("{\"error\":");
		cli_json_str(d.msg, strlen(d.msg));
		printf("}");
	} else {
		printf("{\"panic\":");
		cli_json_str(cr->panic, strlen(cr->panic));
		printf(",\"oops\":");
		cli_json_str(cr->oops, strlen(cr->oops));
		printf(",\"log_lines\":%llu,\"last_lines\":[", (unsigned long long)cr->lines);
		for (unsigned i = 0; i < cr->nlast; i++) {
			printf("%s", i ? "," : "");
			cli_json_str(cr->last[i], strlen(cr->last[i]));
		}
		printf("]}");
	}
	free(cr);
}

static void crash_text(struct vmc_dump *dump, const struct vmc_dump_info *in)
{
	struct vmc_crash_reason *cr = calloc(1, sizeof(*cr));
	struct vmc_diag d;

	if (!cr || !info_crash(dump, in, cr, &d)) {
		free(cr);
		return;
	}
	if (d.msg[0])
		printf("crash reason:  unknown (%s)\n", d.msg);
	if (cr->panic[0])
		printf("crash reason:  %s\n", cr->panic);
	if (cr->oops[0])
		printf("%s%s\n", cr->panic[0] ? "first oops:    " : "crash reason:  ", cr->oops);
	if (!d.msg[0] && !cr->panic[0] && !cr->oops[0]) {
		printf("crash reason:  none in the log (%llu lines); its last lines:\n", (unsigned long long)cr->lines);
		for (unsigned i = 0; i < cr->nlast; i++)
			printf("  %s\n", cr->last[i]);
	}
	free(cr);
}

static const char *const class_keys[8] = { "zero", "cache", "cache_private", "user",
					   "free", "hwpoison", "offline", "unmanaged" };

static void stats_json(const struct vmc_page_stats *st)
{
	printf(",\"page_stats\":{\"level\":31,\"pages\":%llu", (unsigned long long)st->pages);
	for (unsigned i = 0; i < 8; i++)
		printf(",\"%s\":%llu", class_keys[i], (unsigned long long)st->classes[i]);
	printf(",\"remaining\":%llu}", (unsigned long long)st->remaining);
}

/* makedumpfile --show-stats' report, for -d 31 */
static void stats_text(const struct vmc_page_stats *st)
{
	static const char *const names[8] = { "Pages filled with zero", "Non-private cache pages",
					      "Private cache pages", "User process data pages",
					      "Free pages", "Hwpoison pages", "Offline pages",
					      "Unmanaged pages" };
	uint64_t excluded = 0;

	for (unsigned i = 0; i < 8; i++)
		excluded += st->classes[i];
	printf("page classes (what -d 31 leaves out, as makedumpfile --show-stats counts):\n");
	printf("  Held pages       : %llu\n", (unsigned long long)st->pages);
	printf("    Excluded pages : %llu\n", (unsigned long long)excluded);
	for (unsigned i = 0; i < 8; i++)
		printf("      %-24s: %llu\n", names[i], (unsigned long long)st->classes[i]);
	printf("    Remaining pages: %llu", (unsigned long long)st->remaining);
	if (st->pages)
		printf(" (%.0f%% of the held pages)", 100.0 * (double)st->remaining / (double)st->pages);
	printf("\n");
}

static void info_json(struct vmc_dump *dump, const struct vmc_dump_info *in, const struct vmc_page_stats *st)
{
	uint64_t p, e;
	size_t pos = 0;
	struct vmc_dump_note n;
	unsigned nranges = 0, k = 0;

	printf("{\"file\":");
	cli_json_str(in->name, strlen(in->name));
	printf(",\"format\":\"%s\",\"files\":%u,\"machine\":", in->format, in->nfiles);
	cli_json_str(in->machine, sizeof(in->machine));
	printf(",\"page_size\":%u,\"max_pfn\":%llu,\"ram_pages\":%llu,\"stored_pages\":%llu,"
	       "\"excluded_pages\":%llu,\"missing_pages\":%llu,\"incomplete\":%s,\"codecs\":\"%s\",\"dump_level\":%d",
	       in->page_size, (unsigned long long)in->max_pfn, (unsigned long long)in->ram_pages,
	       (unsigned long long)in->stored_pages, (unsigned long long)in->excluded_pages,
	       (unsigned long long)in->missing_pages, in->incomplete_flag || in->missing_pages ? "true" : "false",
	       in->codecs, in->dump_level);
	if (in->has_phys_base)
		printf(",\"phys_base\":%llu", (unsigned long long)in->phys_base);
	if (st)
		stats_json(st);
	printf(",\"ranges\":[");
	for (p = 0; vmc_dump_ram_range(dump, p, &p, &e); p = e)
		printf("%s[%llu,%llu]", nranges++ ? "," : "", (unsigned long long)p, (unsigned long long)e);
	printf("],\"notes\":[");
	for (unsigned i = 0; vmc_dump_note_next(dump, &pos, &n); i++) {
		printf("%s{\"name\":", i ? "," : "");
		cli_json_str(n.name, n.name_len);
		printf(",\"type\":%u,\"size\":%zu}", n.type, n.desc_len);
	}
	printf("],\"vmcoreinfo\":{");
	for (size_t i = 0; in->has_vmcoreinfo && i < sizeof(vmci_keys) / sizeof(vmci_keys[0]); i++) {
		char v[128];
		if (vmc_dump_vmcoreinfo(dump, vmci_keys[i], v, sizeof(v))) {
			printf("%s\"%s\":", k++ ? "," : "", vmci_keys[i]);
			cli_json_str(v, sizeof(v));
		}
	}
	printf("}");
	crash_json(dump, in);
	printf("}\n");
}

static void info_ranges_notes(struct vmc_dump *dump, const struct vmc_dump_info *in)
{
	uint64_t p, e;
	size_t pos = 0;
	struct vmc_dump_note n;
	unsigned nranges = 0;

	printf("ranges:\n");
	for (p = 0; vmc_dump_ram_range(dump, p, &p, &e); p = e)
		if (nranges++ < 32)
			printf("  0x%012llx-0x%012llx  %llu pages\n", (unsigned long long)(p << in->page_shift),
			       (unsigned long long)(e << in->page_shift) - 1, (unsigned long long)(e - p));
	if (nranges > 32)
		printf("  ... %u ranges in all\n", nranges);
	printf("notes:\n");
	while (vmc_dump_note_next(dump, &pos, &n))
		printf("  %-12.*s type 0x%-8x %zu bytes\n", (int)n.name_len, n.name, n.type, n.desc_len);
	if (in->has_vmcoreinfo) {
		printf("vmcoreinfo:\n");
		for (size_t i = 0; i < sizeof(vmci_keys) / sizeof(vmci_keys[0]); i++) {
			char v[128];
			if (vmc_dump_vmcoreinfo(dump, vmci_keys[i], v, sizeof(v)))
				printf("  %s=%s\n", vmci_keys[i], v);
		}
	}
}

static void info_text(struct vmc_dump *dump, const struct vmc_dump_info *in, const struct vmc_page_stats *st)
{
	printf("file:          %s%s\n", in->name, in->nfiles > 1 ? " (+ split parts)" : "");
	printf("format:        %s\n", in->format);
	printf("machine:       %s\n", in->machine[0] ? in->machine : "?");
	if (in->release[0])
		printf("release:       %s\n", in->release);
	printf("page size:     %u\n", in->page_size);
	printf("max pfn:       0x%llx\n", (unsigned long long)in->max_pfn);
	printf("RAM:           %llu pages (%.1f MiB)\n", (unsigned long long)in->ram_pages,
	       (double)in->ram_pages * in->page_size / 1048576.0);
	printf("stored:        %llu pages\n", (unsigned long long)in->stored_pages);
	printf("excluded:      %llu pages\n", (unsigned long long)in->excluded_pages);
	printf("missing:       %llu pages%s\n", (unsigned long long)in->missing_pages,
	       in->incomplete_flag ? " (the dump is marked incomplete)" : "");
	if (in->missing_pages || in->incomplete_flag)
		printf("               first: %s\n", in->missing_why);
	printf("compression:   %s\n", in->codecs);
	if (in->dump_level >= 0)
		printf("dump level:    %d\n", in->dump_level);
	if (in->has_phys_base)
		printf("phys_base:     0x%llx\n", (unsigned long long)in->phys_base);
	crash_text(dump, in);
	if (st)
		stats_text(st);
	info_ranges_notes(dump, in);
}

int cmd_info(int argc, char **argv)
{
	bool json = false, verbose = false;
	struct vmc_page_stats st = { .size = sizeof(st) };
	const char *files[256];
	unsigned nfiles = 0;
	struct vmc_dump *dump;
	struct vmc_dump_info in = { .size = sizeof(in) };
	struct vmc_diag d;

	vmc_diag_init(&d);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			verbose = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			puts("usage: vmcarve info [--json] [-v] FILE...   (several files = a split set)\n"
			     "  -v, --verbose   also the page counts per dump-level class (what -d 31 leaves\n"
			     "                  out, as makedumpfile --show-stats): reads every page");
			return EXIT_OK;
		} else if (nfiles < 256)
			files[nfiles++] = argv[i];
	}
	if (!nfiles) {
		fputs("usage: vmcarve info [--json] [-v] FILE...\n", stderr);
		return EXIT_USAGE;
	}
	if (vmc_dump_open(files, nfiles, &dump, &d))
		return cli_error(&d);
	vmc_dump_read_kernel_info(dump); /* phys_base and utsname as the kernel itself records them */
	if (vmc_dump_get_info(dump, &in, &d)) {
		vmc_dump_close(dump);
		return cli_error(&d);
	}
	if (verbose && vmc_dump_page_stats(dump, &st, &d)) {
		vmc_dump_close(dump);
		return cli_error(&d);
	}
	if (verbose)
		cli_warnings(&d);
	if (json)
		info_json(dump, &in, verbose ? &st : NULL);
	else
		info_text(dump, &in, verbose ? &st : NULL);
	vmc_dump_close(dump);
	return EXIT_OK;
}
