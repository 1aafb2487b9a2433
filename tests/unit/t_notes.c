/* t_notes.c: ELF note iteration, malformed blobs, VMCOREINFO lookups. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "notes.h"
#include "testdump.h"

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static const char vmci[] = "OSRELEASE=5.14.0-test\nPAGESIZE=4096\nSYMBOL(init_uts_ns)=ffffffff82a1b2c0\n"
			   "NUMBER(phys_base)=16777216\nPAGESIZEX=1\nKERNELOFFSET=1e000000\nEMPTY=\nEQ=a=b\nLAST=tail";

TEST(iterate_three_notes)
{
	uint8_t *b = NULL, desc[7] = { 1, 2, 3, 4, 5, 6, 7 };
	size_t len = 0, pos = 0;
	struct vmc_note n;

	td_add_note(&b, &len, "CORE", VMC_NT_PRSTATUS, desc, 7);
	td_add_note(&b, &len, "VMCOREINFO", 0, vmci, strlen(vmci));
	td_add_note(&b, &len, "Xen", VMC_XEN_ELFNOTE_CRASH_INFO, NULL, 0);
	REQUIRE(vmc_note_next(b, len, &pos, &n) == VMC_OK);
	CHECK(vmc_note_is(&n, "CORE"));
	CHECK(!vmc_note_is(&n, "COR"));
	CHECK(!vmc_note_is(&n, "CORE2"));
	CHECK_EQ(n.name_len, 4);
	CHECK_EQ(n.type, VMC_NT_PRSTATUS);
	CHECK_EQ(n.offset, 0);
	CHECK_EQ(n.desc_offset, 12 + 8);
	CHECK_EQ(n.desc_len, 7);
	CHECK(memcmp(n.desc, desc, 7) == 0);
	CHECK_EQ(pos, 12 + 8 + 8);
	REQUIRE(vmc_note_next(b, len, &pos, &n) == VMC_OK);
	CHECK(vmc_note_is(&n, "VMCOREINFO"));
	CHECK_EQ(n.offset, 28);
	CHECK_EQ(n.desc_len, strlen(vmci));
	REQUIRE(vmc_note_next(b, len, &pos, &n) == VMC_OK);
	CHECK(vmc_note_is(&n, "Xen"));
	CHECK_EQ(n.desc_len, 0);
	CHECK_EQ(pos, len);
	CHECK_EQ(vmc_note_next(b, len, &pos, &n), VMC_DONE);
	CHECK_EQ(vmc_notes_valid_len(b, len), len);
	CHECK_EQ(vmc_notes_count(b, len, "CORE", VMC_NT_PRSTATUS), 1);
	CHECK_EQ(vmc_notes_count(b, len, "CORE", 2), 0);
	CHECK(vmc_notes_find(b, len, "Xen", &n) && n.type == VMC_XEN_ELFNOTE_CRASH_INFO);
	CHECK(!vmc_notes_find(b, len, "QEMU", &n));
	free(b);
}

TEST(name_without_nul_and_extra_nuls)
{
	uint8_t b[64] = { 0 };
	size_t pos = 0;
	struct vmc_note n;

	/* namesz 4 "CORE" without a NUL, then namesz 8 "Xen\0\0\0\0\0" */
	put32(b, 4), put32(b + 4, 4), put32(b + 8, 1);
	memcpy(b + 12, "CORE", 4);
	put32(b + 20, 8), put32(b + 24, 0), put32(b + 28, 2);
	memcpy(b + 32, "Xen", 3);
	REQUIRE(vmc_note_next(b, 40, &pos, &n) == VMC_OK);
	CHECK(vmc_note_is(&n, "CORE"));
	CHECK_EQ(pos, 20);
	REQUIRE(vmc_note_next(b, 40, &pos, &n) == VMC_OK);
	CHECK(vmc_note_is(&n, "Xen"));
	CHECK_EQ(n.name_len, 3);
	CHECK_EQ(pos, 40);
}

