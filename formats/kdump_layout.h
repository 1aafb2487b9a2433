/* kdump_layout.h: on-disk layout of kdump-compressed ("diskdump") files as makedumpfile,
 * QEMU and crash define them (x86_64 / LP64 layout, little-endian).
 *
 *   block 0                      disk_dump_header (464 bytes used)
 *   block 1 ..                   kdump_sub_header (104 bytes) + ELF notes right after it
 *   block 1+sub_hdr_size         1st bitmap (RAM), then 2nd bitmap (stored), each block-padded
 *   block 1+sub_hdr_size+bitmap_blocks   page_desc[one per stored frame, ascending pfn]
 *   then                         page data, packed; descriptors hold absolute offsets
 */
#ifndef VMC_KDUMP_LAYOUT_H
#define VMC_KDUMP_LAYOUT_H

#include <stdint.h>

enum {
	KDH_SIGNATURE = 0,
	KDH_VERSION = 8,
	KDH_UTSNAME = 12, /* 6 x 65 bytes */
	KDH_TIMESTAMP = 408,
	KDH_STATUS = 424,
	KDH_BLOCK_SIZE = 428,
	KDH_SUB_HDR_SIZE = 432,
	KDH_BITMAP_BLOCKS = 436,
	KDH_MAX_MAPNR = 440,
	KDH_NR_CPUS = 460,
	KDH_SIZE = 464,

	KSH_PHYS_BASE = 0,
	KSH_DUMP_LEVEL = 8,
	KSH_SPLIT = 12,
	KSH_START_PFN = 16,
	KSH_END_PFN = 24,
	KSH_OFFSET_VMCOREINFO = 32,
	KSH_SIZE_VMCOREINFO = 40,
	KSH_OFFSET_NOTE = 48,
	KSH_SIZE_NOTE = 56,
	KSH_OFFSET_ERASEINFO = 64,
	KSH_SIZE_ERASEINFO = 72,
	KSH_START_PFN_64 = 80,
	KSH_END_PFN_64 = 88,
	KSH_MAX_MAPNR_64 = 96,
	KSH_SIZE = 104,

	KPD_OFFSET = 0,
	KPD_SIZE = 8,
	KPD_FLAGS = 12,
	KPD_PAGE_FLAGS = 16,
	KPD_BYTES = 24,
};

#define KDUMP_SIGNATURE "KDUMP   "
#define DISKDUMP_SIGNATURE "DISKDUMP"

static inline uint32_t kd_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t kd_get64(const uint8_t *p)
{
	return (uint64_t)kd_get32(p) | (uint64_t)kd_get32(p + 4) << 32;
}
static inline void kd_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}
static inline void kd_put64(uint8_t *p, uint64_t v)
{
	kd_put32(p, (uint32_t)v);
	kd_put32(p + 4, (uint32_t)(v >> 32));
}

#endif
