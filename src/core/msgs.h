/* msgs.h: the one warning/report collector: a capped list of warning lines and a "key=value"
 * report text (list -v), as guests, hypervisors, hardware scans and the host-kernel route keep them. */
#ifndef VMC_MSGS_H
#define VMC_MSGS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* The members, so an owner can also name them as its own fields (a union over both; guest.h). */
#define VMC_MSGS_MEMBERS                                                                            \
	char **warnings;   /* one line each, at most 511 bytes */                                     \
	unsigned nwarnings;                                                                           \
	char *report;      /* "key=value" lines, each ending in '\n'; NUL-terminated */               \
	size_t report_len;

struct vmc_msgs {
	VMC_MSGS_MEMBERS
};

/* What an owner keeps: a hostile dump must not make its messages unbounded. */
struct vmc_msgs_caps {
	unsigned max_warnings; /* later warnings are dropped */
	size_t max_report;     /* once the report is longer than this, lines are dropped (0: no limit) */
	size_t max_line;       /* report lines are cut to this many bytes (0: never cut) */
	bool join_newline;     /* a report line that ends in '\n' gets no second one */
};

void vmc_msgs_init(struct vmc_msgs *m);
/* Add a warning line; false when the list is full and the line was dropped. */
bool vmc_msgs_vwarn(struct vmc_msgs *m, const struct vmc_msgs_caps *caps, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
bool vmc_msgs_warn(struct vmc_msgs *m, const struct vmc_msgs_caps *caps, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append one report line (out of memory: the line is lost, as a report is best effort). */
void vmc_msgs_vreport(struct vmc_msgs *m, const struct vmc_msgs_caps *caps, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void vmc_msgs_report(struct vmc_msgs *m, const struct vmc_msgs_caps *caps, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vmc_msgs_release(struct vmc_msgs *m);

#endif
