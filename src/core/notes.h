/* notes.h: walking ELF note blobs and reading VMCOREINFO text. */
#ifndef VMC_NOTES_H
#define VMC_NOTES_H

#include "diag.h"

struct vmc_note {
	const char *name; /* not NUL-terminated when namesz counts no NUL; use name_len */
	size_t name_len;  /* without trailing NULs */
	uint32_t type;
	const uint8_t *desc;
	size_t desc_len;
	size_t offset; /* of the note header within the blob */
	size_t desc_offset;
};

enum { VMC_NT_PRSTATUS = 1, VMC_XEN_ELFNOTE_CRASH_INFO = 0x1000001, VMC_XEN_ELFNOTE_CRASH_REGS = 0x1000002 };

/* Iterate: *pos starts at 0. VMC_OK with a note, VMC_DONE at the end, VMC_ERR_CORRUPT on a
 * malformed header (the blob is cut there). */
enum vmc_status vmc_note_next(const uint8_t *blob, size_t len, size_t *pos, struct vmc_note *n);
bool vmc_note_is(const struct vmc_note *n, const char *name);

/* Find the first note with this name (any type); NULL desc when absent. */
bool vmc_notes_find(const uint8_t *blob, size_t len, const char *name, struct vmc_note *out);
unsigned vmc_notes_count(const uint8_t *blob, size_t len, const char *name, uint32_t type);
/* Length of the well-formed prefix of a blob (trailing padding/garbage dropped). */
size_t vmc_notes_valid_len(const uint8_t *blob, size_t len);

/* Look up KEY in VMCOREINFO text ("KEY=value\n" lines); copies the value. */
bool vmcoreinfo_get(const uint8_t *text, size_t len, const char *key, char *val, size_t valsz);
bool vmcoreinfo_get_u64(const uint8_t *text, size_t len, const char *key, int base, uint64_t *out);

#endif
