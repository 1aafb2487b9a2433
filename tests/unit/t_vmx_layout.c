/* t_vmx_layout.c: VMCS layout text parsing (good, malformed: "FILE: line N: what"), aliases,
 * the built-in tables against the values their sources state, and EPTP validation against a
 * generated host dump. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytesrc.h"
#include "dump.h"
#include "harness.h"
#include "mkkvmhost.h"
#include "vmcs_layout.h"

static enum vmc_status parse(const char *text, struct vmc_vmcs_layout *l, struct vmc_diag *d)
{
	vmc_diag_init(d);
	return vmc_vmcs_layout_parse(text, strlen(text), "lay.txt", l, d);
}

#define REQ "FIELD(EPT_POINTER)=0x140\nFIELD(VMCS_LINK_POINTER)=0xf8\nFIELD(HOST_CR3)=0x330\nFIELD(HOST_CR4)=0x338\n"

TEST(parse_good)
{
	struct vmc_vmcs_layout l;
	struct vmc_diag d;
	const char *t = "# comment\n\n  REVISION_ID=0x12  \r\nNAME=test cpu\nSIZE=4096\n" REQ
			"FIELD(GUEST_RIP)=472\nFIELD(GUEST_CS_SELECTOR)=0x30\nFIELD(GUEST_CS_AR_BYTES)=0x32\n"
			"FIELD(PIN_BASED_VM_EXEC_CONTROL)=0x100\nFIELD(SOMETHING_NEW)=0x10";

	REQUIRE(parse(t, &l, &d) == VMC_OK);
	CHECK_EQ(l.revision_id, 0x12);
	CHECK_EQ(l.size, 4096);
	CHECK(strcmp(l.name, "test cpu") == 0);
	CHECK_EQ(l.off[VMCS_EPT_POINTER], 0x140);
	CHECK_EQ(l.off[VMCS_LINK_POINTER], 0xf8);
	CHECK_EQ(l.off[VMCS_HOST_CR3], 0x330);
	CHECK_EQ(l.off[VMCS_HOST_CR4], 0x338);
	CHECK_EQ(l.off[VMCS_GUEST_RIP], 472);
	CHECK_EQ(l.off[vmc_vmcs_seg_field(1, 0)], 0x30);
	CHECK_EQ(l.off[vmc_vmcs_seg_field(1, 2)], 0x32);
	CHECK_EQ(l.off[VMCS_GUEST_RSP], VMC_VMCS_UNKNOWN);
	CHECK_EQ(l.nignored, 2);
	CHECK(strcmp(l.origin, "lay.txt") == 0);
}

TEST(parse_aliases_and_nul_padding)
{
	struct vmc_vmcs_layout l;
	struct vmc_diag d;
	char t[512];
	size_t n = (size_t)snprintf(t, sizeof(t), "REVISION_ID=16\nEPT_POINTER_FULL=1\n");
	(void)n;
	/* FIELD() is required around names: a bare alias is an unknown key */
	CHECK(parse(t, &l, &d) == VMC_ERR_CORRUPT);
	CHECK(strstr(d.msg, "lay.txt: line 2: unknown key \"EPT_POINTER_FULL\"") != NULL);

	n = (size_t)snprintf(t, sizeof(t),
			     "REVISION_ID=16\nFIELD(EPT_POINTER_FULL)=0xe8\nFIELD(VMCS_LINK_PTR_FULL)=0xf8\n"
			     "FIELD(HOST_CR3)=0x340\nFIELD(HOST_CR4)=0x348\nFIELD(GUEST_SS_SEL)=0x230\nFIELD(GUEST_SS_ATTR)=0x244\n"
			     "FIELD(VPID)=0x2f0\nFIELD(EXIT_CONTROLS)=0x13c\n");
	t[n] = 0;
	memset(t + n + 1, 0, 8); /* a note descriptor's padding */
	vmc_diag_init(&d);
	REQUIRE(vmc_vmcs_layout_parse(t, n + 8, "note", &l, &d) == VMC_OK);
	CHECK_EQ(l.off[VMCS_EPT_POINTER], 0xe8);
	CHECK_EQ(l.off[VMCS_LINK_POINTER], 0xf8);
	CHECK_EQ(l.off[vmc_vmcs_seg_field(2, 0)], 0x230);
	CHECK_EQ(l.off[vmc_vmcs_seg_field(2, 2)], 0x244);
	CHECK_EQ(l.off[VMCS_VPID], 0x2f0);
	CHECK_EQ(l.off[VMCS_EXIT_CONTROLS], 0x13c);
	CHECK(strcmp(l.name, "rev 0x10") == 0);
}

