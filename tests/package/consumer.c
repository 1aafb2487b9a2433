/* consumer.c: a program built only with `pkg-config --cflags --libs vmcarve`: opens a dump and prints its shape. */
#include <stdio.h>
#include <vmcarve.h>

int main(int argc, char **argv)
{
	struct vmc_dump_info info = { .size = sizeof(info) };
	struct vmc_dump *dump;
	struct vmc_diag d;

	vmc_diag_init(&d);
	if (argc != 2 || vmc_dump_open((const char *const *)argv + 1, 1, &dump, &d) || vmc_dump_get_info(dump, &info, &d)) {
		fprintf(stderr, "consumer: %s\n", argc == 2 ? d.msg : "usage: consumer DUMP");
		return 1;
	}
	printf("consumer: %s: %s, %llu RAM pages of %u bytes\n", argv[1], info.format, (unsigned long long)info.ram_pages,
	       info.page_size);
	vmc_dump_close(dump);
	return 0;
}
