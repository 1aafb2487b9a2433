/* linux_crash.c: the crash reason in a kernel log (see linux_crash.h). Lines are matched on
 * their text after the "[ seconds.micros] " stamp, on the messages the kernel's panic(),
 * die() and BUG paths print. */
#include <string.h>

#include "linux_crash.h"

void vmc_lcrash_init(struct vmc_lcrash *c)
{
	memset(c, 0, sizeof(*c));
}

static const char *text_of(const char *line)
{
	const char *p = line;

	if (*p == '[' && (p = strchr(p, ']')) && p[1] == ' ')
		return p + 2;
	return line;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool is_oops(const char *t)
{
	return starts(t, "BUG: ") || starts(t, "Oops: ") || starts(t, "kernel BUG at ") ||
	       starts(t, "general protection fault") || starts(t, "Unable to handle kernel") ||
	       starts(t, "watchdog: BUG: ") || starts(t, "Kernel BUG at ");
}

static void end_line(struct vmc_lcrash *c)
{
	const char *t;

	if (c->cut && c->curlen >= 3)
		memcpy(c->cur + c->curlen - 3, "...", 3);
	c->cur[c->curlen] = 0;
	t = text_of(c->cur);
	if (strstr(t, "Kernel panic - not syncing"))
		memcpy(c->panic, c->cur, c->curlen + 1);
	else if (!c->oops[0] && is_oops(t))
		memcpy(c->oops, c->cur, c->curlen + 1);
	memcpy(c->last[c->head], c->cur, c->curlen + 1);
	c->head = (c->head + 1) % VMC_LCRASH_LINES;
	if (c->nlast < VMC_LCRASH_LINES)
		c->nlast++;
	c->lines++;
	c->curlen = 0;
	c->cut = false;
}

bool vmc_lcrash_write(void *arg, const char *buf, size_t len)
{
	struct vmc_lcrash *c = arg;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			end_line(c);
			continue;
		}
		if (c->curlen + 1 < VMC_LCRASH_LINE) /* kept lines are shown: no control byte but tab */
			c->cur[c->curlen++] = ((uint8_t)buf[i] < 0x20 && buf[i] != '\t') || (uint8_t)buf[i] >= 0x7f ? '?' : buf[i];
		else
			c->cut = true;
	}
	return true;
}

void vmc_lcrash_finish(struct vmc_lcrash *c)
{
	if (c->curlen)
		end_line(c);
}

const char *vmc_lcrash_last(const struct vmc_lcrash *c, unsigned i)
{
	unsigned oldest = c->nlast < VMC_LCRASH_LINES ? 0 : c->head;

	return i < c->nlast ? c->last[(oldest + i) % VMC_LCRASH_LINES] : "";
}
