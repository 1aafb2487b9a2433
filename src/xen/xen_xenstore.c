/* xen_xenstore.c: xenstore's /local/domain/<id>/name and /vm nodes found in the C xenstored's
 * database as it sits in memory. Xen 4.17's xenstored keeps it in an in-memory TDB
 * (TDB_INTERNAL, tools/xenstore/tdb.c): each record is a struct list_struct (next, rec_len,
 * key_len, data_len, full_hash, magic = TDB_MAGIC), the key (the node's path, no NUL), then
 * the node (xenstored_core.c write_node_raw: u64 generation, u32 num_perms, datalen,
 * childlen, num_perms x {u32 perm, u32 domid} at offset 20, the value, the children; data_len
 * counts the 24-byte padded header). Everything here is dump-controlled and checked. */
#include <stdio.h>
#include <string.h>

#include "le.h"
#include "xen_xenstore.h"

#define TDB_HDR 24           /* struct list_struct */
#define NODE_HDR 24          /* sizeof(struct xs_tdb_record_hdr) */
#define NODE_PERMS_AT 20     /* offsetof(struct xs_tdb_record_hdr, perms) */
#define MAX_PERMS 1024
#define MAX_REC (1u << 20)
#define KEY_PREFIX "/local/domain/"
#define XEN_DOMID_FIRST_RESERVED 0x7ff0u

uint32_t vmc_xen_xs_hash(const uint8_t *key, size_t len)
{
	uint32_t v = 0x238F13AFu * (uint32_t)len;

	/* tdb indexes a char *: signed bytes on x86 */
	for (uint32_t i = 0; i < len; i++)
		v = v + ((uint32_t)(int32_t)(signed char)key[i] << (i * 5 % 24));
	return 1103515243u * v + 12345u;
}

/* "/local/domain/<id>/name" or ".../vm": the id (decimal, no leading zero) and the field */
static bool parse_key(const uint8_t *k, size_t n, uint32_t *domid, enum xen_xs_field *f)
{
	size_t p = sizeof(KEY_PREFIX) - 1, digits = 0;
	uint32_t id = 0;

	if (n <= p || memcmp(k, KEY_PREFIX, p))
		return false;
	while (p < n && k[p] >= '0' && k[p] <= '9' && digits < 6) {
		id = id * 10 + (uint32_t)(k[p++] - '0');
		digits++;
	}
	if (!digits || (digits > 1 && k[p - digits] == '0') || id >= XEN_DOMID_FIRST_RESERVED)
		return false;
	if (n - p == 5 && !memcmp(k + p, "/name", 5))
		*f = XEN_XS_NAME;
	else if (n - p == 3 && !memcmp(k + p, "/vm", 3))
		*f = XEN_XS_VM;
	else
		return false;
	*domid = id;
	return true;
}

/* The record whose list_struct is at h (h + TDB_HDR <= end): the node's value, if the
 * lengths agree with each other and with the key's hash. */
static bool parse_record(const uint8_t *h, const uint8_t *end, struct xen_xs_rec *r)
{
	uint32_t rec_len = vmc_le32(h + 4), key_len = vmc_le32(h + 8), data_len = vmc_le32(h + 12);
	const uint8_t *key = h + TDB_HDR, *node;
	uint64_t np, dl, cl;

	if (key_len < sizeof(KEY_PREFIX) || key_len > 64 || data_len < NODE_HDR || data_len > MAX_REC ||
	    rec_len > MAX_REC || (uint64_t)key_len + data_len > rec_len ||
	    (uint64_t)(end - key) < (uint64_t)key_len + data_len)
		return false;
	if (!parse_key(key, key_len, &r->domid, &r->field) || vmc_xen_xs_hash(key, key_len) != vmc_le32(h + 16))
		return false;
	node = key + key_len;
	np = vmc_le32(node + 8);
	dl = vmc_le32(node + 12);
	cl = vmc_le32(node + 16);
	if (np < 1 || np > MAX_PERMS || NODE_HDR + 8 * np + dl + cl != data_len)
		return false;
	r->generation = vmc_le64(node);
	r->val = node + NODE_PERMS_AT + 8 * np;
	r->len = (uint32_t)dl;
	return true;
}

/* The record at p when its magic is there: one more found, handed to cb. */
static unsigned try_record(const uint8_t *buf, size_t len, size_t p, xen_xs_rec_fn *cb, void *arg)
{
	struct xen_xs_rec r;

	if (vmc_le32(buf + p + 20) != XEN_XS_TDB_MAGIC || !parse_record(buf + p, buf + len, &r))
		return 0;
	cb(arg, &r);
	return 1;
}

#define SCAN_WORDS 16 /* words compared per step: a loop the compiler turns into vector compares */

/* Does any of the SCAN_WORDS words at p equal magic? An all-ones mask per hit vectorises;
 * inlined into the scan loop, gcc 12 unrolls it to scalar compares instead. */
