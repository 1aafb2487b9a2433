/* kvm_hw.c: what the VMCB and VMCS scanners share: freeing a scan, its report and warning
 * lines, VM/vCPU lists, and host-frame sets built from nested page tables. */
#include "kvm_hw_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vmc_hw_scan_free(struct vmc_hw_scan *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nvms; i++)
		free(s->vms[i].vcpus);
	free(s->vms);
	vmc_msgs_release(&s->msgs);
	memset(s, 0, sizeof(*s));
}

/* bounded: a hostile dump may hold many look-alikes */
static const struct vmc_msgs_caps caps = { .max_warnings = 200, .max_report = 1u << 20, .max_line = 511 };

void vmc_hw_report(struct vmc_hw_scan *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmc_msgs_vreport(&s->msgs, &caps, fmt, ap);
	va_end(ap);
}

void vmc_hw_warn(struct vmc_hw_scan *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmc_msgs_vwarn(&s->msgs, &caps, fmt, ap);
	va_end(ap);
}

struct vmc_hw_vm *vmc_hw_vm_get(struct vmc_hw_scan *s, uint64_t tdp_root, enum vmc_pt_format format,
				unsigned levels)
{
	struct vmc_hw_vm *v;

	for (unsigned i = 0; i < s->nvms; i++)
		if (s->vms[i].tdp_root == tdp_root && s->vms[i].format == format)
			return &s->vms[i];
	if (!(v = realloc(s->vms, (s->nvms + 1) * sizeof(*v))))
		return NULL;
	s->vms = v;
	v = &s->vms[s->nvms++];
	memset(v, 0, sizeof(*v));
	v->tdp_root = tdp_root;
	v->format = format;
	v->levels = levels;
	return v;
}

struct vmc_hw_vcpu *vmc_hw_vcpu_add(struct vmc_hw_vm *vm)
{
	struct vmc_hw_vcpu *c;

	if (!(c = realloc(vm->vcpus, (vm->nvcpus + 1) * sizeof(*c))))
		return NULL;
	vm->vcpus = c;
	c = &vm->vcpus[vm->nvcpus++];
	memset(c, 0, sizeof(*c));
	return c;
}

void vmc_hw_vm_remove(struct vmc_hw_scan *s, unsigned i)
{
	if (i >= s->nvms)
		return;
	free(s->vms[i].vcpus);
	memmove(&s->vms[i], &s->vms[i + 1], (s->nvms - i - 1) * sizeof(s->vms[0]));
	s->nvms--;
}

struct tdp_arg {
	struct vmc_ranges *set;
	unsigned shift;
	struct vmc_diag *d;
};

static enum vmc_status tdp_leaf(uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t entry, void *arg)
{
	struct tdp_arg *a = arg;
	(void)gpa;
	(void)entry;
	return vmc_ranges_add(a->set, hpa >> a->shift, (hpa >> a->shift) + (size >> a->shift), a->d);
}

enum vmc_status vmc_hw_tdp_frames(struct vmc_physmem *pm, const struct vmc_hw_vm *vm, struct vmc_ranges *set,
				  uint64_t max_leaves, struct vmc_pt_stats *st, struct vmc_diag *d)
{
	struct vmc_pt pt = { .pm = pm, .format = vm->format, .levels = vm->levels, .root = vm->tdp_root };
	struct tdp_arg a = { set, pm->dump->page_shift, d };

	pt.max_leaves = max_leaves ? max_leaves : 1ull << 24; /* 64 GiB of 4K pages */
	return vmc_pt_walk(&pt, 0, 1ull << (12 + 9 * vm->levels), tdp_leaf, &a, st, d);
}

enum vmc_status vmc_hw_for_each_frame(struct vmc_dump *dump, vmc_hw_frame_fn *cb, void *arg, uint64_t *unreadable,
				      struct vmc_diag *d)
{
	uint8_t *buf = malloc(dump->page_size);
	void *scratch = dump->scratch_size ? malloc(dump->scratch_size) : NULL;
	enum vmc_status rc = VMC_OK;
	uint64_t pfn = vmc_bitmap_next_set(&dump->stored, 0);

	if (!buf || (dump->scratch_size && !scratch)) {
		rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		goto out;
	}
	while (pfn < dump->max_pfn) {
		uint64_t end = vmc_bitmap_next_clear(&dump->stored, pfn), n;
		const uint8_t *run = NULL;

		if (end <= pfn || end > dump->max_pfn)
			end = dump->max_pfn;
		n = end - pfn < 256 ? end - pfn : 256; /* mapped runs in 1 MiB steps: the reader drops what is behind */
		if (dump->ops->map_run)
			run = dump->ops->map_run(dump, pfn, n);
		if (run) {
			for (uint64_t i = 0; i < n && !rc; i++)
				rc = cb(pfn + i, run + (i << dump->page_shift), arg);
		} else {
			struct vmc_diag tmp;
			vmc_diag_init(&tmp);
			n = 1;
			if (dump->ops->read_page(dump, pfn, buf, scratch, &tmp)) {
				if (unreadable)
					(*unreadable)++;
			} else
				rc = cb(pfn, buf, arg);
		}
		if (rc) {
			if (rc != VMC_DONE)
				vmc_wrap(d, rc, "%s: scanning frame 0x%llx", dump->name, (unsigned long long)pfn);
			break;
		}
		pfn += n;
		if (pfn >= end)
			pfn = vmc_bitmap_next_set(&dump->stored, pfn);
	}
out:
	free(buf);
	free(scratch);
	return rc == VMC_DONE ? VMC_OK : rc;
}