static void bad(const char *text, const char *want)
{
	struct vmc_vmcs_layout l;
	struct vmc_diag d;
	enum vmc_status rc = parse(text, &l, &d);

	CHECK(rc == VMC_ERR_CORRUPT);
	if (!strstr(d.msg, want)) {
		harness_note("want \"%s\" in \"%s\"", want, d.msg);
		CHECK(strstr(d.msg, want) != NULL);
	}
}

TEST(parse_malformed)
{
	bad("REVISION_ID=0x12\nFIELD(GUEST_RIP)\n" REQ, "lay.txt: line 2: no '='");
	bad("REVISION_ID=0x12\nFIELD(GUEST_RIP)=0x1g8\n" REQ, "lay.txt: line 2: FIELD(GUEST_RIP) offset must be a number");
	bad("REVISION_ID=0x12\nFIELD(GUEST_RIP)=\n" REQ, "lay.txt: line 2: FIELD(GUEST_RIP) offset must be a number");
	bad("REVISION_ID=0x12\nFIELD(GUEST_RIP)=-8\n" REQ, "line 2: FIELD(GUEST_RIP) offset must be");
	bad("REVISION_ID=0x12\nFIELD(GUEST_RIP)=4096\n" REQ, "line 2: FIELD(GUEST_RIP) offset must be a number in 0..4095");
	bad("REVISION_ID=0x12\nREVISION_ID=0x12\n" REQ, "lay.txt: line 2: REVISION_ID given twice");
	bad("REVISION_ID=0\n" REQ, "lay.txt: line 1: REVISION_ID must be a number in 1..0x7fffffff");
	bad("REVISION_ID=0x80000000\n" REQ, "line 1: REVISION_ID must be");
	bad("REVISION_ID=012z\n" REQ, "line 1: REVISION_ID must be");
	bad("REVISION_ID=0x12\n" REQ "FIELD(HOST_CR3)=0x100\n", "lay.txt: line 6: FIELD(HOST_CR3) given twice");
	bad("REVISION_ID=0x12\nFIELD(GUEST_RIP)=4\n" REQ, "line 2: FIELD(GUEST_RIP) at offset 4 overlaps the revision id");
	bad("REVISION_ID=0x12\nSIZE=0x300\n" REQ, "lay.txt: FIELD(HOST_CR3) at 0x330 (8 bytes) ends past SIZE 0x300");
	bad("REVISION_ID=0x12\nSIZE=0x2000\n" REQ, "line 2: SIZE must be a number in 16..4096");
	bad("REVISION_ID=0x12\nSIZE=1\nSIZE=2\n" REQ, "line 2: SIZE must be");
	bad("REVISION_ID=0x12\nFIELD(GUEST_RIP)=0xff8\nSIZE=0x1000\nSIZE=0x1000\n" REQ, "line 4: SIZE given twice");
	bad("REVISION_ID=0x12\nREVISON=1\n" REQ, "lay.txt: line 2: unknown key \"REVISON\"");
	bad("REVISION_ID=0x12\nFIELD()=0x10\n" REQ, "line 2: unknown key \"FIELD()\"");
	bad(REQ, "lay.txt: no REVISION_ID line");
	bad("REVISION_ID=0x12\nFIELD(EPT_POINTER)=0x140\nFIELD(HOST_CR3)=0x330\nFIELD(HOST_CR4)=0x338\n",
	    "lay.txt: no FIELD(VMCS_LINK_POINTER) line (required)");
	bad("", "no REVISION_ID line");
	/* an 8-byte field must fit: 4096 - 8 = 0xff8 is the last place */
	struct vmc_vmcs_layout l;
	struct vmc_diag d;
	CHECK(parse("REVISION_ID=0x12\nFIELD(GUEST_RIP)=0xff8\n" REQ, &l, &d) == VMC_OK);
	bad("REVISION_ID=0x12\nFIELD(GUEST_RIP)=0xff9\n" REQ, "FIELD(GUEST_RIP) at 0xff9 (8 bytes) ends past SIZE 0x1000");
}

