/* open.c: opening a dump: unwrap flattened streams, probe every registered reader, hand the
 * sources to the best one. Lives at the top because it needs the registry of formats. */
#include "dump.h"

#include <stdlib.h>
#include <string.h>

#include "flat.h"
#include "registry.h"

enum vmc_status vmc_dump_open_srcs(struct vmc_bytesrc **srcs, unsigned nsrc, struct vmc_dump **ret,
				   struct vmc_diag *d)
{
	const struct vmc_reader_ops *ops = NULL;
	struct vmc_dump *dump;
	uint8_t head[512];
	enum vmc_status rc;
	unsigned i;

	for (i = 0; i < nsrc; i++) {
		size_t got = 0;
		int score;
		const struct vmc_reader_ops *o;

		if ((rc = srcs[i]->ops->pread(srcs[i], head, sizeof(head), 0, &got, d)))
			return rc;
		if (vmc_flat_probe(head, got)) {
			struct vmc_bytesrc *flat;
			if ((rc = vmc_bytesrc_new_flat(srcs[i], &flat, d)))
				return rc;
			srcs[i] = flat; /* the flat source owns the stream now */
			got = 0;
			if ((rc = flat->ops->pread(flat, head, sizeof(head), 0, &got, d)))
				return rc;
		}
		o = vmc_registry_probe(head, got, &score);
		if (!o)
			return vmc_fail_at(d, VMC_ERR_UNSUPPORTED, srcs[i]->name, 0,
					   "not a supported dump format (ELF vmcore, kdump-compressed, flattened)");
		if (ops && o != ops)
			return vmc_fail(d, VMC_ERR_ARGS, "%s: a split set must be one format (%s vs %s)", srcs[i]->name,
					ops->name, o->name);
		ops = o;
	}
	if (!ops)
		return vmc_fail(d, VMC_ERR_ARGS, "no input");
	dump = calloc(1, sizeof(*dump));
	if (!dump)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	dump->ops = ops;
	dump->dump_level = -1;
	dump->nfiles = nsrc;
	dump->name = strdup(srcs[0]->name);
	if (!dump->name) {
		free(dump);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	rc = ops->open(dump, srcs, nsrc, d);
	if (rc) {
		dump->ops = NULL; /* the reader cleaned up after itself; sources stay with the caller */
		vmc_dump_close(dump);
		return rc;
	}
	*ret = dump;
	return VMC_OK;
}

enum vmc_status vmc_dump_open(const char *const *paths, unsigned npaths, struct vmc_dump **ret,
			      struct vmc_diag *d)
{
	struct vmc_bytesrc **srcs = calloc(npaths ? npaths : 1, sizeof(*srcs));
	enum vmc_status rc = VMC_OK;
	unsigned i;

	if (!srcs)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	for (i = 0; i < npaths && !rc; i++)
		rc = vmc_bytesrc_open_file(paths[i], &srcs[i], d);
	if (!rc)
		rc = vmc_dump_open_srcs(srcs, npaths, ret, d);
	if (rc)
		for (i = 0; i < npaths; i++)
			vmc_bytesrc_free(srcs[i]);
	free(srcs);
	return rc;
}
