/* t_bufwriter.c: the buffered writer: appends land at the right offsets, and readback works
 * from the sink, from the buffer, and across the boundary between them. */
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "bufwriter.h"
#include "harness.h"
#include "flat.h"

static struct vmc_diag d;

static uint8_t pat(uint64_t off)
{
	return (uint8_t)(off * 13 + 7);
}

static void write_pattern(struct vmc_bufw *w, uint64_t from, size_t n, size_t chunk)
{
	uint8_t tmp[64];
	while (n) {
		size_t k = n < chunk ? n : chunk;
		for (size_t i = 0; i < k; i++)
			tmp[i] = pat(from + i);
		REQUIRE(vmc_bufw_write(w, tmp, k, &d) == VMC_OK);
		from += k;
		n -= k;
	}
}

static bool readback_ok(struct vmc_bufw *w, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);
	bool ok = vmc_bufw_readback(w, off, buf, len, &d) == VMC_OK;
	for (size_t i = 0; ok && i < len; i++)
		ok = buf[i] == pat(off + i);
	free(buf);
	return ok;
}

TEST(appends_at_start_offset)
{
	struct vmc_bytesink *s;
	struct vmc_bufw w;
	const uint8_t *data;
	size_t len;

	vmc_diag_init(&d);
	REQUIRE(vmc_bytesink_new_mem(&s, &d) == VMC_OK);
	REQUIRE(vmc_bufw_init(&w, s, 1000, 16, &d) == VMC_OK);
	CHECK_EQ(vmc_bufw_pos(&w), 1000);
	write_pattern(&w, 1000, 100, 7);
	CHECK_EQ(vmc_bufw_pos(&w), 1100);
	REQUIRE(vmc_bufw_flush(&w, &d) == VMC_OK);
	CHECK_EQ(vmc_bufw_pos(&w), 1100);
	CHECK_EQ(w.len, 0);
	REQUIRE(vmc_bufw_flush(&w, &d) == VMC_OK); /* empty flush is a no-op */
	data = vmc_bytesink_mem_data(s, &len);
	REQUIRE(len == 1100);
	for (size_t i = 0; i < 1000; i++)
		if (data[i]) {
			CHECK_EQ(data[i], 0);
			break;
		}
	for (size_t i = 1000; i < 1100; i++)
		if (data[i] != pat(i)) {
			CHECK_EQ(data[i], pat(i));
			break;
		}
	vmc_bufw_release(&w);
	vmc_bytesink_free(s);
}

TEST(readback_across_flushed_and_buffered)
{
	struct vmc_bytesink *s;
	struct vmc_bufw w;

	vmc_diag_init(&d);
	REQUIRE(vmc_bytesink_new_mem(&s, &d) == VMC_OK);
	REQUIRE(vmc_bufw_init(&w, s, 64, 32, &d) == VMC_OK);
	write_pattern(&w, 64, 90, 11); /* 64 bytes flushed in two rounds, 26 still buffered */
	CHECK_EQ(w.start, 128);
	CHECK_EQ(w.len, 26);
	CHECK(readback_ok(&w, 64, 10));   /* flushed only */
	CHECK(readback_ok(&w, 128, 26));  /* buffered only */
	CHECK(readback_ok(&w, 120, 20));  /* across the boundary */
	CHECK(readback_ok(&w, 64, 90));   /* everything */
	CHECK(readback_ok(&w, 127, 2));
	CHECK(readback_ok(&w, 153, 1));   /* the last byte */
	CHECK(readback_ok(&w, 128, 0));
	CHECK(readback_ok(&w, 154, 0));
	/* nothing past what was written */
	CHECK(vmc_bufw_readback(&w, 150, (uint8_t[8]){ 0 }, 8, &d) != VMC_OK);
	CHECK(vmc_bufw_readback(&w, 155, (uint8_t[1]){ 0 }, 1, &d) != VMC_OK);
	CHECK(vmc_bufw_readback(&w, 120, (uint8_t[40]){ 0 }, 40, &d) != VMC_OK);
	/* a full-size write exactly at capacity */
	write_pattern(&w, 154, 6, 6);
	CHECK_EQ(w.len, 32);
	write_pattern(&w, 160, 1, 1);
	CHECK_EQ(w.len, 1);
	CHECK(readback_ok(&w, 64, 97));
	vmc_bufw_release(&w);
	vmc_bytesink_free(s);
}

