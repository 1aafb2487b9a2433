/* notes.c: ELF note iteration and VMCOREINFO lookups (see notes.h). */
#include "notes.h"

#include <stdlib.h>
#include <string.h>

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

enum vmc_status vmc_note_next(const uint8_t *blob, size_t len, size_t *pos, struct vmc_note *n)
{
	size_t p = *pos, namesz, descsz, name_pad, desc_pad;

	if (p >= len || len - p < 12)
		return VMC_DONE;
	namesz = le32(blob + p);
	descsz = le32(blob + p + 4);
	if (namesz == 0 && descsz == 0 && le32(blob + p + 8) == 0)
		return VMC_DONE; /* zero padding after the last note */
	name_pad = (namesz + 3) & ~(size_t)3;
	desc_pad = (descsz + 3) & ~(size_t)3;
	if (name_pad > len - p - 12 || desc_pad > len - p - 12 - name_pad)
		return VMC_ERR_CORRUPT;
	n->offset = p;
	n->type = le32(blob + p + 8);
	n->name = (const char *)blob + p + 12;
	n->name_len = namesz;
	while (n->name_len && n->name[n->name_len - 1] == '\0')
		n->name_len--;
	n->desc_offset = p + 12 + name_pad;
	n->desc = blob + n->desc_offset;
	n->desc_len = descsz;
	*pos = p + 12 + name_pad + desc_pad;
	return VMC_OK;
}

bool vmc_note_is(const struct vmc_note *n, const char *name)
{
	size_t l = strlen(name);
	return n->name_len == l && memcmp(n->name, name, l) == 0;
}

bool vmc_notes_find(const uint8_t *blob, size_t len, const char *name, struct vmc_note *out)
{
	size_t pos = 0;
	struct vmc_note n;

	while (vmc_note_next(blob, len, &pos, &n) == VMC_OK)
		if (vmc_note_is(&n, name)) {
			*out = n;
			return true;
		}
	return false;
}

unsigned vmc_notes_count(const uint8_t *blob, size_t len, const char *name, uint32_t type)
{
	size_t pos = 0;
	struct vmc_note n;
	unsigned c = 0;

	while (vmc_note_next(blob, len, &pos, &n) == VMC_OK)
		if (vmc_note_is(&n, name) && n.type == type)
			c++;
	return c;
}

size_t vmc_notes_valid_len(const uint8_t *blob, size_t len)
{
	size_t pos = 0;
	struct vmc_note n;

	while (vmc_note_next(blob, len, &pos, &n) == VMC_OK)
		;
	return pos;
}

bool vmcoreinfo_get(const uint8_t *text, size_t len, const char *key, char *val, size_t valsz)
{
	size_t kl = strlen(key), i = 0;

	while (i < len) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		if (e - i > kl && memcmp(text + i, key, kl) == 0 && text[i + kl] == '=') {
			size_t vl = e - i - kl - 1;
			if (valsz == 0)
				return true;
			if (vl >= valsz)
				vl = valsz - 1;
			memcpy(val, text + i + kl + 1, vl);
			val[vl] = '\0';
			return true;
		}
		i = e + 1;
	}
	return false;
}

bool vmcoreinfo_get_u64(const uint8_t *text, size_t len, const char *key, int base, uint64_t *out)
{
	char v[64], *end;
	unsigned long long x;

	if (!vmcoreinfo_get(text, len, key, v, sizeof(v)))
		return false;
	x = strtoull(v, &end, base);
	if (end == v)
		return false;
	*out = x;
	return true;
}
