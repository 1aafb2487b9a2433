/* t_flat.c: makedumpfile's flattened format read as a byte source: record order,
 * overlapping rewrites (last write wins), holes, truncation, hostile sizes; and the
 * flattened sink read back through the flattened source. */
#include <stdlib.h>
#include <string.h>

#include "bytesink.h"
#include "bytesrc.h"
#include "flat.h"
#include "harness.h"
#include "testdump.h"

static struct vmc_diag d;

struct stream {
	uint8_t *buf;
	size_t len;
};

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void s_init(struct stream *s)
{
	s->len = VMC_FLAT_HEADER_SIZE;
	s->buf = calloc(1, s->len);
	memcpy(s->buf, "makedumpfile", 12);
	put_be64(s->buf + 16, 1);
	put_be64(s->buf + 24, 1);
}

static void s_raw(struct stream *s, uint64_t off, uint64_t size, const void *data, size_t dlen)
{
	s->buf = realloc(s->buf, s->len + 16 + dlen);
	put_be64(s->buf + s->len, off);
	put_be64(s->buf + s->len + 8, size);
	if (dlen)
		memcpy(s->buf + s->len + 16, data, dlen);
	s->len += 16 + dlen;
}

/* a record whose data bytes are value-tagged: byte i of the record = tag + i */
static void s_rec(struct stream *s, uint64_t off, size_t size, uint8_t tag)
{
	uint8_t *tmp = malloc(size ? size : 1);
	for (size_t i = 0; i < size; i++)
		tmp[i] = (uint8_t)(tag + i);
	s_raw(s, off, size, tmp, size);
	free(tmp);
}

static void s_end(struct stream *s)
{
	s_raw(s, UINT64_MAX, UINT64_MAX, NULL, 0);
}

static enum vmc_status s_open(struct stream *s, struct vmc_bytesrc **flat)
{
	struct vmc_bytesrc *inner;
	enum vmc_status rc;

	vmc_diag_init(&d);
	if (vmc_bytesrc_new_mem("flat", s->buf, s->len, &inner, &d))
		return VMC_ERR_NOMEM;
	rc = vmc_bytesrc_new_flat(inner, flat, &d);
	if (rc)
		vmc_bytesrc_free(inner);
	return rc;
}

static bool is_trunc(const struct vmc_bytesrc *f)
{
	uint64_t cut = 0;
	return vmc_flat_truncated(f, &cut);
}

static uint64_t cut_at(const struct vmc_bytesrc *f)
{
	uint64_t cut = UINT64_MAX;
	return vmc_flat_truncated(f, &cut) ? cut : UINT64_MAX;
}

static bool read_all(struct vmc_bytesrc *src, uint64_t off, size_t len, uint8_t *out)
{
	size_t got = 0;
	return src->ops->pread(src, out, len, off, &got, &d) == VMC_OK && got == len;
}

TEST(probe_and_identity)
{
	struct stream s;
	struct vmc_bytesrc *f;

	s_init(&s);
	CHECK(vmc_flat_probe(s.buf, s.len));
	CHECK(!vmc_flat_probe(s.buf, 31));
	s.buf[16 + 7] = 2;
	CHECK(!vmc_flat_probe(s.buf, s.len));
	s.buf[16 + 7] = 1;
	s_rec(&s, 0, 10, 0);
	s_end(&s);
	REQUIRE(s_open(&s, &f) == VMC_OK);
	CHECK(vmc_bytesrc_is_flat(f));
	CHECK(!is_trunc(f));
	CHECK_EQ(f->size, 10);
	vmc_bytesrc_free(f);
	free(s.buf);
}

TEST(out_of_order_records)
{
	struct stream s;
	struct vmc_bytesrc *f;
	uint8_t out[300];

	s_init(&s);
	s_rec(&s, 200, 100, 200);
	s_rec(&s, 0, 100, 0);
	s_rec(&s, 100, 100, 100);
	s_end(&s);
	REQUIRE(s_open(&s, &f) == VMC_OK);
	CHECK_EQ(f->size, 300);
	REQUIRE(read_all(f, 0, 300, out));
	for (int i = 0; i < 300; i++)
		if (out[i] != (uint8_t)i) {
			CHECK_EQ(out[i], (uint8_t)i);
			break;
		}
	vmc_bytesrc_free(f);
	free(s.buf);
}

TEST(gaps_read_as_zeros)
{
	struct stream s;
	struct vmc_bytesrc *f;
	uint8_t out[1000];
	size_t got = 0;

	s_init(&s);
	s_rec(&s, 100, 10, 1);
	s_rec(&s, 500, 10, 1);
	s_end(&s);
	REQUIRE(s_open(&s, &f) == VMC_OK);
	CHECK_EQ(f->size, 510);
	memset(out, 0xee, sizeof(out));
	REQUIRE(read_all(f, 0, 510, out));
	for (int i = 0; i < 510; i++) {
		uint8_t want = (i >= 100 && i < 110) ? (uint8_t)(1 + i - 100) : (i >= 500) ? (uint8_t)(1 + i - 500) : 0;
		if (out[i] != want) {
			CHECK_EQ(out[i], want);
			break;
		}
	}
	/* reads clipped at the end, and past it */
	CHECK(f->ops->pread(f, out, 100, 505, &got, &d) == VMC_OK && got == 5);
	CHECK(f->ops->pread(f, out, 100, 510, &got, &d) == VMC_OK && got == 0);
	CHECK(f->ops->pread(f, out, 100, UINT64_MAX - 5, &got, &d) == VMC_OK && got == 0);
	vmc_bytesrc_free(f);
	free(s.buf);
}

