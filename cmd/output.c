/* output.c: opening an output for the writing commands (convert, extract, split). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "flat.h"

bool cli_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

enum vmc_status cli_open_output(const char *path, bool flat, struct vmc_bytesink **ret, bool *is_file,
				struct vmc_diag *d)
{
	struct vmc_bytesink *sink = NULL, *fs;
	enum vmc_status rc = vmc_bytesink_open_file(path, &sink, d);

	if (is_file)
		*is_file = !rc && !sink->sequential;
	/* a pipe or FIFO cannot be seeked back into: the flattened format is made for that */
	if (!rc && (flat || sink->sequential)) {
		rc = vmc_bytesink_new_flat(sink, &fs, d);
		if (rc)
			vmc_bytesink_free(sink);
		sink = rc ? NULL : fs;
	}
	*ret = sink;
	return rc;
}

void cli_json_str(const char *s, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}
