/* t_codec.c: every codec round-trips a page through vmc_codec_compress and
 * vmc_codec_decompress_kdump; the failure paths fail cleanly. */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "pagehash.h"
#include "pagehash_avx2.h"
#include <xxhash.h>
#include "harness.h"
#include "testdump.h"

#define PS 4096

static struct vmc_diag d;

static void fill_text(uint8_t *p, size_t n, unsigned salt)
{
	static const char words[] = "kernel page frame vmcore crash dump makedumpfile ";
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(words[(i + salt) % (sizeof(words) - 1)] ^ (i % 997 == 0 ? salt : 0));
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = td_rand(&seed);
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

TEST(codec_table)
{
	CHECK(vmc_codec_get(VMC_CODEC_COUNT) == NULL);
	CHECK(strcmp(vmc_codec_get(VMC_CODEC_NONE)->name, "none") == 0);
	CHECK_EQ(vmc_codec_get(VMC_CODEC_NONE)->kdump_flag, 0);
	CHECK_EQ(vmc_codec_get(VMC_CODEC_ZLIB)->kdump_flag, VMC_KDUMP_ZLIB);
	CHECK_EQ(vmc_codec_get(VMC_CODEC_LZO)->kdump_flag, VMC_KDUMP_LZO);
	CHECK_EQ(vmc_codec_get(VMC_CODEC_SNAPPY)->kdump_flag, VMC_KDUMP_SNAPPY);
	CHECK_EQ(vmc_codec_get(VMC_CODEC_ZSTD)->kdump_flag, VMC_KDUMP_ZSTD);
	for (int c = 0; c < VMC_CODEC_COUNT; c++)
		CHECK(vmc_codec_max_bound(PS) >= vmc_codec_get(c)->bound(PS));
	CHECK(vmc_codec_max_bound(PS) >= PS);
}

TEST(round_trip_every_codec)
{
	uint8_t page[PS], back[PS];
	size_t bound = vmc_codec_max_bound(PS);
	uint8_t *out = malloc(bound);

	REQUIRE(out);
	for (int c = 0; c < VMC_CODEC_COUNT; c++) {
		struct vmc_codec_ctx *ctx = vmc_codec_ctx_new(c);
		REQUIRE(ctx);
		/* reuse one context over several pages: the state must reset between pages */
		for (unsigned salt = 0; salt < 6; salt++) {
			size_t n;
			if (salt == 5)
				memset(page, 0, PS);
			else
				fill_text(page, PS, salt);
			n = vmc_codec_compress(ctx, page, PS, out, vmc_codec_get(c)->bound(PS));
			if (c == VMC_CODEC_NONE) {
				CHECK_EQ(n, 0);
				continue;
			}
			CHECK(n > 0 && n < PS);
			if (!n)
				continue;
			memset(back, 0xcc, PS);
			vmc_diag_init(&d);
			CHECK_EQ(vmc_codec_decompress_kdump(vmc_codec_get(c)->kdump_flag, out, n, back, PS, &d), VMC_OK);
			CHECK(memcmp(back, page, PS) == 0);
		}
		vmc_codec_ctx_free(ctx);
	}
	free(out);
}

TEST(round_trip_large_pages)
{
	size_t ps = 65536, bound = vmc_codec_max_bound(ps);
	uint8_t *page = malloc(ps), *back = malloc(ps), *out = malloc(bound);

	REQUIRE(page && back && out);
	fill_text(page, ps, 3);
	for (int c = 1; c < VMC_CODEC_COUNT; c++) {
		struct vmc_codec_ctx *ctx = vmc_codec_ctx_new(c);
		size_t n = vmc_codec_compress(ctx, page, ps, out, vmc_codec_get(c)->bound(ps));
		CHECK(n > 0 && n < ps);
		CHECK_EQ(vmc_codec_decompress_kdump(vmc_codec_get(c)->kdump_flag, out, n, back, ps, &d), VMC_OK);
		CHECK(memcmp(back, page, ps) == 0);
		vmc_codec_ctx_free(ctx);
	}
	free(page);
	free(back);
	free(out);
}

TEST(incompressible_page_returns_zero)
{
	uint8_t page[PS];
	size_t bound = vmc_codec_max_bound(PS);
	uint8_t *out = malloc(bound);

	REQUIRE(out);
	fill_random(page, PS, 7);
	for (int c = 0; c < VMC_CODEC_COUNT; c++) {
		struct vmc_codec_ctx *ctx = vmc_codec_ctx_new(c);
		REQUIRE(ctx);
		CHECK_EQ(vmc_codec_compress(ctx, page, PS, out, vmc_codec_get(c)->bound(PS)), 0);
		vmc_codec_ctx_free(ctx);
	}
	free(out);
}

/* compress() promises 0 when the output would not fit below maxlen; it must never write
 * past maxlen bytes of dst, whatever the codec. */
TEST(compress_never_writes_past_maxlen)
{
	uint8_t page[PS];
	size_t bound = vmc_codec_max_bound(PS) + 256, maxlen = PS / 2;
	uint8_t *out = malloc(bound);

	REQUIRE(out);
	fill_random(page, PS, 99);
	for (int c = 1; c < VMC_CODEC_COUNT; c++) {
		struct vmc_codec_ctx *ctx = vmc_codec_ctx_new(c);
		size_t n, k;
		REQUIRE(ctx);
		memset(out, 0xa5, bound);
		n = vmc_codec_compress(ctx, page, PS, out, maxlen);
		CHECK_EQ(n, 0);
		for (k = maxlen; k < bound && out[k] == 0xa5; k++)
			;
		if (k != bound)
			harness_note("%s wrote past maxlen 0x%zx (byte 0x%zx changed)", vmc_codec_get(c)->name, maxlen, k);
		CHECK(k == bound);
		vmc_codec_ctx_free(ctx);
	}
	free(out);
}

TEST(decompress_garbage_fails_cleanly)
{
	uint8_t junk[600], back[PS];
	uint32_t flags[] = { VMC_KDUMP_ZLIB, VMC_KDUMP_LZO, VMC_KDUMP_SNAPPY, VMC_KDUMP_ZSTD };
	uint64_t seed = 5;

	for (int round = 0; round < 50; round++) {
		size_t n = td_rand(&seed) % sizeof(junk);
		fill_random(junk, sizeof(junk), td_rand(&seed));
		for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
			enum vmc_status st;
			vmc_diag_init(&d);
			st = vmc_codec_decompress_kdump(flags[f], junk, n, back, PS, &d);
			CHECK(st == VMC_ERR_CORRUPT);
			CHECK(st != VMC_OK || d.msg[0] == 0);
			if (st)
				CHECK(d.msg[0] != 0);
		}
	}
	/* empty input */
	for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++)
		CHECK_EQ(vmc_codec_decompress_kdump(flags[f], junk, 0, back, PS, &d), VMC_ERR_CORRUPT);
}

