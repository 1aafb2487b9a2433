/* t_names.c: the VM's name out of its VMM's command line (kvm/qemu_cmdline.c). */
#include <string.h>

#include "harness.h"
#include "qemu_cmdline.h"

#define ARGS(s) s, sizeof(s) - 1

TEST(qemu_name_forms)
{
	char n[16];

	CHECK(vmc_qemu_cmdline_name(ARGS("qemu\0-name\0guest1\0-m\0256\0"), n, sizeof(n)) && !strcmp(n, "guest1"));
	CHECK(vmc_qemu_cmdline_name(ARGS("qemu\0-name\0guest=web,,1,debug-threads=on\0"), n, sizeof(n)) &&
	      !strcmp(n, "web,1"));
	CHECK(vmc_qemu_cmdline_name(ARGS("qemu\0-name\0db,process=qemu-db\0"), n, sizeof(n)) && !strcmp(n, "db"));
	CHECK(vmc_qemu_cmdline_name(ARGS("qemu\0--name\0a\0-name\0b\0"), n, sizeof(n)) && !strcmp(n, "b"));
	CHECK(vmc_qemu_cmdline_name(ARGS("qemu\0-name=x\0"), n, sizeof(n)) && !strcmp(n, "x"));
}

TEST(qemu_name_hostile)
{
	char n[8];

	CHECK(!vmc_qemu_cmdline_name(ARGS("qemu\0-m\0256\0"), n, sizeof(n)));
	CHECK(!vmc_qemu_cmdline_name(ARGS("qemu\0-name"), n, sizeof(n)));       /* no value */
	CHECK(!vmc_qemu_cmdline_name(ARGS("qemu\0-name\0guest=\0"), n, sizeof(n))); /* empty */
	CHECK(vmc_qemu_cmdline_name(ARGS("-name\0a\x1b[2J/../verylongname"), n, sizeof(n)));
	CHECK(strlen(n) == 7 && !strchr(n, 0x1b) && n[1] == '?');
	CHECK(!vmc_qemu_cmdline_name("-name", 5, n, 0));
}