TEST(field_widths_from_encodings)
{
	CHECK_EQ(vmc_vmcs_field_bytes(VMCS_VPID), 2);
	CHECK_EQ(vmc_vmcs_field_bytes(VMCS_EPT_POINTER), 8);
	CHECK_EQ(vmc_vmcs_field_bytes(VMCS_LINK_POINTER), 8);
	CHECK_EQ(vmc_vmcs_field_bytes(VMCS_EXIT_CONTROLS), 4);
	CHECK_EQ(vmc_vmcs_field_bytes(vmc_vmcs_seg_field(1, 0)), 2);
	CHECK_EQ(vmc_vmcs_field_bytes(vmc_vmcs_seg_field(1, 1)), 4);
	CHECK_EQ(vmc_vmcs_field_bytes(vmc_vmcs_seg_field(1, 2)), 4);
	CHECK_EQ(vmc_vmcs_field_bytes(vmc_vmcs_seg_field(1, 3)), 8);
	CHECK_EQ(vmc_vmcs_field_bytes(VMCS_GUEST_RIP), 8);
	/* encodings carving.md lists (from Xen's enum vmcs_field) */
	CHECK_EQ(vmc_vmcs_field_encoding(vmc_vmcs_seg_field(1, 0)), 0x0802);
	CHECK_EQ(vmc_vmcs_field_encoding(vmc_vmcs_seg_field(1, 2)), 0x4816);
	CHECK_EQ(vmc_vmcs_field_encoding(vmc_vmcs_seg_field(4, 3)), 0x680e);
	CHECK_EQ(vmc_vmcs_field_encoding(vmc_vmcs_seg_field(5, 3)), 0x6810);
	CHECK_EQ(vmc_vmcs_field_encoding(vmc_vmcs_seg_field(7, 3)), 0x6814);
	CHECK_EQ(vmc_vmcs_field_encoding(VMCS_GUEST_GDTR_BASE), 0x6816);
	CHECK_EQ(vmc_vmcs_field_encoding(VMCS_GUEST_IDTR_BASE), 0x6818);
	CHECK_EQ(vmc_vmcs_field_encoding(VMCS_GUEST_RSP), 0x681c);
	CHECK_EQ(vmc_vmcs_field_encoding(VMCS_GUEST_RIP), 0x681e);
	CHECK_EQ(vmc_vmcs_field_encoding(VMCS_GUEST_RFLAGS), 0x6820);
	CHECK_EQ(vmc_vmcs_field_encoding(VMCS_EPT_POINTER), 0x201a);
	CHECK_EQ(vmc_vmcs_field_encoding(VMCS_LINK_POINTER), 0x2800);
	CHECK_EQ(vmc_vmcs_field_encoding(VMCS_GUEST_EFER), 0x2806);
	CHECK_EQ(vmc_vmcs_field_encoding(VMCS_HOST_CR3), 0x6c02);
	CHECK(strcmp(vmc_vmcs_field_name(vmc_vmcs_seg_field(6, 1)), "GUEST_LDTR_LIMIT") == 0);
}

