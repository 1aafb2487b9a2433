/* t_msgs.c: the warning/report collector (core/msgs.h): caps, cuts and newlines. */
#include <string.h>

#include "harness.h"
#include "msgs.h"

TEST(warnings_are_capped_and_cut)
{
	static const struct vmc_msgs_caps caps = { .max_warnings = 3 };
	struct vmc_msgs m;
	char big[1000];

	vmc_msgs_init(&m);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK(vmc_msgs_warn(&m, &caps, "one %d", 1));
	CHECK(vmc_msgs_warn(&m, &caps, "%s", big));
	CHECK(vmc_msgs_warn(&m, &caps, "three"));
	CHECK(!vmc_msgs_warn(&m, &caps, "four: dropped"));
	REQUIRE(m.nwarnings == 3);
	CHECK(!strcmp(m.warnings[0], "one 1"));
	CHECK_EQ(strlen(m.warnings[1]), 511);
	CHECK(!strcmp(m.warnings[2], "three"));
	vmc_msgs_release(&m);
	CHECK(m.warnings == NULL && m.nwarnings == 0 && m.report == NULL);
}

TEST(report_lines_cut_or_whole)
{
	static const struct vmc_msgs_caps cut = { .max_line = 511 }, whole = { 0 };
	struct vmc_msgs m;
	char big[1500];

	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	vmc_msgs_init(&m);
	vmc_msgs_report(&m, &cut, "a=%d", 1);
	vmc_msgs_report(&m, &cut, "%s", big);
	CHECK_EQ(m.report_len, 4 + 512);
	CHECK(m.report && !strncmp(m.report, "a=1\nyyy", 7));
	CHECK_EQ(strlen(m.report), m.report_len);
	vmc_msgs_release(&m);
	vmc_msgs_report(&m, &whole, "%s", big);
	CHECK_EQ(m.report_len, sizeof(big));
	CHECK_EQ(strlen(m.report), m.report_len);
	vmc_msgs_release(&m);
}

TEST(report_newlines_and_size_cap)
{
	static const struct vmc_msgs_caps join = { .max_report = 8, .max_line = 511, .join_newline = true };
	static const struct vmc_msgs_caps always = { .max_line = 511 };
	struct vmc_msgs m;

	vmc_msgs_init(&m);
	vmc_msgs_report(&m, &join, "k=v\n"); /* ends in '\n': no second one */
	vmc_msgs_report(&m, &join, "%s", "");   /* adds nothing after a '\n' */
	CHECK(m.report && !strcmp(m.report, "k=v\n"));
	vmc_msgs_report(&m, &join, "x=12345");  /* report not yet over 8: kept */
	vmc_msgs_report(&m, &join, "dropped=1");
	CHECK(!strcmp(m.report, "k=v\nx=12345\n"));
	vmc_msgs_release(&m);
	vmc_msgs_report(&m, &always, "k=v\n");
	vmc_msgs_report(&m, &always, "%s", "");
	CHECK(m.report && !strcmp(m.report, "k=v\n\n\n"));
	vmc_msgs_release(&m);
}
