/* linux_state.c: panic_cpu and oops_in_progress of the kernel in a dump (see linux_state.h). */
#include "linux_state.h"

#include <string.h>

#include "linux_kallsyms.h"
#include "linux_kvmem.h"

enum vmc_status vmc_linux_state_read(struct vmc_dump *dump, struct vmc_linux_state *st, struct vmc_diag *d)
{
	struct vmc_lkmem km;
	struct vmc_kallsyms ks;
	static const char *const names[2] = { "panic_cpu", "oops_in_progress" };
	uint64_t addr[2];
	bool found[2];
	uint32_t v;
	enum vmc_status rc;

	memset(st, 0, sizeof(*st));
	if ((rc = vmc_lkmem_init(&km, dump, d)))
		return rc;
	memset(&ks, 0, sizeof(ks));
	if ((rc = vmc_kallsyms_load(&km, &ks, d)))
		goto out;
	vmc_kallsyms_lookup_many(&ks, names, 2, addr, found); /* one walk of the table for both */
	if (!found[0]) {
		rc = vmc_fail(d, VMC_ERR_NOTFOUND, "%s: no panic_cpu in the kernel's symbols", dump->name);
		goto out;
	}
	if ((rc = vmc_lkmem_read_u32(&km, addr[0], &v, d)))
		goto out;
	st->panic_cpu = (int)v; /* atomic_t; PANIC_CPU_INVALID = -1 */
	st->known = true;
	if (found[1] && !vmc_lkmem_read_u32(&km, addr[1], &v, d)) {
		st->oops_in_progress = (int)v;
		st->have_oops = true;
	}
	vmc_diag_clear(d);
out:
	vmc_kallsyms_free(&ks);
	vmc_lkmem_fini(&km);
	return rc;
}

const char *vmc_linux_state_name(const struct vmc_linux_state *st)
{
	if (!st->known)
		return "unknown";
	if (st->panic_cpu != -1)
		return "panic";
	if (st->have_oops && st->oops_in_progress > 0)
		return "oops";
	return "running";
}
