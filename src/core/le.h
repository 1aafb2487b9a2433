/* le.h: unaligned little-endian loads from dump bytes (x86 dumps are little-endian; memcpy
 * keeps the access defined whatever the alignment). */
#ifndef VMC_LE_H
#define VMC_LE_H

#include <stdint.h>
#include <string.h>

static inline uint16_t vmc_le16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static inline uint32_t vmc_le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t vmc_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

#endif