TEST(zero_padding_ends_the_blob)
{
	uint8_t *b = NULL;
	size_t len = 0, pos = 0;
	struct vmc_note n;

	td_add_note(&b, &len, "CORE", 1, "abcd", 4);
	b = realloc(b, len + 100);
	memset(b + len, 0, 100);
	REQUIRE(vmc_note_next(b, len + 100, &pos, &n) == VMC_OK);
	CHECK_EQ(vmc_note_next(b, len + 100, &pos, &n), VMC_DONE);
	CHECK_EQ(vmc_notes_valid_len(b, len + 100), len);
	/* fewer than 12 bytes left: done, not corrupt */
	pos = 0;
	CHECK_EQ(vmc_note_next(b, 11, &pos, &n), VMC_DONE);
	CHECK_EQ(vmc_note_next(b, 0, &pos, &n), VMC_DONE);
	free(b);
}

TEST(malformed_headers_are_corrupt)
{
	uint8_t b[64];
	struct {
		uint32_t namesz, descsz;
		size_t len;
	} cases[] = {
		{ 0xffffffffu, 0, 64 }, { 4, 0xffffffffu, 64 }, { 4, 0xfffffffdu, 64 }, { 53, 0, 64 },
		{ 4, 49, 64 },          { 4, 41, 56 },          { 0x7ffffffcu, 0x7ffffffcu, 64 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t pos = 0;
		struct vmc_note n;
		memset(b, 'x', sizeof(b));
		put32(b, cases[i].namesz), put32(b + 4, cases[i].descsz), put32(b + 8, 1);
		CHECK_EQ(vmc_note_next(b, cases[i].len, &pos, &n), VMC_ERR_CORRUPT);
		CHECK_EQ(pos, 0);
		CHECK_EQ(vmc_notes_valid_len(b, cases[i].len), 0);
		CHECK(!vmc_notes_find(b, cases[i].len, "xxxx", &n));
	}
}

TEST(valid_prefix_before_garbage)
{
	uint8_t *b = NULL;
	size_t len = 0, good, pos = 0;
	struct vmc_note n;

	td_add_note(&b, &len, "CORE", 1, "abcdefgh", 8);
	td_add_note(&b, &len, "VMCOREINFO", 0, vmci, strlen(vmci));
	good = len;
	b = realloc(b, len + 16);
	put32(b + len, 100), put32(b + len + 4, 100), put32(b + len + 8, 1);
	memset(b + len + 12, 'z', 4);
	len += 16;
	CHECK_EQ(vmc_notes_valid_len(b, len), good);
	CHECK(vmc_notes_find(b, len, "VMCOREINFO", &n));
	CHECK_EQ(vmc_notes_count(b, len, "CORE", 1), 1);
	while (vmc_note_next(b, len, &pos, &n) == VMC_OK)
		;
	CHECK_EQ(vmc_note_next(b, len, &pos, &n), VMC_ERR_CORRUPT);
	free(b);
}

TEST(random_blobs_stay_in_bounds)
{
	uint64_t seed = 11;
	uint8_t *b = malloc(256);

	REQUIRE(b);
	for (int round = 0; round < 2000; round++) {
		size_t len = td_rand(&seed) % 256, pos = 0, steps = 0;
		struct vmc_note n;
		for (size_t i = 0; i < len; i++)
			b[i] = (uint8_t)(td_rand(&seed) % 4 ? td_rand(&seed) % 24 : td_rand(&seed));
		while (vmc_note_next(b, len, &pos, &n) == VMC_OK) {
			CHECK(n.desc + n.desc_len <= b + len);
			CHECK((const uint8_t *)n.name + n.name_len <= b + len);
			CHECK(pos <= len);
			CHECK(++steps < 1000);
		}
	}
	free(b);
}

TEST(vmcoreinfo_get_values)
{
	const uint8_t *t = (const uint8_t *)vmci;
	size_t len = strlen(vmci);
	char v[64];
	uint64_t x;

	CHECK(vmcoreinfo_get(t, len, "OSRELEASE", v, sizeof(v)) && strcmp(v, "5.14.0-test") == 0);
	CHECK(vmcoreinfo_get(t, len, "PAGESIZE", v, sizeof(v)) && strcmp(v, "4096") == 0);
	CHECK(vmcoreinfo_get(t, len, "PAGESIZEX", v, sizeof(v)) && strcmp(v, "1") == 0);
	CHECK(vmcoreinfo_get(t, len, "SYMBOL(init_uts_ns)", v, sizeof(v)) && strcmp(v, "ffffffff82a1b2c0") == 0);
	CHECK(vmcoreinfo_get(t, len, "EMPTY", v, sizeof(v)) && strcmp(v, "") == 0);
	CHECK(vmcoreinfo_get(t, len, "EQ", v, sizeof(v)) && strcmp(v, "a=b") == 0);
	CHECK(vmcoreinfo_get(t, len, "LAST", v, sizeof(v)) && strcmp(v, "tail") == 0);
	CHECK(!vmcoreinfo_get(t, len, "PAGE", v, sizeof(v)));
	CHECK(!vmcoreinfo_get(t, len, "MISSING", v, sizeof(v)));
	CHECK(!vmcoreinfo_get(t, len, "ASE", v, sizeof(v)));
	CHECK(!vmcoreinfo_get(t, len, "tail", v, sizeof(v)));
	/* cut inside the last key */
	CHECK(!vmcoreinfo_get(t, len - 5, "LAST", v, sizeof(v)));
	CHECK(vmcoreinfo_get(t, len - 2, "LAST", v, sizeof(v)) && strcmp(v, "ta") == 0);
	/* value truncated to the buffer, always NUL-terminated */
	memset(v, 'q', sizeof(v));
	CHECK(vmcoreinfo_get(t, len, "OSRELEASE", v, 5) && strcmp(v, "5.14") == 0);
	CHECK(vmcoreinfo_get(t, len, "OSRELEASE", v, 1) && v[0] == 0);
	CHECK(vmcoreinfo_get(t, len, "OSRELEASE", NULL, 0));
	CHECK(vmcoreinfo_get_u64(t, len, "PAGESIZE", 10, &x) && x == 4096);
	CHECK(vmcoreinfo_get_u64(t, len, "NUMBER(phys_base)", 10, &x) && x == 16777216);
	CHECK(vmcoreinfo_get_u64(t, len, "KERNELOFFSET", 16, &x) && x == 0x1e000000);
	CHECK(vmcoreinfo_get_u64(t, len, "SYMBOL(init_uts_ns)", 16, &x) && x == 0xffffffff82a1b2c0ull);
	CHECK(!vmcoreinfo_get_u64(t, len, "OSRELEASE", 10, &x) || x == 5);
	CHECK(!vmcoreinfo_get_u64(t, len, "EMPTY", 10, &x));
	CHECK(!vmcoreinfo_get_u64(t, len, "EQ", 10, &x));
	CHECK(!vmcoreinfo_get_u64(t, len, "NOPE", 10, &x));
}

TEST(vmcoreinfo_first_match_and_odd_text)
{
	static const char txt[] = "\n\nA=1\nA=2\r\nB=\0hidden\nC=3";
	char v[16];

	CHECK(vmcoreinfo_get((const uint8_t *)txt, sizeof(txt) - 1, "A", v, sizeof(v)) && strcmp(v, "1") == 0);
	/* an embedded NUL is just a byte; lookups past it still work */
	CHECK(vmcoreinfo_get((const uint8_t *)txt, sizeof(txt) - 1, "C", v, sizeof(v)) && strcmp(v, "3") == 0);
	CHECK(!vmcoreinfo_get((const uint8_t *)txt, 0, "A", v, sizeof(v)));
	CHECK(!vmcoreinfo_get((const uint8_t *)"A", 1, "A", v, sizeof(v)));
	CHECK(vmcoreinfo_get((const uint8_t *)"A=", 2, "A", v, sizeof(v)) && v[0] == 0);
}

TEST(vmcoreinfo_inside_note_blob)
{
	uint8_t *b = NULL;
	size_t len = 0;
	struct vmc_note n;
	uint64_t ps = 0;

	td_add_note(&b, &len, "CORE", 1, "0123456789", 10);
	td_add_note(&b, &len, "VMCOREINFO", 0, vmci, strlen(vmci));
	REQUIRE(vmc_notes_find(b, len, "VMCOREINFO", &n));
	CHECK(vmcoreinfo_get_u64(n.desc, n.desc_len, "PAGESIZE", 10, &ps) && ps == 4096);
	/* the padding NULs after the text are not part of any value */
	{
		char v[32];
		CHECK(vmcoreinfo_get(n.desc, n.desc_len, "LAST", v, sizeof(v)) && strcmp(v, "tail") == 0);
	}
	free(b);
}