TEST(builtin_tables_match_their_sources)
{
	const struct vmc_vmcs_layout *s = vmc_vmcs_builtin_for(0x10), *h = vmc_vmcs_builtin_for(0x12),
				     *n = vmc_vmcs_builtin_for(0x0e);

	CHECK_EQ(vmc_vmcs_builtin_count(), 3);
	CHECK(vmc_vmcs_builtin(3) == NULL);
	CHECK(vmc_vmcs_builtin_for(0x0f) == NULL); /* Westmere: not verifiable, not built in */
	CHECK(vmc_vmcs_builtin_for(0x11e57ed0) == NULL);
	REQUIRE(s && h && n);
	/* carving.md 5a: Sandy Bridge GUEST_CR3 0x2e0, GUEST_RIP 0x1d8, GUEST_RSP 0x1d0, EPT_POINTER
	 * 0xe8, VMCS_LINK_POINTER 0xf8, HOST_CR3 0x340, HOST_CR4 0x348 */
	CHECK_EQ(s->off[VMCS_GUEST_CR3], 0x2e0);
	CHECK_EQ(s->off[VMCS_GUEST_RIP], 0x1d8);
	CHECK_EQ(s->off[VMCS_GUEST_RSP], 0x1d0);
	CHECK_EQ(s->off[VMCS_EPT_POINTER], 0xe8);
	CHECK_EQ(s->off[VMCS_LINK_POINTER], 0xf8);
	CHECK_EQ(s->off[VMCS_HOST_CR3], 0x340);
	CHECK_EQ(s->off[VMCS_HOST_CR4], 0x348);
	CHECK_EQ(s->off[vmc_vmcs_seg_field(3, 0)], VMC_VMCS_UNKNOWN); /* sandy.py has no GUEST_DS_SELECTOR */
	CHECK_EQ(s->off[vmc_vmcs_seg_field(1, 2)], VMC_VMCS_UNKNOWN);
	/* Haswell: GUEST_CR3 0x210, GUEST_RIP 0x1d8, GUEST_RSP 0x1d0, EPT_POINTER 0x140, link 0xf8,
	 * HOST_CR3 0x330, HOST_CR4 0x338 */
	CHECK_EQ(h->off[VMCS_GUEST_CR3], 0x210);
	CHECK_EQ(h->off[VMCS_GUEST_RIP], 0x1d8);
	CHECK_EQ(h->off[VMCS_GUEST_RSP], 0x1d0);
	CHECK_EQ(h->off[VMCS_EPT_POINTER], 0x140);
	CHECK_EQ(h->off[VMCS_LINK_POINTER], 0xf8);
	CHECK_EQ(h->off[VMCS_HOST_CR3], 0x330);
	CHECK_EQ(h->off[VMCS_HOST_CR4], 0x338);
	CHECK_EQ(h->off[VMCS_VPID], VMC_VMCS_UNKNOWN);
	CHECK_EQ(n->off[vmc_vmcs_seg_field(1, 2)], 0x8b * 4);
	/* no two fields of a built-in table overlap, and all fit in the region */
	for (unsigned i = 0; i < vmc_vmcs_builtin_count(); i++) {
		const struct vmc_vmcs_layout *l = vmc_vmcs_builtin(i);
		for (unsigned a = 0; a < VMCS_NFIELDS; a++) {
			if (l->off[a] == VMC_VMCS_UNKNOWN)
				continue;
			CHECK(l->off[a] >= 8 && l->off[a] + vmc_vmcs_field_bytes(a) <= l->size);
			for (unsigned b = a + 1; b < VMCS_NFIELDS; b++)
				if (l->off[b] != VMC_VMCS_UNKNOWN)
					CHECK(l->off[a] + vmc_vmcs_field_bytes(a) <= l->off[b] ||
					      l->off[b] + vmc_vmcs_field_bytes(b) <= l->off[a]);
		}
	}
}

TEST(format_parses_back)
{
	for (unsigned i = 0; i < vmc_vmcs_builtin_count(); i++) {
		const struct vmc_vmcs_layout *l = vmc_vmcs_builtin(i);
		struct vmc_vmcs_layout back;
		struct vmc_diag d;
		char buf[8192];
		size_t n = vmc_vmcs_layout_format(l, buf, sizeof(buf));
		REQUIRE(n < sizeof(buf));
		CHECK_EQ(vmc_vmcs_layout_format(l, NULL, 0), n);
		vmc_diag_init(&d);
		REQUIRE(vmc_vmcs_layout_parse(buf, n, "fmt", &back, &d) == VMC_OK);
		CHECK_EQ(back.revision_id, l->revision_id);
		CHECK(memcmp(back.off, l->off, sizeof(l->off)) == 0);
	}
}

