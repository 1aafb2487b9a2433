/* t_xenstore.c: xenstore records in xenstored's in-memory TDB (xen/xen_xenstore.c). */
#include <string.h>

#include "harness.h"
#include "xen_xenstore.h"

/* a record as xenstored 4.17 writes it (independent of the parser: fields laid out by hand) */
static size_t put_rec(uint8_t *p, const char *key, const char *val, uint32_t hash)
{
	uint32_t kl = (uint32_t)strlen(key), vl = (uint32_t)strlen(val), dl = 24 + 8 + vl;
	uint32_t hdr[6] = { 0, (kl + dl + 3) & ~3u, kl, dl, hash, 0x26011999u };
	uint64_t gen = 7;
	uint32_t node[3] = { 1, vl, 0 }, perm[2] = { 0, 0 };

	memcpy(p, hdr, 24);
	memcpy(p + 24, key, kl);
	memcpy(p + 24 + kl, &gen, 8);
	memcpy(p + 24 + kl + 8, node, 12);
	memcpy(p + 24 + kl + 20, perm, 8);
	memcpy(p + 24 + kl + 28, val, vl);
	return 24 + hdr[1];
}

TEST(xs_hash_as_tdb)
{
	/* full_hash of this key in the Xen bed's dom0 memory (xenstored 4.17) */
	CHECK_EQ(vmc_xen_xs_hash((const uint8_t *)"/local/domain/1/name", 20), 0xe4ff279eu);
}

TEST(xs_uuid)
{
	uint8_t u[16];
	char s[37];

	REQUIRE(vmc_xen_xs_parse_uuid("a47f8126-ef65-11f1-8c97-1f395d3b4179", 36, u));
	CHECK(u[0] == 0xa4 && u[6] == 0x11 && u[15] == 0x79);
	vmc_xen_xs_format_uuid(u, s);
	CHECK(!strcmp(s, "a47f8126-ef65-11f1-8c97-1f395d3b4179"));
	CHECK(!vmc_xen_xs_parse_uuid("a47f8126ef65-11f1-8c97-1f395d3b41790", 36, u));
	CHECK(!vmc_xen_xs_parse_uuid("g47f8126-ef65-11f1-8c97-1f395d3b4179", 36, u));
	CHECK(!vmc_xen_xs_parse_uuid("a47f8126-ef65-11f1-8c97-1f395d3b417", 35, u));
}

static uint32_t h(const char *k)
{
	return vmc_xen_xs_hash((const uint8_t *)k, strlen(k));
}

TEST(xs_names_exact)
{
	static uint8_t buf[4096];
	struct xen_xs_dom doms[3] = { { .domid = 0 }, { .domid = 1 }, { .domid = 2 } };
	struct xen_xs xs = { .doms = doms, .ndoms = 3 };
	size_t o = 4;

	o += put_rec(buf + o, "/local/domain/0/name", "Domain-0", h("/local/domain/0/name"));
	o += put_rec(buf + o, "/local/domain/1/name", "guest1", h("/local/domain/1/name"));
	o += put_rec(buf + o, "/local/domain/1/domid", "1", h("/local/domain/1/domid"));
	o += put_rec(buf + o, "/local/domain/7/name", "ghost", h("/local/domain/7/name"));
	o += put_rec(buf + o, "/local/domain/2/name", "x\x01y", h("/local/domain/2/name"));
	o += put_rec(buf + o, "/local/domain/2/name", "bad-hash", h("/local/domain/2/name") + 1);
	o += put_rec(buf + o, "/local/domain/02/name", "lead", h("/local/domain/02/name"));
	o += put_rec(buf + o, "/local/domain/2/name", "cut", h("/local/domain/2/name"));
	CHECK_EQ(vmc_xen_xs_scan_buf(buf, o - 2, vmc_xen_xs_add, &xs), 4); /* the last value is cut short */
	CHECK(doms[0].has_name && !strcmp(doms[0].name, "Domain-0"));
	CHECK(doms[1].has_name && !strcmp(doms[1].name, "guest1") && !doms[1].name_conflict);
	CHECK(!doms[2].has_name);
	CHECK_EQ(xs.unknown_id, 1);
	CHECK(!strcmp(xs.first_unknown, "/local/domain/7/name"));
	CHECK_EQ(xs.bad_name, 1);
}

TEST(xs_conflict_and_vm)
{
	static uint8_t buf[4096];
	struct xen_xs_dom doms[2] = { { .domid = 0 }, { .domid = 1 } };
	struct xen_xs xs = { .doms = doms, .ndoms = 2 };
	char longname[90];
	size_t o = 0;

	memset(longname, 'a', 89);
	longname[89] = 0;
	o += put_rec(buf + o, "/local/domain/1/name", "one", h("/local/domain/1/name"));
	o += put_rec(buf + o, "/local/domain/1/name", "uno", h("/local/domain/1/name"));
	o += put_rec(buf + o, "/local/domain/0/name", longname, h("/local/domain/0/name"));
	o += put_rec(buf + o, "/local/domain/1/vm", "/vm/acc66ce6-ef65-11f1-8073-63fab694b2f5", h("/local/domain/1/vm"));
	o += put_rec(buf + o, "/local/domain/0/vm", "/vm/nope", h("/local/domain/0/vm"));
	CHECK_EQ(vmc_xen_xs_scan_buf(buf, o, vmc_xen_xs_add, &xs), 5);
	CHECK(doms[1].name_conflict && doms[1].name_records == 2);
	CHECK(!doms[0].has_name && xs.bad_name == 1 && strstr(xs.first_bad_name, "89 bytes long"));
	CHECK(doms[1].has_uuid && doms[1].uuid[0] == 0xac && doms[1].uuid[15] == 0xf5);
	CHECK(!doms[0].has_uuid && xs.bad_vm == 1);
}

/* The search steps over blocks of words: a record is found at every aligned offset, whether it
 * ends the buffer (the tail) or not, among filler that is all zeros or all magic words (every
 * block then has hits that fail to parse), and not when its value is cut by a byte. */
TEST(xs_found_at_every_offset)
{
	static uint8_t buf[1024];
	const char *key = "/local/domain/1/name";
	const uint32_t magic = 0x26011999u;

	for (int fill = 0; fill < 2; fill++)
		for (size_t o = 0; o <= 320; o += 4) {
			size_t end = o + 24 + strlen(key) + 24 + 8 + strlen("guest1"); /* the value's last byte + 1 */
			for (size_t k = 0; k < sizeof(buf); k += 4)
				memcpy(buf + k, fill ? &magic : &(uint32_t){ 0 }, 4);
			put_rec(buf + o, key, "guest1", h(key));
			for (size_t extra = 0; extra <= 260; extra += 1) {
				struct xen_xs_dom dom = { .domid = 1 };
				struct xen_xs xs = { .doms = &dom, .ndoms = 1 };
				CHECK_EQ(vmc_xen_xs_scan_buf(buf, end + extra, vmc_xen_xs_add, &xs), 1);
				CHECK(dom.has_name && !strcmp(dom.name, "guest1"));
			}
			CHECK_EQ(vmc_xen_xs_scan_buf(buf, end - 1, vmc_xen_xs_add, &(struct xen_xs){ 0 }), 0);
		}
}