TEST(large_write_through_small_buffer)
{
	struct vmc_bytesink *s;
	struct vmc_bufw w;
	uint8_t *big = malloc(100000);
	const uint8_t *data;
	size_t len;

	REQUIRE(big);
	for (size_t i = 0; i < 100000; i++)
		big[i] = pat(i);
	REQUIRE(vmc_bytesink_new_mem(&s, &d) == VMC_OK);
	REQUIRE(vmc_bufw_init(&w, s, 0, 4096, &d) == VMC_OK);
	REQUIRE(vmc_bufw_write(&w, big, 100000, &d) == VMC_OK);
	CHECK(readback_ok(&w, 0, 100000));
	CHECK(readback_ok(&w, 99990, 10));
	REQUIRE(vmc_bufw_flush(&w, &d) == VMC_OK);
	data = vmc_bytesink_mem_data(s, &len);
	CHECK(len == 100000 && memcmp(data, big, len) == 0);
	vmc_bufw_release(&w);
	vmc_bytesink_free(s);
	free(big);
}

TEST(readback_without_sink_pread)
{
	struct vmc_bytesink *mem, *flat;
	struct vmc_bufw w;

	vmc_diag_init(&d);
	REQUIRE(vmc_bytesink_new_mem(&mem, &d) == VMC_OK);
	REQUIRE(vmc_bytesink_new_flat(mem, &flat, &d) == VMC_OK);
	REQUIRE(vmc_bufw_init(&w, flat, 0, 16, &d) == VMC_OK);
	write_pattern(&w, 0, 40, 40);
	/* still buffered: fine; flushed: the flattened sink cannot read back */
	CHECK(readback_ok(&w, 32, 8));
	CHECK_EQ(vmc_bufw_readback(&w, 0, (uint8_t[8]){ 0 }, 8, &d), VMC_ERR_UNSUPPORTED);
	vmc_bufw_release(&w);
	vmc_bytesink_free(flat);
}

TEST(mem_sink_rejects_absurd_offsets)
{
	struct vmc_bytesink *s;
	uint8_t b = 1;

	REQUIRE(vmc_bytesink_new_mem(&s, &d) == VMC_OK);
	CHECK_EQ(s->ops->pwrite(s, &b, 1, UINT64_MAX, &d), VMC_ERR_LIMIT);
	CHECK_EQ(s->ops->pwrite(s, &b, 1, 1ull << 40, &d), VMC_ERR_LIMIT);
	CHECK_EQ(s->ops->pwrite(s, &b, 1, 10, &d), VMC_OK);
	CHECK(s->ops->pread(s, &b, 1, 11, &d) != VMC_OK);
	CHECK(s->ops->pread(s, &b, 2, 10, &d) != VMC_OK);
	CHECK(s->ops->pread(s, &b, 1, 10, &d) == VMC_OK && b == 1);
	vmc_bytesink_free(s);
}

/* bigmem: from 1 MiB up huge-page-advised (zeroed, 2 MiB aligned), below it zeroed heap
 * memory; a writer's buffer comes from it whatever its size, and one with a big buffer
 * appends, flushes and reads back like any other. */
TEST(big_buffer_from_bigmem)
{
	const size_t cap = 4u << 20, n = 10u << 20;
	uint8_t *p = vmc_bigmem_alloc(3u << 20);
	struct vmc_bytesink *s;
	struct vmc_bufw w;
	bool zero = true;

	REQUIRE(p);
	CHECK_EQ((uintptr_t)p % (2u << 20), 0);
	for (size_t i = 0; i < (3u << 20); i += 512)
		zero = zero && p[i] == 0 && p[i + 511] == 0;
	CHECK(zero);
	memset(p, 0xa5, 3u << 20); /* all of it is writable */
	vmc_bigmem_free(p, 3u << 20);
	p = vmc_bigmem_alloc(1536u << 10); /* from 1 MiB up: a whole huge page */
	REQUIRE(p);
	CHECK_EQ((uintptr_t)p % (2u << 20), 0);
	memset(p, 0x5a, 1536u << 10);
	vmc_bigmem_free(p, 1536u << 10);
	p = vmc_bigmem_alloc(64u << 10); /* below 1 MiB: the heap, zeroed too */
	REQUIRE(p);
	zero = true;
	for (size_t i = 0; i < (64u << 10); i++)
		zero = zero && p[i] == 0;
	CHECK(zero);
	vmc_bigmem_free(p, 64u << 10);
	REQUIRE(vmc_bytesink_new_mem(&s, &d) == VMC_OK);
	REQUIRE(vmc_bufw_init(&w, s, 4096, cap, &d) == VMC_OK);
	write_pattern(&w, 4096, n, 64);
	CHECK_EQ(vmc_bufw_pos(&w), 4096 + n);
	CHECK(readback_ok(&w, 4096, 100));
	CHECK(readback_ok(&w, 4096 + 2 * cap - 50, 100)); /* across a flush */
	CHECK(readback_ok(&w, 4096 + n - 4000, 4000));    /* still buffered */
	REQUIRE(vmc_bufw_flush(&w, &d) == VMC_OK);
	CHECK(readback_ok(&w, 4096, n));
	vmc_bufw_release(&w);
	vmc_bytesink_free(s);
}