/* Apply records in order to a flat buffer: the ground truth for "last write wins". */
struct model_rec {
	uint64_t off;
	size_t len;
	uint8_t tag;
};

static void check_model(const struct model_rec *r, size_t n, bool end)
{
	struct stream s;
	struct vmc_bytesrc *f;
	uint64_t size = 0;
	uint8_t *want, *got;

	s_init(&s);
	for (size_t i = 0; i < n; i++) {
		s_rec(&s, r[i].off, r[i].len, r[i].tag);
		if (r[i].len && r[i].off + r[i].len > size)
			size = r[i].off + r[i].len;
	}
	if (end)
		s_end(&s);
	want = calloc(1, size + 1);
	got = calloc(1, size + 1);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < r[i].len; k++)
			want[r[i].off + k] = (uint8_t)(r[i].tag + k);
	REQUIRE(s_open(&s, &f) == VMC_OK);
	CHECK_EQ(f->size, size);
	CHECK_EQ(is_trunc(f), !end);
	REQUIRE(read_all(f, 0, size, got));
	if (memcmp(want, got, size)) {
		for (uint64_t i = 0; i < size; i++)
			if (want[i] != got[i]) {
				harness_note("first difference at 0x%llx of 0x%llx (%zu records)", (unsigned long long)i,
					     (unsigned long long)size, n);
				break;
			}
		CHECK(0);
	}
	/* and byte-by-byte small reads agree with the big one */
	for (uint64_t i = 0; i < size; i += 1 + i % 13) {
		uint8_t b;
		CHECK(read_all(f, i, 1, &b) && b == want[i]);
	}
	vmc_bytesrc_free(f);
	free(want);
	free(got);
	free(s.buf);
}

TEST(overlapping_rewrite_last_wins)
{
	struct model_rec a[] = { { 0, 100, 0 }, { 50, 10, 0x80 } };                  /* inside */
	struct model_rec b[] = { { 0, 100, 0 }, { 80, 40, 0x40 } };                  /* across the end */
	struct model_rec c[] = { { 50, 100, 0 }, { 0, 60, 0x40 } };                  /* across the start */
	struct model_rec e[] = { { 10, 10, 0 }, { 0, 100, 0x40 } };                  /* covers an older one */
	struct model_rec f[] = { { 0, 64, 1 }, { 0, 64, 2 }, { 0, 64, 3 } };         /* same spot thrice */
	struct model_rec g[] = { { 0, 100, 1 }, { 20, 60, 2 }, { 40, 20, 3 }, { 30, 5, 4 }, { 90, 30, 5 } };
	struct model_rec h[] = { { 0, 100, 1 }, { 40, 20, 2 }, { 20, 60, 3 } };      /* newer wider over newer narrow */

	check_model(a, 2, true);
	check_model(b, 2, true);
	check_model(c, 2, true);
	check_model(e, 2, true);
	check_model(f, 3, true);
	check_model(g, 5, true);
	check_model(h, 3, true);
}

TEST(random_records_match_model)
{
	uint64_t seed = 77;

	for (int round = 0; round < 300; round++) {
		struct model_rec r[24];
		size_t n = 1 + td_rand(&seed) % 24;
		for (size_t i = 0; i < n; i++) {
			r[i].off = td_rand(&seed) % 600;
			r[i].len = td_rand(&seed) % 5 == 0 ? 0 : td_rand(&seed) % 200;
			r[i].tag = (uint8_t)td_rand(&seed);
		}
		check_model(r, n, round % 3 != 0);
	}
}

TEST(zero_length_records_and_data_after_end)
{
	struct stream s;
	struct vmc_bytesrc *f;

	s_init(&s);
	s_rec(&s, 5000, 0, 0); /* does not extend the file */
	s_rec(&s, 0, 8, 0);
	s_end(&s);
	s_rec(&s, 100, 8, 0); /* after the end marker: ignored */
	REQUIRE(s_open(&s, &f) == VMC_OK);
	CHECK_EQ(f->size, 8);
	CHECK(!is_trunc(f));
	vmc_bytesrc_free(f);
	free(s.buf);
}

