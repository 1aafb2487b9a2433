/* vmcarve.c: main(): subcommand dispatch only. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fputs("usage: vmcarve <command> [options]\n"
	      "\n"
	      "commands:\n"
	      "  convert IN... -o OUT   rewrite a dump as kdump-compressed, ELF or flattened\n"
	      "  info FILE...           describe a dump (format, memory, notes, VMCOREINFO)\n"
	      "  manifest FILE...       one line per RAM frame: hash, excluded or missing\n"
	      "  list HOSTDUMP          the hypervisor and every guest in a host dump\n"
	      "  extract HOSTDUMP --domain ID -o OUT   one guest as a standalone dump\n"
	      "  split HOSTDUMP -o DIR  every guest, one file each\n"
	      "  dmesg DUMP [--domain G]  the kernel log (of a guest, or of all of them)\n"
	      "  mount DUMP DIR         every guest, or the dump, as read-only ELF files (FUSE)\n"
	      "  umount DIR             unmount what mount mounted\n"
	      "\n"
	      "Run 'vmcarve <command> --help' for a command's options.\n",
	      f);
}

/* Blocks up to 4 MiB come from the heap and freed ones stay there for the next phase: glibc
 * otherwise maps each block of 128 KiB or more afresh and unmaps it on free, so every phase
 * pays a page fault per page again (10 us each in a VM with shadow paging: list of the Xen
 * bed took 1311 faults, 847 with this). */
static void malloc_tune(void)
{
#ifdef M_MMAP_THRESHOLD
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
#endif
}

int main(int argc, char **argv)
{
	malloc_tune();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cli_signals_init();
	if (!strcmp(argv[1], "convert"))
		return cli_exit(cmd_convert(argc - 1, argv + 1));
	if (!strcmp(argv[1], "info"))
		return cli_exit(cmd_info(argc - 1, argv + 1));
	if (!strcmp(argv[1], "manifest"))
		return cli_exit(cmd_manifest(argc - 1, argv + 1));
	if (!strcmp(argv[1], "list"))
		return cli_exit(cmd_list(argc - 1, argv + 1));
	if (!strcmp(argv[1], "extract"))
		return cli_exit(cmd_extract(argc - 1, argv + 1));
	if (!strcmp(argv[1], "split"))
		return cli_exit(cmd_split(argc - 1, argv + 1));
	if (!strcmp(argv[1], "dmesg"))
		return cli_exit(cmd_dmesg(argc - 1, argv + 1));
	if (!strcmp(argv[1], "mount"))
		return cli_exit(cmd_mount(argc - 1, argv + 1));
	if (!strcmp(argv[1], "umount"))
		return cli_exit(cmd_umount(argc - 1, argv + 1));
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("vmcarve 0.1.0");
		return EXIT_OK;
	}
	fprintf(stderr, "vmcarve: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
