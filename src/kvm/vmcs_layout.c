/* vmcs_layout.c: VMCS field-offset tables: the field names and architectural encodings vmcarve
 * uses, the layout text parser (format in vmcs_layout.h and README.md), and the built-in tables
 * for CPU generations whose layouts are public. */
#include "vmcs_layout.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct field_def {
	const char *name;
	uint16_t encoding; /* Intel SDM Vol. 3 App. B; Linux arch/x86/include/asm/vmx.h */
};

static const char *const seg_names[8] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };
static const uint16_t seg_enc_base[4] = { 0x0800, 0x4800, 0x4814, 0x6806 };

static const struct field_def plain[] = {
	[VMCS_VPID] = { "VIRTUAL_PROCESSOR_ID", 0x0000 },
	[VMCS_EPT_POINTER] = { "EPT_POINTER", 0x201a },
	[VMCS_LINK_POINTER] = { "VMCS_LINK_POINTER", 0x2800 },
	[VMCS_GUEST_EFER] = { "GUEST_IA32_EFER", 0x2806 },
	[VMCS_ENTRY_CONTROLS] = { "VM_ENTRY_CONTROLS", 0x4012 },
	[VMCS_EXIT_CONTROLS] = { "VM_EXIT_CONTROLS", 0x400c },
	[VMCS_GUEST_GDTR_LIMIT] = { "GUEST_GDTR_LIMIT", 0x4810 },
	[VMCS_GUEST_IDTR_LIMIT] = { "GUEST_IDTR_LIMIT", 0x4812 },
	[VMCS_GUEST_GDTR_BASE] = { "GUEST_GDTR_BASE", 0x6816 },
	[VMCS_GUEST_IDTR_BASE] = { "GUEST_IDTR_BASE", 0x6818 },
	[VMCS_GUEST_CR0] = { "GUEST_CR0", 0x6800 },
	[VMCS_GUEST_CR3] = { "GUEST_CR3", 0x6802 },
	[VMCS_GUEST_CR4] = { "GUEST_CR4", 0x6804 },
	[VMCS_GUEST_RSP] = { "GUEST_RSP", 0x681c },
	[VMCS_GUEST_RIP] = { "GUEST_RIP", 0x681e },
	[VMCS_GUEST_RFLAGS] = { "GUEST_RFLAGS", 0x6820 },
	[VMCS_HOST_CR3] = { "HOST_CR3", 0x6c02 },
	[VMCS_HOST_CR4] = { "HOST_CR4", 0x6c04 },
	[VMCS_HOST_RIP] = { "HOST_RIP", 0x6c16 },
};

/* Other spellings seen in Rekall/Actaeon profiles and Xen. */
static const struct {
	const char *alias;
	enum vmc_vmcs_field f;
} aliases[] = {
	{ "VPID", VMCS_VPID },
	{ "EPT_POINTER_FULL", VMCS_EPT_POINTER },
	{ "VMCS_LINK_PTR_FULL", VMCS_LINK_POINTER },
	{ "VMCS_LINK_POINTER_FULL", VMCS_LINK_POINTER },
	{ "GUEST_EFER", VMCS_GUEST_EFER },
	{ "GUEST_IA32_EFER_FULL", VMCS_GUEST_EFER },
	{ "ENTRY_CONTROLS", VMCS_ENTRY_CONTROLS },
	{ "EXIT_CONTROLS", VMCS_EXIT_CONTROLS },
};

/* names of the segment fields, in enum order (ES CS SS DS FS GS LDTR TR x selector limit ar base) */
static const char *const seg_field_names[] = {
	"GUEST_ES_SELECTOR",
	"GUEST_ES_LIMIT",
	"GUEST_ES_AR_BYTES",
	"GUEST_ES_BASE",
	"GUEST_CS_SELECTOR",
	"GUEST_CS_LIMIT",
	"GUEST_CS_AR_BYTES",
	"GUEST_CS_BASE",
	"GUEST_SS_SELECTOR",
	"GUEST_SS_LIMIT",
	"GUEST_SS_AR_BYTES",
	"GUEST_SS_BASE",
	"GUEST_DS_SELECTOR",
	"GUEST_DS_LIMIT",
	"GUEST_DS_AR_BYTES",
	"GUEST_DS_BASE",
	"GUEST_FS_SELECTOR",
	"GUEST_FS_LIMIT",
	"GUEST_FS_AR_BYTES",
	"GUEST_FS_BASE",
	"GUEST_GS_SELECTOR",
	"GUEST_GS_LIMIT",
	"GUEST_GS_AR_BYTES",
	"GUEST_GS_BASE",
	"GUEST_LDTR_SELECTOR",
	"GUEST_LDTR_LIMIT",
	"GUEST_LDTR_AR_BYTES",
	"GUEST_LDTR_BASE",
	"GUEST_TR_SELECTOR",
	"GUEST_TR_LIMIT",
	"GUEST_TR_AR_BYTES",
	"GUEST_TR_BASE"
};

