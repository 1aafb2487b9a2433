/* t_printk.c: the kernel-log printer (linux/linux_printk.c): the record line, escapes, a
 * failing output, hostile ring heads and log_buf walks; the crash reason (linux_crash.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "linux_crash.h"
#include "linux_printk.h"

struct cap {
	char buf[8192];
	size_t len;
	int calls_left; /* fail after this many writes (-1: never) */
};

static bool cap_write(void *arg, const char *b, size_t n)
{
	struct cap *c = arg;

	if (c->calls_left == 0)
		return false;
	if (c->calls_left > 0)
		c->calls_left--;
	if (c->len + n < sizeof(c->buf)) {
		memcpy(c->buf + c->len, b, n);
		c->len += n;
		c->buf[c->len] = 0;
	}
	return true;
}

static struct vmc_lprintk_out *out_new(struct cap *c)
{
	struct vmc_lprintk_out *o = malloc(sizeof(*o));

	memset(c, 0, sizeof(*c));
	c->calls_left = -1;
	if (o)
		vmc_lprintk_out_init(o, cap_write, c);
	return o;
}

TEST(record_line_as_makedumpfile)
{
	struct cap c;
	struct vmc_lprintk_out *o = out_new(&c);
	static const uint8_t text[] = "a\nb\x1b[0m\xff\t\r!";

	REQUIRE(o);
	vmc_lprintk_out_record(o, 3000001999ull, text, sizeof(text) - 1);
	vmc_lprintk_out_record(o, 0, (const uint8_t *)"", 0);
	REQUIRE(vmc_lprintk_out_flush(o));
	CHECK(!strcmp(c.buf, "[    3.000001] a\n               b\\x1b[0m\\xff\t\r!\n[    0.000000] \n"));
	if (harness_failures())
		harness_note("got '%s'", c.buf);
	CHECK_EQ(o->printed, 2);
	free(o);
}

TEST(write_failure_stops_and_reports)
{
	struct cap c;
	struct vmc_lprintk_out *o = out_new(&c);
	uint8_t big[6000];

	REQUIRE(o);
	memset(big, 'x', sizeof(big));
	c.calls_left = 0;
	vmc_lprintk_out_record(o, 0, big, sizeof(big)); /* over the 4 KiB buffer: a write happens */
	CHECK(o->write_failed);
	CHECK(!vmc_lprintk_out_flush(o));
	free(o);
}

TEST(prb_far_tail_is_bounded)
{
	struct cap c;
	struct vmc_lprintk_out *o = out_new(&c);
	uint8_t descs[4 * 24] = { 0 }, infos[4 * 88] = { 0 }, data[64] = { 0 };
	struct vmc_lprintk_prb r = { .desc_size = 24, .info_size = 88, .off_begin = 8, .off_next = 16, .off_ts = 8,
				     .off_text_len = 16, .count = 4, .size = 64, .descs = descs, .infos = infos,
				     .data = data, .head_id = 5, .tail_id = 6 /* 2^62 - 1 records behind */ };
	struct vmc_diag d;
	uint64_t sv = (2ull << 62) | 5, begin = 0, next = 16, id = 5;

	REQUIRE(o);
	memcpy(descs + 1 * 24, &sv, 8); /* id 5 in slot 1: finalized */
	memcpy(descs + 1 * 24 + 8, &begin, 8);
	memcpy(descs + 1 * 24 + 16, &next, 8);
	memcpy(data, &id, 8);
	memcpy(data + 8, "hi", 2);
	infos[88 + 16] = 2;
	vmc_diag_init(&d);
	CHECK_EQ(vmc_lprintk_prb_print(&r, o, &d), VMC_OK);
	vmc_lprintk_out_flush(o);
	CHECK(d.nwarn == 1 && strstr(d.warn[0], "more than the 4 the ring holds"));
	CHECK(!strcmp(c.buf, "[    0.000000] hi\n"));
	CHECK_EQ(o->miss, 3); /* ids 2..4 are not in their slots */
	free(o);
}

TEST(logbuf_rejects_bad_indices)
{
	struct cap c;
	struct vmc_lprintk_out *o = out_new(&c);
	uint8_t buf[64] = { 0 };
	struct vmc_lprintk_logbuf l = { .hdr_size = 16, .off_len = 8, .off_text_len = 10, .buf = buf, .len = sizeof(buf),
					.first = 56, .next = 0 };
	struct vmc_diag d;

	REQUIRE(o);
	vmc_diag_init(&d);
	CHECK_EQ(vmc_lprintk_logbuf_print(&l, o, &d), VMC_ERR_CORRUPT); /* 56 + header > 64 */
	l.first = 0;
	l.next = 8;
	buf[8] = 4; /* a record shorter than its header */
	vmc_diag_init(&d);
	CHECK_EQ(vmc_lprintk_logbuf_print(&l, o, &d), VMC_OK);
	CHECK(d.nwarn == 1 && strstr(d.warn[0], "shorter than its header"));
	free(o);
}

/* linux_crash.c: the crash reason picked from printed log text, fed in odd pieces */
TEST(crash_reason_lines)
{
	static struct vmc_lcrash c;
	static const char log[] = "[    0.000000] Linux version 6.1\n"
				  "[    1.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
				  "[    1.000001] Oops: 0002 [#1] PREEMPT SMP NOPTI\n"
				  "[    2.000000] Kernel panic - not syncing: Fatal exception\n"
				  "[    3.000000] esc \x1b[2J\r end";
	char longline[600];

	vmc_lcrash_init(&c);
	for (size_t i = 0; i < sizeof(log) - 1; i += 7)
		vmc_lcrash_write(&c, log + i, sizeof(log) - 1 - i < 7 ? sizeof(log) - 1 - i : 7);
	vmc_lcrash_finish(&c);
	CHECK(!strcmp(c.panic, "[    2.000000] Kernel panic - not syncing: Fatal exception"));
	CHECK(!strcmp(c.oops, "[    1.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000"));
	CHECK_EQ(c.nlast, 5);
	CHECK_EQ(c.lines, 5);
	CHECK(!strcmp(vmc_lcrash_last(&c, 0), "[    0.000000] Linux version 6.1"));
	CHECK(!strcmp(vmc_lcrash_last(&c, 4), "[    3.000000] esc ?[2J? end"));
	CHECK(!strcmp(vmc_lcrash_last(&c, 5), ""));

	/* twelve lines: the last ten stay, oldest first; a long line is cut with "..." */
	vmc_lcrash_init(&c);
	for (int i = 0; i < 11; i++) {
		char l[48];
		snprintf(l, sizeof(l), "[ %d.0] line %d\n", i, i);
		vmc_lcrash_write(&c, l, strlen(l));
	}
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	vmc_lcrash_write(&c, longline, strlen(longline));
	vmc_lcrash_finish(&c);
	CHECK_EQ(c.nlast, 10);
	CHECK(!strcmp(vmc_lcrash_last(&c, 0), "[ 2.0] line 2"));
	CHECK(strlen(vmc_lcrash_last(&c, 9)) == VMC_LCRASH_LINE - 1 && strstr(vmc_lcrash_last(&c, 9), "xxx..."));
	CHECK(!c.panic[0] && !c.oops[0]);
}
