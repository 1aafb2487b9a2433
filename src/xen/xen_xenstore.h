/* xen_xenstore.h: domain names and handles as the toolstack wrote them into xenstore, read from
 * the C xenstored's database (TDB records) as it sits in dom0's memory. Pure parsing and
 * validation here; xen_carve.c feeds it dom0's frames and applies the result. */
#ifndef VMC_XEN_XENSTORE_H
#define VMC_XEN_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XEN_XS_NAME_MAX 64  /* a name is kept only when shorter (it must fit vmc_guest.name) */
#define XEN_XS_VALUE_MAX 256 /* longest value looked at (names, "/vm/<uuid>" paths) */
#define XEN_XS_TDB_MAGIC 0x26011999u

enum xen_xs_field { XEN_XS_NAME, XEN_XS_VM };

/* One TDB record whose key is /local/domain/<domid>/name or /local/domain/<domid>/vm; val
 * points into the scanned buffer. */
struct xen_xs_rec {
	uint32_t domid;
	enum xen_xs_field field;
	uint64_t generation;
	const uint8_t *val;
	uint32_t len;
};
typedef void xen_xs_rec_fn(void *arg, const struct xen_xs_rec *r);

/* tdb's default hash of a key (xenstored's keys are the path without its NUL). */
uint32_t vmc_xen_xs_hash(const uint8_t *key, size_t len);
/* Calls cb for every such record lying wholly in buf (a header with TDB_MAGIC and the key's
 * own hash, lengths consistent with xenstored's node layout); returns how many. */
unsigned vmc_xen_xs_scan_buf(const uint8_t *buf, size_t len, xen_xs_rec_fn *cb, void *arg);

/* What was found for one domain id Xen has. */
struct xen_xs_dom {
	uint32_t domid;
	char name[XEN_XS_NAME_MAX];
	uint8_t uuid[16];
	bool has_name, has_uuid;
	bool name_conflict, uuid_conflict;  /* records disagree: nothing is used */
	unsigned name_records, vm_records;
};

/* The collector: the ids Xen has (doms[i].domid set by the caller), records seen, and what was
 * refused (counted; the first refusal of each kind kept for a warning). */
struct xen_xs {
	struct xen_xs_dom *doms;
	unsigned ndoms;
	uint64_t records;      /* records matched */
	uint64_t unknown_id;   /* for a domain id Xen does not have */
	uint64_t bad_name;     /* empty, over-long or non-printable names */
	uint64_t bad_vm;       /* a vm value that is not /vm/<uuid> */
	bool hit;              /* set by a record for a domain id Xen has (the caller clears it):
				* the buffer scanned holds what the names are read from */
	char first_unknown[96], first_bad_name[96], first_bad_vm[96];
};
/* The record callback (arg = struct xen_xs *). */
void vmc_xen_xs_add(void *arg, const struct xen_xs_rec *r);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into out[16]; false unless exactly that form. */
bool vmc_xen_xs_parse_uuid(const char *s, size_t len, uint8_t out[16]);
void vmc_xen_xs_format_uuid(const uint8_t u[16], char out[37]);

#endif
