/* mkkvmhost.h: the synthetic KVM-on-Intel host dump generator's interface, for the unit tests
 * and the fuzz seed writer (mkkvmhost.c also has a main() for the command line). It shares no
 * code with vmcarve: VMCS layouts, EPT and page tables are laid out here independently. */
#ifndef MKKVMHOST_H
#define MKKVMHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kh_layout_mode {
	KH_LAYOUT_FILE,    /* the test layout (revision 0x4b56), given to vmcarve as a file */
	KH_LAYOUT_NOTE,    /* the same layout, also as a "VMCSINFO" note in the dump */
	KH_LAYOUT_HASWELL, /* revision 0x12 at Rekall's Haswell offsets (built into vmcarve) */
};

struct kh_vcpu {
	uint64_t vmcs_hpa;
	uint16_t vpid;
	uint64_t rip, rsp, rflags, cr0, cr3, cr4, efer;
	uint16_t sel[8];            /* ES CS SS DS FS GS LDTR TR */
	uint32_t limit[8], ar[8];
	uint64_t base[8];
	uint64_t gdtr_base, idtr_base;
	uint32_t gdtr_limit, idtr_limit;
};

/* One EPT leaf: gfn..gfn+npages -> hpa.. */
struct kh_map {
	uint64_t gfn, hpa, npages;
};

struct kh_vm {
	unsigned id;                /* content seed: guest pages hold kh_guest_page(id, gfn) */
	uint64_t eptp;
	unsigned levels;
	bool accepted;              /* the scan must report this VM */
	bool ept_loops;             /* its EPT walk cannot finish (loop/aliasing) */
	struct kh_vcpu vcpus[4];
	unsigned nvcpus;
	struct kh_map maps[64];
	unsigned nmaps;
	uint64_t vmcoreinfo_gfn;    /* 0 = none */
};

struct kh_result {
	uint8_t *elf;               /* the host vmcore */
	size_t elf_len;
	char layout[4096];          /* the layout the VMCSs were written with (file mode: give it) */
	char wrong_layout[4096];    /* same revision id, fields shifted: must find nothing */
	struct kh_vm vms[8];        /* honest VMs first (scan order), then rejected ones */
	unsigned nvms;
	uint64_t fakes[16];         /* VMCS look-alikes that must be rejected */
	unsigned nfakes;
	unsigned shared_frames;     /* frames two accepted VMs both map (a warning) */
	uint64_t max_paddr;         /* end of host RAM */
	/* host memory for expectations */
	uint8_t *low;               /* [0, low_len) */
	size_t low_len;
	uint8_t *high;              /* [high_base, high_base + high_len) stored part of the 1 GiB range */
	uint64_t high_base;
	size_t high_len;
};

/* Scenarios: "basic", "hostile", "mutual", "shared", "mini" (52 KiB of host RAM, one VM: a fuzz seed). Returns 0, or -1 (unknown scenario / OOM). */
int kh_build(const char *scenario, enum kh_layout_mode mode, struct kh_result *r);
void kh_free(struct kh_result *r);
/* Content of an ordinary guest page. */
void kh_guest_page(unsigned vm, uint64_t gfn, uint8_t *buf);
/* The 4 KiB of host memory at hpa as the dump stores it; false when the dump does not hold it. */
bool kh_host_page(const struct kh_result *r, uint64_t hpa, uint8_t *buf);
/* Where gfn of vm lives: true with *hpa when the EPT maps it. */
bool kh_translate(const struct kh_vm *vm, uint64_t gfn, uint64_t *hpa);

#endif