const char *vmc_vmcs_field_name(enum vmc_vmcs_field f)
{
	if (f >= VMCS_GUEST_ES_SELECTOR && f <= VMCS_GUEST_SEG_LAST)
		return seg_field_names[f - VMCS_GUEST_ES_SELECTOR];
	return (unsigned)f < VMCS_NFIELDS ? plain[f].name : "?";
}

uint16_t vmc_vmcs_field_encoding(enum vmc_vmcs_field f)
{
	if (f >= VMCS_GUEST_ES_SELECTOR && f <= VMCS_GUEST_SEG_LAST) {
		unsigned i = f - VMCS_GUEST_ES_SELECTOR;
		return (uint16_t)(seg_enc_base[i % 4] + 2 * (i / 4));
	}
	return plain[f].encoding;
}

unsigned vmc_vmcs_field_bytes(enum vmc_vmcs_field f)
{
	static const unsigned width[4] = { 2, 8, 4, 8 }; /* 16-bit, 64-bit, 32-bit, natural */
	return width[(vmc_vmcs_field_encoding(f) >> 13) & 3];
}

static int field_by_name(const char *name, size_t len)
{
	for (unsigned f = 0; f < VMCS_NFIELDS; f++) {
		const char *n = vmc_vmcs_field_name((enum vmc_vmcs_field)f);
		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return (int)f;
	}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strlen(aliases[i].alias) == len && memcmp(aliases[i].alias, name, len) == 0)
			return (int)aliases[i].f;
	/* Rekall's short segment spellings: GUEST_CS_SEL, GUEST_CS_ATTR */
	for (unsigned s = 0; s < 8; s++) {
		char a[32], b[32];
		snprintf(a, sizeof(a), "GUEST_%s_SEL", seg_names[s]);
		snprintf(b, sizeof(b), "GUEST_%s_ATTR", seg_names[s]);
		if (strlen(a) == len && memcmp(a, name, len) == 0)
			return (int)vmc_vmcs_seg_field(s, 0);
		if (strlen(b) == len && memcmp(b, name, len) == 0)
			return (int)vmc_vmcs_seg_field(s, 2);
	}
	return -1;
}