TEST(decompress_unknown_flag_is_unsupported)
{
	uint8_t junk[16] = { 0 }, back[PS];

	CHECK_EQ(vmc_codec_decompress_kdump(0, junk, sizeof(junk), back, PS, &d), VMC_ERR_UNSUPPORTED);
	CHECK_EQ(vmc_codec_decompress_kdump(VMC_KDUMP_INCOMPLETE, junk, sizeof(junk), back, PS, &d), VMC_ERR_UNSUPPORTED);
	CHECK_EQ(vmc_codec_decompress_kdump(0x40, junk, sizeof(junk), back, PS, &d), VMC_ERR_UNSUPPORTED);
}

TEST(wrong_output_length_fails)
{
	uint8_t page[PS], *back = malloc(2 * PS);
	size_t bound = vmc_codec_max_bound(PS);
	uint8_t *out = malloc(bound);

	REQUIRE(out && back);
	fill_text(page, PS, 1);
	for (int c = 1; c < VMC_CODEC_COUNT; c++) {
		struct vmc_codec_ctx *ctx = vmc_codec_ctx_new(c);
		uint32_t flag = vmc_codec_get(c)->kdump_flag;
		size_t n = vmc_codec_compress(ctx, page, PS, out, bound);
		REQUIRE(n > 0);
		vmc_diag_init(&d);
		CHECK_EQ(vmc_codec_decompress_kdump(flag, out, n, back, PS / 2, &d), VMC_ERR_CORRUPT);
		CHECK_EQ(vmc_codec_decompress_kdump(flag, out, n, back, 2 * PS, &d), VMC_ERR_CORRUPT);
		CHECK_EQ(vmc_codec_decompress_kdump(flag, out, n, back, PS - 1, &d), VMC_ERR_CORRUPT);
		/* a stream cut short */
		CHECK_EQ(vmc_codec_decompress_kdump(flag, out, n / 2, back, PS, &d), VMC_ERR_CORRUPT);
		/* and still fine with the right size */
		CHECK_EQ(vmc_codec_decompress_kdump(flag, out, n, back, PS, &d), VMC_OK);
		CHECK(memcmp(back, page, PS) == 0);
		vmc_codec_ctx_free(ctx);
	}
	free(out);
	free(back);
}

TEST(flag_precedence_zlib_first)
{
	uint8_t page[PS], back[PS];
	size_t bound = vmc_codec_max_bound(PS);
	uint8_t *out = malloc(bound);
	struct vmc_codec_ctx *ctx = vmc_codec_ctx_new(VMC_CODEC_ZLIB);
	size_t n;

	REQUIRE(out && ctx);
	fill_text(page, PS, 2);
	n = vmc_codec_compress(ctx, page, PS, out, bound);
	REQUIRE(n > 0);
	/* crash and makedumpfile test zlib before lzo, snappy and zstd */
	CHECK_EQ(vmc_codec_decompress_kdump(VMC_KDUMP_ZLIB | VMC_KDUMP_LZO | VMC_KDUMP_ZSTD, out, n, back, PS, &d), VMC_OK);
	CHECK(memcmp(back, page, PS) == 0);
	vmc_codec_ctx_free(ctx);
	free(out);
}

/* The dedup hash is XXH3_64bits whichever build of it runs (the AVX2 one where the CPU has
 * it): the same value for every length around the vector blocks and for pages of noise,
 * text-like bytes and zeros. */
TEST(pagehash_is_xxh3)
{
	size_t n = 3 * 65536;
	uint8_t *b = malloc(n);
	uint64_t x = 0x9e3779b97f4a7c15ull;

	REQUIRE(b);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		b[i] = i < 65536 ? (uint8_t)x : i < 131072 ? (uint8_t)('a' + x % 7) : 0;
	}
	for (size_t len = 0; len <= 1100; len++)
		CHECK_EQ(vmc_pagehash(b + len % 61, len), XXH3_64bits(b + len % 61, len));
	for (size_t off = 0; off + 65536 <= n; off += 4096 + 64) {
		CHECK_EQ(vmc_pagehash(b + off, 4096), XXH3_64bits(b + off, 4096));
		CHECK_EQ(vmc_pagehash(b + off, 65536), XXH3_64bits(b + off, 65536));
	}
#if VMC_PAGEHASH_AVX2
	if (__builtin_cpu_supports("avx2"))
		for (size_t off = 0; off + 16384 <= n; off += 4096 + 8)
			CHECK_EQ(vmc_pagehash_avx2(b + off, 16384), XXH3_64bits(b + off, 16384));
#endif
	free(b);
}
