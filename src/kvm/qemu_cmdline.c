/* qemu_cmdline.c: QEMU's -name out of a VMM command line (see qemu_cmdline.h). */
#include "qemu_cmdline.h"

#include <string.h>

/* The value of "-name V": "guest=NAME,..." (QEMU >= 2.x keyval) or "NAME[,process=...]". */
static bool name_value(const char *v, size_t n, char *name, size_t max)
{
	size_t o = 0;

	if (n >= 6 && !memcmp(v, "guest=", 6)) {
		v += 6;
		n -= 6;
	}
	for (size_t i = 0; i < n && o + 1 < max; i++) {
		if (v[i] == ',') {
			if (i + 1 < n && v[i + 1] == ',')
				i++; /* ",," is a literal comma */
			else
				break;
		}
		name[o++] = ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f) ? '?' : v[i];
	}
	name[o] = '\0';
	return o > 0;
}

bool vmc_qemu_cmdline_name(const char *args, size_t len, char *name, size_t max)
{
	bool next_is_name = false, found = false;

	if (!max)
		return false;
	name[0] = '\0';
	for (size_t at = 0; at < len;) {
		const char *a = args + at;
		size_t n = strnlen(a, len - at);

		if (next_is_name)
			found = name_value(a, n, name, max) || found; /* the last -name wins, as in QEMU */
		next_is_name = (n == 5 && !memcmp(a, "-name", 5)) || (n == 6 && !memcmp(a, "--name", 6));
		if (!next_is_name && n > 6 && !memcmp(a, "-name=", 6))
			found = name_value(a + 6, n - 6, name, max) || found;
		at += n + 1;
	}
	return found && name[0];
}
