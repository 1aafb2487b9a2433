/* msgs.c: the warning/report collector (msgs.h). */
#include "msgs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vmc_msgs_init(struct vmc_msgs *m)
{
	memset(m, 0, sizeof(*m));
}

bool vmc_msgs_vwarn(struct vmc_msgs *m, const struct vmc_msgs_caps *caps, const char *fmt, va_list ap)
{
	char buf[512], **l;

	if (m->nwarnings >= caps->max_warnings)
		return false;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (!(l = realloc(m->warnings, (m->nwarnings + 1) * sizeof(*l))))
		return true;
	m->warnings = l;
	if ((l[m->nwarnings] = strdup(buf)))
		m->nwarnings++;
	return true;
}

bool vmc_msgs_warn(struct vmc_msgs *m, const struct vmc_msgs_caps *caps, const char *fmt, ...)
{
	va_list ap;
	bool kept;

	va_start(ap, fmt);
	kept = vmc_msgs_vwarn(m, caps, fmt, ap);
	va_end(ap);
	return kept;
}

static void append_line(struct vmc_msgs *m, const struct vmc_msgs_caps *caps, const char *line, size_t n)
{
	char *t = realloc(m->report, m->report_len + n + 2);

	if (!t)
		return;
	memcpy(t + m->report_len, line, n);
	m->report_len += n;
	if (!caps->join_newline || !m->report_len || t[m->report_len - 1] != '\n')
		t[m->report_len++] = '\n';
	t[m->report_len] = 0;
	m->report = t;
}

void vmc_msgs_vreport(struct vmc_msgs *m, const struct vmc_msgs_caps *caps, const char *fmt, va_list ap)
{
	char buf[512], *line = buf;
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0 || (caps->max_report && m->report_len > caps->max_report))
		goto out;
	if (caps->max_line && (size_t)n > caps->max_line)
		n = (int)caps->max_line;
	if ((size_t)n >= sizeof(buf)) { /* an uncut long line: format it again in full */
		if (!(line = malloc((size_t)n + 1)))
			goto out;
		vsnprintf(line, (size_t)n + 1, fmt, again);
	}
	append_line(m, caps, line, (size_t)n);
	if (line != buf)
		free(line);
out:
	va_end(again);
}

void vmc_msgs_report(struct vmc_msgs *m, const struct vmc_msgs_caps *caps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmc_msgs_vreport(m, caps, fmt, ap);
	va_end(ap);
}

void vmc_msgs_release(struct vmc_msgs *m)
{
	for (unsigned i = 0; i < m->nwarnings; i++)
		free(m->warnings[i]);
	free(m->warnings);
	free(m->report);
	memset(m, 0, sizeof(*m));
}
