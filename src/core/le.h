/* le.h: unaligned little-endian loads from dump bytes (x86 dumps are little-endian; memcpy
 * keeps the access defined whatever the alignment), and the zero test of a byte range. */
#ifndef VMC_LE_H
#define VMC_LE_H

#include <stdbool.h>
#include <stddef.h>
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

/* Whether bytes [p, p + n) are all zero, 8 at a time (any alignment). */
static inline bool vmc_bytes_zero(const uint8_t *p, size_t n)
{
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		if (v)
			return false;
	}
	for (; n; p++, n--)
		if (*p)
			return false;
	return true;
}

#endif
