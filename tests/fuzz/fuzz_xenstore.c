/* fuzz_xenstore.c: the xenstore record parser and collector (src/xen/xen_xenstore.c). The
 * first byte picks how many domain ids Xen "has" (0..7), the rest is memory searched for
 * xenstored TDB records (seeds: mkxsseed.py). Invariants: every value lies inside the input,
 * a kept name is short printable text, conflicting names are never used as one. */
#include "fuzz_common.h"
#include "xen_xenstore.h"

struct ctx {
	const uint8_t *lo, *hi;
	struct xen_xs xs;
};

static void rec(void *arg, const struct xen_xs_rec *r)
{
	struct ctx *c = arg;

	FZ_ASSERT(r->val >= c->lo && r->val <= c->hi && (size_t)(c->hi - r->val) >= r->len);
	vmc_xen_xs_add(&c->xs, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xen_xs_dom doms[8];
	struct ctx c;
	unsigned found;

	if (size < 1)
		return 0;
	memset(doms, 0, sizeof(doms));
	memset(&c, 0, sizeof(c));
	for (unsigned i = 0; i < 8; i++)
		doms[i].domid = i;
	c.xs.doms = doms;
	c.xs.ndoms = data[0] % 8;
	c.lo = data + 1;
	c.hi = data + size;
	found = vmc_xen_xs_scan_buf(data + 1, size - 1, rec, &c);
	FZ_ASSERT(found == c.xs.records && found <= (size - 1) / 24 + 1);
	for (unsigned i = 0; i < c.xs.ndoms; i++) {
		const struct xen_xs_dom *d = &doms[i];
		if (!d->has_name)
			continue;
		size_t n = strlen(d->name);
		FZ_ASSERT(n > 0 && n < XEN_XS_NAME_MAX);
		for (size_t k = 0; k < n; k++)
			FZ_ASSERT(d->name[k] >= 0x20 && d->name[k] < 0x7f);
	}
	if (fz_verbose())
		fprintf(stderr, "fuzz_xenstore: %u records, %llu for unknown ids, %llu names refused\n", found,
			(unsigned long long)c.xs.unknown_id, (unsigned long long)c.xs.bad_name);
	return 0;
}