TEST(truncated_stream_flagged)
{
	struct stream s;
	struct vmc_bytesrc *f;
	uint8_t out[64];

	/* no end marker */
	s_init(&s);
	s_rec(&s, 0, 32, 0);
	REQUIRE(s_open(&s, &f) == VMC_OK);
	CHECK(is_trunc(f));
	CHECK_EQ(cut_at(f), VMC_FLAT_HEADER_SIZE + 48);
	CHECK_EQ(f->size, 32);
	vmc_bytesrc_free(f);
	/* cut inside a record's data: that record is dropped, earlier ones stay */
	s_rec(&s, 32, 32, 32);
	s.len -= 10;
	REQUIRE(s_open(&s, &f) == VMC_OK);
	CHECK(is_trunc(f));
	CHECK_EQ(cut_at(f), VMC_FLAT_HEADER_SIZE + 48);
	CHECK_EQ(f->size, 32);
	CHECK(read_all(f, 0, 32, out) && out[31] == 31);
	vmc_bytesrc_free(f);
	/* cut inside a record header */
	s.len -= 22 + 8;
	REQUIRE(s_open(&s, &f) == VMC_OK);
	CHECK(is_trunc(f));
	CHECK_EQ(f->size, 32);
	vmc_bytesrc_free(f);
	/* only the header */
	s.len = VMC_FLAT_HEADER_SIZE;
	REQUIRE(s_open(&s, &f) == VMC_OK);
	CHECK(is_trunc(f));
	CHECK_EQ(cut_at(f), VMC_FLAT_HEADER_SIZE);
	CHECK_EQ(f->size, 0);
	vmc_bytesrc_free(f);
	/* shorter than the header */
	s.len = 100;
	REQUIRE(s_open(&s, &f) == VMC_OK);
	CHECK(is_trunc(f));
	CHECK_EQ(f->size, 0);
	vmc_bytesrc_free(f);
	free(s.buf);
}

TEST(hostile_sizes)
{
	struct stream s;
	struct vmc_bytesrc *f;
	uint8_t out[16];

	/* size with the top bits set */
	s_init(&s);
	s_raw(&s, 0, 1ull << 62, NULL, 0);
	CHECK_EQ(s_open(&s, &f), VMC_ERR_CORRUPT);
	free(s.buf);
	/* offset with the top bits set */
	s_init(&s);
	s_raw(&s, 1ull << 63, 4, "abcd", 4);
	CHECK_EQ(s_open(&s, &f), VMC_ERR_CORRUPT);
	free(s.buf);
	/* -1 offset with a real size is not the end marker */
	s_init(&s);
	s_raw(&s, UINT64_MAX, 4, "abcd", 4);
	CHECK_EQ(s_open(&s, &f), VMC_ERR_CORRUPT);
	free(s.buf);
	/* a size larger than the rest of the stream: treated as a cut */
	s_init(&s);
	s_rec(&s, 0, 8, 0);
	s_raw(&s, 8, 1ull << 40, "abcd", 4);
	REQUIRE(s_open(&s, &f) == VMC_OK);
	CHECK(is_trunc(f));
	CHECK_EQ(f->size, 8);
	vmc_bytesrc_free(f);
	free(s.buf);
	/* a far offset makes a huge sparse file that reads as zeros */
	s_init(&s);
	s_rec(&s, (1ull << 61) - 4, 4, 9);
	s_end(&s);
	REQUIRE(s_open(&s, &f) == VMC_OK);
	CHECK_EQ(f->size, 1ull << 61);
	memset(out, 0xee, sizeof(out));
	CHECK(read_all(f, (1ull << 61) - 16, 16, out) && out[0] == 0 && out[11] == 0 && out[12] == 9 && out[15] == 12);
	CHECK(read_all(f, 1ull << 40, 16, out) && out[0] == 0 && out[15] == 0);
	vmc_bytesrc_free(f);
	free(s.buf);
}

TEST(flat_sink_reads_back)
{
	struct vmc_bytesink *mem, *flat;
	struct vmc_bytesrc *inner, *src;
	const uint8_t *data;
	size_t len;
	uint8_t out[200];

	vmc_diag_init(&d);
	REQUIRE(vmc_bytesink_new_mem(&mem, &d) == VMC_OK);
	REQUIRE(vmc_bytesink_new_flat(mem, &flat, &d) == VMC_OK);
	CHECK(flat->ops->pread == NULL);
	CHECK(flat->ops->pwrite(flat, "world", 5, 106, &d) == VMC_OK);
	CHECK(flat->ops->pwrite(flat, "hello ", 6, 100, &d) == VMC_OK);
	CHECK(flat->ops->pwrite(flat, "W", 1, 106, &d) == VMC_OK);
	CHECK(flat->ops->finish(flat, &d) == VMC_OK);
	data = vmc_bytesink_mem_data(mem, &len);
	REQUIRE(vmc_flat_probe(data, len));
	REQUIRE(vmc_bytesrc_new_mem("m", data, len, &inner, &d) == VMC_OK);
	REQUIRE(vmc_bytesrc_new_flat(inner, &src, &d) == VMC_OK);
	CHECK(!is_trunc(src));
	CHECK_EQ(src->size, 111);
	CHECK(read_all(src, 0, 111, out) && out[0] == 0 && memcmp(out + 100, "hello World", 11) == 0);
	vmc_bytesrc_free(src);
	vmc_bytesink_free(flat);
}