__attribute__((noinline)) static bool block_has(const uint8_t *p, uint32_t magic)
{
	uint32_t w[SCAN_WORDS], any = 0;

	memcpy(w, p, sizeof(w));
	for (unsigned k = 0; k < SCAN_WORDS; k++)
		any |= -(uint32_t)(w[k] == magic);
	return any != 0;
}

unsigned vmc_xen_xs_scan_buf(const uint8_t *buf, size_t len, xen_xs_rec_fn *cb, void *arg)
{
	static const uint8_t magic_le[4] = { XEN_XS_TDB_MAGIC & 0xff, XEN_XS_TDB_MAGIC >> 8 & 0xff,
					     XEN_XS_TDB_MAGIC >> 16 & 0xff, XEN_XS_TDB_MAGIC >> 24 };
	unsigned found = 0;
	uint32_t magic;
	size_t p = 0;

	/* tdb keeps records 4-byte aligned in a malloc'd buffer: a record at p has its magic at
	 * p + 20. The magic is rare, so blocks of words without it are passed over whole. */
	memcpy(&magic, magic_le, 4);
	for (; len >= TDB_HDR && p + 20 + 4 * SCAN_WORDS <= len; p += 4 * SCAN_WORDS) {
		if (!block_has(buf + p + 20, magic))
			continue;
		for (unsigned k = 0; k < SCAN_WORDS; k++)
			found += try_record(buf, len, p + 4 * k, cb, arg);
	}
	for (; len >= TDB_HDR && p <= len - TDB_HDR; p += 4)
		found += try_record(buf, len, p, cb, arg);
	return found;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool vmc_xen_xs_parse_uuid(const char *s, size_t len, uint8_t out[16])
{
	unsigned k = 0;

	if (len != 36)
		return false;
	for (size_t i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return false;
			continue;
		}
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[k++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return k == 16;
}

void vmc_xen_xs_format_uuid(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3],
		 u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static struct xen_xs_dom *find_dom(struct xen_xs *s, uint32_t domid)
{
	for (unsigned i = 0; i < s->ndoms; i++)
		if (s->doms[i].domid == domid)
			return &s->doms[i];
	return NULL;
}

/* why a name is refused, or NULL: xl names are short printable text */
static const char *name_problem(const uint8_t *v, uint32_t n, char *why, size_t whylen)
{
	if (!n)
		return "empty";
	if (n >= XEN_XS_NAME_MAX) {
		snprintf(why, whylen, "%u bytes long (at most %u kept)", n, XEN_XS_NAME_MAX - 1);
		return why;
	}
	for (uint32_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e) {
			snprintf(why, whylen, "byte 0x%02x at %u is not printable", v[i], i);
			return why;
		}
	return NULL;
}

static void add_name(struct xen_xs *s, struct xen_xs_dom *dm, const struct xen_xs_rec *r)
{
	char why[64];
	const char *bad = name_problem(r->val, r->len, why, sizeof(why));

	if (bad) {
		if (!s->bad_name++)
			snprintf(s->first_bad_name, sizeof(s->first_bad_name), "domain %u: name %s", r->domid, bad);
		return;
	}
	dm->name_records++;
	if (!dm->has_name) {
		memcpy(dm->name, r->val, r->len);
		dm->name[r->len] = 0;
		dm->has_name = true;
	} else if (strlen(dm->name) != r->len || memcmp(dm->name, r->val, r->len)) {
		dm->name_conflict = true;
	}
}

static void add_vm(struct xen_xs *s, struct xen_xs_dom *dm, const struct xen_xs_rec *r)
{
	uint8_t u[16];

	if (r->len != 40 || memcmp(r->val, "/vm/", 4) || !vmc_xen_xs_parse_uuid((const char *)r->val + 4, 36, u)) {
		if (!s->bad_vm++)
			snprintf(s->first_bad_vm, sizeof(s->first_bad_vm), "domain %u: vm is not /vm/<uuid> (%u bytes)",
				 r->domid, r->len);
		return;
	}
	dm->vm_records++;
	if (!dm->has_uuid) {
		memcpy(dm->uuid, u, 16);
		dm->has_uuid = true;
	} else if (memcmp(dm->uuid, u, 16)) {
		dm->uuid_conflict = true;
	}
}

void vmc_xen_xs_add(void *arg, const struct xen_xs_rec *r)
{
	struct xen_xs *s = arg;
	struct xen_xs_dom *dm = find_dom(s, r->domid);

	s->records++;
	if (!dm) {
		if (!s->unknown_id++)
			snprintf(s->first_unknown, sizeof(s->first_unknown), "/local/domain/%u/%s", r->domid,
				 r->field == XEN_XS_NAME ? "name" : "vm");
		return;
	}
	s->hit = true;
	if (r->field == XEN_XS_NAME)
		add_name(s, dm, r);
	else
		add_vm(s, dm, r);
}