/* "0x..." hexadecimal or decimal, nothing else; false on garbage or overflow past max. */
static bool parse_num(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	char buf[32], *end;
	unsigned long long v;
	int base = 10;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = 0;
	if (len > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X'))
		base = 16;
	for (size_t i = base == 16 ? 2 : 0; i < len; i++)
		if (base == 16 ? !strchr("0123456789abcdefABCDEF", buf[i]) : (buf[i] < '0' || buf[i] > '9'))
			return false;
	errno = 0;
	v = strtoull(buf, &end, base);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static const enum vmc_vmcs_field required[] = { VMCS_EPT_POINTER, VMCS_LINK_POINTER, VMCS_HOST_CR3, VMCS_HOST_CR4 };

/* A layout file being parsed. */
struct layout_parse {
	struct vmc_vmcs_layout l;
	bool have_rev, have_size;
	const char *origin;
	unsigned lineno;
};

static enum vmc_status parse_field(struct layout_parse *p, const char *ln, size_t ll, size_t ke, struct vmc_diag *d)
{
	size_t vs = ke + 1;
	int f = field_by_name(ln + 6, ke - 7);
	uint64_t v;

	if (!parse_num(ln + vs, ll - vs, 4095, &v))
		return vmc_fail(d, VMC_ERR_CORRUPT, "%s: line %u: FIELD(%.*s) offset must be a number in 0..4095",
				p->origin, p->lineno, (int)(ke - 7 > 48 ? 48 : ke - 7), ln + 6);
	if (f < 0) {
		p->l.nignored++;
		return VMC_OK;
	}
	if (v < 8)
		return vmc_fail(d, VMC_ERR_CORRUPT,
				"%s: line %u: FIELD(%s) at offset %llu overlaps the revision id / abort indicator",
				p->origin, p->lineno, vmc_vmcs_field_name((enum vmc_vmcs_field)f), (unsigned long long)v);
	if (p->l.off[f] != VMC_VMCS_UNKNOWN)
		return vmc_fail(d, VMC_ERR_CORRUPT, "%s: line %u: FIELD(%s) given twice", p->origin, p->lineno,
				vmc_vmcs_field_name((enum vmc_vmcs_field)f));
	p->l.off[f] = (uint16_t)v;
	return VMC_OK;
}

/* One "KEY=value" line (trimmed, not a comment). */
static enum vmc_status parse_line(struct layout_parse *p, const char *ln, size_t ll, struct vmc_diag *d)
{
	const char *origin = p->origin, *eq;
	unsigned lineno = p->lineno;
	size_t ke, vs;
	uint64_t v;

	if (!(eq = memchr(ln, '=', ll)))
		return vmc_fail(d, VMC_ERR_CORRUPT, "%s: line %u: no '=' in \"%.*s\"", origin, lineno,
				(int)(ll > 60 ? 60 : ll), ln);
	ke = (size_t)(eq - ln);
	vs = ke + 1;
	if (ke == 11 && memcmp(ln, "REVISION_ID", 11) == 0) {
		if (p->have_rev)
			return vmc_fail(d, VMC_ERR_CORRUPT, "%s: line %u: REVISION_ID given twice", origin, lineno);
		if (!parse_num(ln + vs, ll - vs, 0x7fffffff, &v) || v == 0)
			return vmc_fail(d, VMC_ERR_CORRUPT, "%s: line %u: REVISION_ID must be a number in 1..0x7fffffff",
					origin, lineno);
		p->l.revision_id = (uint32_t)v;
		p->have_rev = true;
	} else if (ke == 4 && memcmp(ln, "SIZE", 4) == 0) {
		if (p->have_size)
			return vmc_fail(d, VMC_ERR_CORRUPT, "%s: line %u: SIZE given twice", origin, lineno);
		if (!parse_num(ln + vs, ll - vs, 4096, &v) || v < 16)
			return vmc_fail(d, VMC_ERR_CORRUPT, "%s: line %u: SIZE must be a number in 16..4096", origin,
					lineno);
		p->l.size = (uint32_t)v;
		p->have_size = true;
	} else if (ke == 4 && memcmp(ln, "NAME", 4) == 0) {
		size_t n = ll - vs < sizeof(p->l.name) - 1 ? ll - vs : sizeof(p->l.name) - 1;
		memcpy(p->l.name, ln + vs, n);
		p->l.name[n] = 0;
	} else if (ke > 7 && memcmp(ln, "FIELD(", 6) == 0 && ln[ke - 1] == ')') {
		return parse_field(p, ln, ll, ke, d);
	} else {
		return vmc_fail(d, VMC_ERR_CORRUPT, "%s: line %u: unknown key \"%.*s\"", origin, lineno,
				(int)(ke > 48 ? 48 : ke), ln);
	}
	return VMC_OK;
}

/* After the whole text (SIZE may come last): what is required, and every field inside SIZE. */
static enum vmc_status check_parsed(const struct layout_parse *p, struct vmc_diag *d)
{
	const struct vmc_vmcs_layout *l = &p->l;

	if (!p->have_rev)
		return vmc_fail(d, VMC_ERR_CORRUPT, "%s: no REVISION_ID line", p->origin);
	for (unsigned k = 0; k < sizeof(required) / sizeof(required[0]); k++)
		if (l->off[required[k]] == VMC_VMCS_UNKNOWN)
			return vmc_fail(d, VMC_ERR_CORRUPT, "%s: no FIELD(%s) line (required)", p->origin,
					vmc_vmcs_field_name(required[k]));
	for (unsigned f = 0; f < VMCS_NFIELDS; f++)
		if (l->off[f] != VMC_VMCS_UNKNOWN && l->off[f] + vmc_vmcs_field_bytes((enum vmc_vmcs_field)f) > l->size)
			return vmc_fail(d, VMC_ERR_CORRUPT, "%s: FIELD(%s) at 0x%x (%u bytes) ends past SIZE 0x%x", p->origin,
					vmc_vmcs_field_name((enum vmc_vmcs_field)f), l->off[f],
					vmc_vmcs_field_bytes((enum vmc_vmcs_field)f), l->size);
	return VMC_OK;
}

enum vmc_status vmc_vmcs_layout_parse(const char *text, size_t len, const char *origin,
				      struct vmc_vmcs_layout *out, struct vmc_diag *d)
{
	struct layout_parse p;
	size_t i = 0;
	const char *nul = memchr(text, 0, len);
	enum vmc_status rc;

	if (nul) /* note descriptors are NUL-padded */
		len = (size_t)(nul - text);
	memset(&p, 0, sizeof(p));
	for (unsigned f = 0; f < VMCS_NFIELDS; f++)
		p.l.off[f] = VMC_VMCS_UNKNOWN;
	p.l.size = 4096;
	p.origin = origin;
	snprintf(p.l.origin, sizeof(p.l.origin), "%s", origin);
	/* offsets are checked against SIZE after the whole text is read (SIZE may come last) */
	while (i < len) {
		size_t e = i;
		const char *ln = text + i;

		while (e < len && text[e] != '\n')
			e++;
		p.lineno++;
		size_t ll = e - i;
		i = e + 1;
		while (ll && (ln[ll - 1] == '\r' || ln[ll - 1] == ' ' || ln[ll - 1] == '\t'))
			ll--;
		while (ll && (*ln == ' ' || *ln == '\t'))
			ln++, ll--;
		if (ll == 0 || ln[0] == '#')
			continue;
		if ((rc = parse_line(&p, ln, ll, d)))
			return rc;
	}
	if ((rc = check_parsed(&p, d)))
		return rc;
	if (!p.l.name[0])
		snprintf(p.l.name, sizeof(p.l.name), "rev 0x%x", p.l.revision_id);
	*out = p.l;
	return VMC_OK;
}

enum vmc_status vmc_vmcs_layout_load(const char *path, struct vmc_vmcs_layout *out, struct vmc_diag *d)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	enum vmc_status rc;

	if (!f)
		return vmc_fail(d, VMC_ERR_IO, "%s: %s", path, strerror(errno));
	if (!(buf = malloc(1 << 20))) {
		fclose(f);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	n = fread(buf, 1, 1 << 20, f);
	if (ferror(f)) {
		rc = vmc_fail(d, VMC_ERR_IO, "%s: read error", path);
	} else if (n == 1 << 20) {
		rc = vmc_fail(d, VMC_ERR_CORRUPT, "%s: larger than 1 MiB: not a VMCS layout", path);
	} else {
		rc = vmc_vmcs_layout_parse(buf, n, path, out, d);
	}
	free(buf);
	fclose(f);
	return rc;
}

/* Built-in layouts. Offsets below are 32-bit word indexes as the sources give them (the byte
 * offset is 4x). Only fields the sources state unambiguously are included.
 *  - Nehalem, revision 0x0e: Rekall's profile VMCS.gz (google/rekall-profiles v1.0/VMCS.gz,
 *    NEHALEM_VMCS) as converted to words by Actaeon's utils/rekall2actaeon.py:
 *    eurecom-s3/actaeon plugin/hypervisors/vmcs_layouts/nehalem.py.
 *  - Sandy Bridge, revision 0x10: Actaeon's own measurement,
 *    eurecom-s3/actaeon plugin/hypervisors/vmcs_layouts/sandy.py (revision id from its db.py and
 *    Rekall's KNOWN_REVISION_IDS). Its access-rights entries are commented out there (no AR here),
 *    and it has no GUEST_DS_SELECTOR.
 *  - Haswell, revision 0x12: Rekall's HASWELL_VMCS via Actaeon's haswell.py. That conversion
 *    divides byte offsets by 4, so 16-bit fields sharing a word (selectors, access rights, VPID)
 *    lost their exact byte offset; they are left out. Limits and bases sit in their own words.
 * Rekall's revision table (rekall-core/rekall/plugins/hypervisors.py KNOWN_REVISION_IDS): 0x0d
 * Penryn, 0x0e Nehalem, 0x0f Westmere, 0x10 Sandy Bridge, 0x12 Haswell. Westmere and Penryn are
 * not built in: Actaeon's westmere.py writes EPT_POINTER as "00000050" (Python 2 octal = word 40,
 * or a mistyped 0x50): not verifiable. */
struct builtin_src {
	const char *name, *source;
	uint32_t revision_id;
	/* word offsets: 0 = not in the table */
	uint16_t w[VMCS_NFIELDS];
};

#define SEGW(s, sel, lim, ar, base) \
	[VMCS_GUEST_ES_SELECTOR + 4 * (s) + 0] = (sel), [VMCS_GUEST_ES_SELECTOR + 4 * (s) + 1] = (lim), \
	[VMCS_GUEST_ES_SELECTOR + 4 * (s) + 2] = (ar), [VMCS_GUEST_ES_SELECTOR + 4 * (s) + 3] = (base)

static const struct builtin_src builtin_src[] = {
	{ "nehalem", "Rekall NEHALEM_VMCS via actaeon vmcs_layouts/nehalem.py", 0x0e,
	  { [VMCS_VPID] = 0xbc, [VMCS_EPT_POINTER] = 0x3a, [VMCS_LINK_POINTER] = 0x3e, [VMCS_GUEST_EFER] = 0x44,
	    [VMCS_ENTRY_CONTROLS] = 0x52, [VMCS_EXIT_CONTROLS] = 0x4f,
	    SEGW(0, 0x80, 0x84, 0x85, 0x82), SEGW(1, 0x86, 0x8a, 0x8b, 0x88), SEGW(2, 0x8c, 0x90, 0x91, 0x8e),
	    SEGW(3, 0x92, 0x96, 0x97, 0x94), SEGW(4, 0x98, 0x9c, 0x9d, 0x9a), SEGW(5, 0x9e, 0xa2, 0xa3, 0xa0),
	    SEGW(6, 0xa4, 0xa8, 0xa9, 0xa6), SEGW(7, 0xaa, 0xae, 0xaf, 0xac),
	    [VMCS_GUEST_GDTR_LIMIT] = 0xb4, [VMCS_GUEST_IDTR_LIMIT] = 0xb5, [VMCS_GUEST_GDTR_BASE] = 0xb0,
	    [VMCS_GUEST_IDTR_BASE] = 0xb2, [VMCS_GUEST_CR0] = 0xb6, [VMCS_GUEST_CR3] = 0xb8, [VMCS_GUEST_CR4] = 0xba,
	    [VMCS_GUEST_RSP] = 0x74, [VMCS_GUEST_RIP] = 0x76, [VMCS_GUEST_RFLAGS] = 0x78, [VMCS_HOST_CR3] = 0xd0,
	    [VMCS_HOST_CR4] = 0xd2, [VMCS_HOST_RIP] = 0xe4 } },
	{ "sandybridge", "actaeon vmcs_layouts/sandy.py", 0x10,
	  { [VMCS_VPID] = 0xbc, [VMCS_EPT_POINTER] = 0x3a, [VMCS_LINK_POINTER] = 0x3e, [VMCS_GUEST_EFER] = 0x44,
	    [VMCS_ENTRY_CONTROLS] = 0x52, [VMCS_EXIT_CONTROLS] = 0x4f,
	    SEGW(0, 0x80, 0x84, 0, 0x82), SEGW(1, 0x86, 0x8a, 0, 0x88), SEGW(2, 0x8c, 0x90, 0, 0x8e),
	    SEGW(3, 0, 0x96, 0, 0x94), SEGW(4, 0x98, 0x9c, 0, 0x9a), SEGW(5, 0x9e, 0xa2, 0, 0xa0),
	    SEGW(6, 0xa4, 0xa8, 0, 0xa6), SEGW(7, 0xaa, 0xae, 0, 0xac),
	    [VMCS_GUEST_GDTR_LIMIT] = 0xb4, [VMCS_GUEST_IDTR_LIMIT] = 0xb5, [VMCS_GUEST_GDTR_BASE] = 0xb0,
	    [VMCS_GUEST_IDTR_BASE] = 0xb2, [VMCS_GUEST_CR0] = 0xb6, [VMCS_GUEST_CR3] = 0xb8, [VMCS_GUEST_CR4] = 0xba,
	    [VMCS_GUEST_RSP] = 0x74, [VMCS_GUEST_RIP] = 0x76, [VMCS_GUEST_RFLAGS] = 0x78, [VMCS_HOST_CR3] = 0xd0,
	    [VMCS_HOST_CR4] = 0xd2, [VMCS_HOST_RIP] = 0xe4 } },
	{ "haswell", "Rekall HASWELL_VMCS via actaeon vmcs_layouts/haswell.py (no selectors/AR/VPID)", 0x12,
	  { [VMCS_EPT_POINTER] = 0x50, [VMCS_LINK_POINTER] = 0x3e, [VMCS_GUEST_EFER] = 0x44,
	    [VMCS_ENTRY_CONTROLS] = 0xae, [VMCS_EXIT_CONTROLS] = 0x57,
	    SEGW(0, 0, 0x09, 0, 0x0a), SEGW(1, 0, 0x0d, 0, 0x0e), SEGW(2, 0, 0x11, 0, 0x12),
	    SEGW(3, 0, 0x15, 0, 0x16), SEGW(4, 0, 0x21, 0, 0x22), SEGW(5, 0, 0x25, 0, 0x26),
	    SEGW(6, 0, 0x19, 0, 0x1a), SEGW(7, 0, 0x1d, 0, 0x1e),
	    [VMCS_GUEST_GDTR_LIMIT] = 0x29, [VMCS_GUEST_IDTR_LIMIT] = 0x2d, [VMCS_GUEST_GDTR_BASE] = 0x2a,
	    [VMCS_GUEST_IDTR_BASE] = 0x2e, [VMCS_GUEST_CR0] = 0x82, [VMCS_GUEST_CR3] = 0x84, [VMCS_GUEST_CR4] = 0x86,
	    [VMCS_GUEST_RSP] = 0x74, [VMCS_GUEST_RIP] = 0x76, [VMCS_GUEST_RFLAGS] = 0x78, [VMCS_HOST_CR3] = 0xcc,
	    [VMCS_HOST_CR4] = 0xce, [VMCS_HOST_RIP] = 0xc2 } },
};

#define NBUILTIN (sizeof(builtin_src) / sizeof(builtin_src[0]))

static struct vmc_vmcs_layout builtin_tab[NBUILTIN];
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void builtin_fill(void)
{
	for (unsigned i = 0; i < NBUILTIN; i++) {
		struct vmc_vmcs_layout *l = &builtin_tab[i];
		const struct builtin_src *s = &builtin_src[i];
		snprintf(l->name, sizeof(l->name), "%s", s->name);
		snprintf(l->origin, sizeof(l->origin), "built-in (%s)", s->source);
		l->revision_id = s->revision_id;
		l->size = 4096;
		for (unsigned f = 0; f < VMCS_NFIELDS; f++)
			l->off[f] = s->w[f] ? (uint16_t)(s->w[f] * 4) : VMC_VMCS_UNKNOWN;
	}
}

static void builtin_init(void)
{
	pthread_once(&builtin_once, builtin_fill);
}

unsigned vmc_vmcs_builtin_count(void)
{
	return NBUILTIN;
}

const struct vmc_vmcs_layout *vmc_vmcs_builtin(unsigned i)
{
	builtin_init();
	return i < NBUILTIN ? &builtin_tab[i] : NULL;
}

const struct vmc_vmcs_layout *vmc_vmcs_builtin_for(uint32_t revision_id)
{
	builtin_init();
	for (unsigned i = 0; i < NBUILTIN; i++)
		if (builtin_tab[i].revision_id == revision_id)
			return &builtin_tab[i];
	return NULL;
}

bool vmc_vmcs_get(const struct vmc_vmcs_layout *l, const uint8_t *region, size_t region_len, enum vmc_vmcs_field f,
		  uint64_t *val)
{
	unsigned n;
	uint64_t v = 0;

	if ((unsigned)f >= VMCS_NFIELDS || l->off[f] == VMC_VMCS_UNKNOWN)
		return false;
	n = vmc_vmcs_field_bytes(f);
	if ((size_t)l->off[f] + n > region_len)
		return false;
	memcpy(&v, region + l->off[f], n); /* little-endian host, as the dump */
	*val = v;
	return true;
}

size_t vmc_vmcs_layout_format(const struct vmc_vmcs_layout *l, char *buf, size_t bufsz)
{
	size_t n = 0;
	int k;

#define ADD(...)                                                                  \
	do {                                                                      \
		k = snprintf(n < bufsz ? buf + n : NULL, n < bufsz ? bufsz - n : 0, __VA_ARGS__); \
		if (k > 0)                                                        \
			n += (size_t)k;                                           \
	} while (0)
	ADD("NAME=%s\nREVISION_ID=0x%x\nSIZE=0x%x\n", l->name, l->revision_id, l->size);
	for (unsigned f = 0; f < VMCS_NFIELDS; f++)
		if (l->off[f] != VMC_VMCS_UNKNOWN)
			ADD("FIELD(%s)=0x%x\n", vmc_vmcs_field_name((enum vmc_vmcs_field)f), l->off[f]);
#undef ADD
	return n;
}