TEST(load_file)
{
	struct vmc_vmcs_layout l;
	struct vmc_diag d;
	char path[] = "/tmp/vmcarve-layout-XXXXXX";
	int fd = mkstemp(path);
	const char *t = "REVISION_ID=0x12\n" REQ "FIELD(GUEST_RIP)=zz\n";
	char want[128];

	REQUIRE(fd >= 0);
	REQUIRE(write(fd, t, strlen(t)) == (ssize_t)strlen(t));
	close(fd);
	vmc_diag_init(&d);
	CHECK(vmc_vmcs_layout_load(path, &l, &d) == VMC_ERR_CORRUPT);
	snprintf(want, sizeof(want), "%s: line 6: FIELD(GUEST_RIP) offset", path);
	CHECK(strstr(d.msg, want) != NULL);
	unlink(path);
	vmc_diag_init(&d);
	CHECK(vmc_vmcs_layout_load(path, &l, &d) == VMC_ERR_IO);
	CHECK(strstr(d.msg, path) != NULL);
}

TEST(eptp_validation)
{
	struct kh_result r;
	struct vmc_bytesrc *src;
	struct vmc_dump *dump;
	struct vmc_diag d;
	char why[200];
	uint64_t good4, good5, root;

	REQUIRE(kh_build("basic", KH_LAYOUT_FILE, &r) == 0);
	vmc_diag_init(&d);
	REQUIRE(vmc_bytesrc_new_mem("host", r.elf, r.elf_len, &src, &d) == VMC_OK);
	REQUIRE(vmc_dump_open_srcs(&src, 1, &dump, &d) == VMC_OK);
	good4 = r.vms[0].eptp;
	good5 = r.vms[1].eptp;
	root = good4 & 0x000ffffffffff000ull;
	CHECK_EQ(good4 & 0xfff, 0x5e);
	CHECK_EQ(good5 & 0xfff, 0x66);
	CHECK(vmc_vmx_eptp_valid(dump, good4, why, sizeof(why)));
	CHECK(vmc_vmx_eptp_valid(dump, good5, why, sizeof(why)));
	CHECK(vmc_vmx_eptp_valid(dump, root | 0x18, why, sizeof(why)));          /* UC, no A/D */
	CHECK(!vmc_vmx_eptp_valid(dump, root | 0x1b, why, sizeof(why)));         /* memory type 3 */
	CHECK(strstr(why, "memory type 3") != NULL);
	CHECK(!vmc_vmx_eptp_valid(dump, root | 0x1f, why, sizeof(why)));         /* memory type 7 */
	CHECK(!vmc_vmx_eptp_valid(dump, root | 0x16, why, sizeof(why)));         /* PWL 3 levels */
	CHECK(strstr(why, "page-walk length 3") != NULL);
	CHECK(!vmc_vmx_eptp_valid(dump, root | 0x2e, why, sizeof(why)));         /* PWL 6 */
	CHECK(!vmc_vmx_eptp_valid(dump, root | 0x80 | 0x1e, why, sizeof(why)));  /* bit 7 */
	CHECK(strstr(why, "reserved bits 11:7") != NULL);
	CHECK(!vmc_vmx_eptp_valid(dump, root | 0x800 | 0x1e, why, sizeof(why))); /* bit 11 */
	CHECK(!vmc_vmx_eptp_valid(dump, root | (1ull << 52) | 0x1e, why, sizeof(why)));
	CHECK(!vmc_vmx_eptp_valid(dump, 0x20000000ull | 0x1e, why, sizeof(why))); /* the hole */
	CHECK(strstr(why, "is not RAM") != NULL);
	CHECK(!vmc_vmx_eptp_valid(dump, 0x50000000ull | 0x1e, why, sizeof(why)));  /* RAM not stored */
	CHECK(strstr(why, "not in the dump") != NULL);
	CHECK(!vmc_vmx_eptp_valid(dump, 0xfffffffff000ull | 0x1e, why, sizeof(why))); /* far past the end */
	vmc_dump_close(dump);
	kh_free(&r);
}
