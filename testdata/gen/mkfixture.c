/*
 * mkfixture: independent generator of small crash-dump fixtures for vmcarve.
 *
 * This program deliberately shares no code with vmcarve: it is the oracle the
 * fixture tests compare vmcarve against.  It writes ELF vmcores (64/32-bit),
 * kdump-compressed ("diskdump") files of header version 1..6, makedumpfile
 * flattened streams and --split sets, and the expected page manifest computed
 * from its own ground truth.
 *
 * Usage:
 *   mkfixture SPEC OUTPREFIX          write the fixture file(s) and OUTPREFIX.manifest
 *   mkfixture --dump-pages SPEC       write the ground-truth page_size-byte content of every
 *                                     RAM page, in manifest order, to stdout
 *   mkfixture --dump-page SPEC PFN    write one page's ground-truth content to stdout
 *   mkfixture --check-spec SPEC       parse the spec and report errors only
 *
 * The spec format is described in testdata/README.md.
 *
 * Build: cc -O2 -std=gnu11 -Wall -Wextra -o mkfixture mkfixture.c \
 *          $(pkg-config --cflags --libs zlib lzo2 snappy libzstd libxxhash)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

/* the spec's page size (4096 unless `page_size` says otherwise): kdump block_size, VMCOREINFO
 * PAGESIZE, the unit of every pfn */
static uint32_t g_page = 4096;
#define PAGE g_page
/* a makedumpfile flattened stream's header is 4096 bytes whatever the page size */
#define FLAT_HDR 4096u
#define PAGE_MAX 65536u

enum arch { A_X86_64, A_AARCH64, A_PPC64LE };

/* ------------------------------------------------------------------ */
/* small utilities                                                     */
/* ------------------------------------------------------------------ */

static const char *g_prog = "mkfixture";
static const char *g_specpath = "";

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", g_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xzalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

static uint64_t divup(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
static uint64_t roundup_u64(uint64_t a, uint64_t b) { return divup(a, b) * b; }

/* growable byte image of an output file */
struct image {
	uint8_t *p;
	size_t len;
	size_t cap;
};

static void img_reserve(struct image *im, size_t n)
{
	if (n <= im->cap)
		return;
	size_t c = im->cap ? im->cap : 65536;
	while (c < n)
		c *= 2;
	im->p = xrealloc(im->p, c);
	memset(im->p + im->cap, 0, c - im->cap);
	im->cap = c;
}

static void img_put(struct image *im, uint64_t off, const void *data, size_t n)
{
	img_reserve(im, off + n);
	memcpy(im->p + off, data, n);
	if (off + n > im->len)
		im->len = off + n;
}

/* extend with zeros up to len */
static void img_extend(struct image *im, uint64_t len)
{
	img_reserve(im, len);
	if (len > im->len)
		im->len = len;
}

static void put_le16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * (7 - i)));
}

/* splitmix64 finalizer: good avalanche, cheap, stable */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

struct rng {
	uint64_t s;
};
static uint64_t rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ull;
	uint64_t x = r->s;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* ------------------------------------------------------------------ */
/* spec                                                                */
/* ------------------------------------------------------------------ */

enum fmt { F_ELF64, F_ELF32, F_KDUMP, F_FLAT_KDUMP, F_FLAT_ELF, F_SPLIT_KDUMP };
enum codec { C_NONE, C_ZLIB, C_LZO, C_SNAPPY, C_ZSTD, C_MIXED };
enum pclass { P_ZERO, P_DUP, P_TEXT, P_RANDOM, P_SPARSE, P_NCLASS };
static const char *const class_names[P_NCLASS] = { "zero", "dup", "text", "random", "sparse" };

struct range {
	uint64_t s, e; /* inclusive pfns */
};

#define MAXR 256

struct spec {
	enum fmt format;
	int parts;
	int version;
	enum codec codec;
	uint64_t seed;
	struct range ram[MAXR];
	int nram;
	struct range excl[MAXR];
	int nexcl;
	struct range inc[MAXR];
	int ninc;
	bool has_truncate;
	int64_t truncate; /* >= 0 absolute size, < 0 bytes to drop from the end */
	int truncate_part; /* split: 1-based part to cut, 0 = last */
	bool vmcoreinfo;
	int cpus;
	bool pn_xnum;
	uint64_t memsz_tail; /* filesz_lt_memsz: pages of zero-fill tail per RAM range */
	bool flat_shuffle;
	bool qemu_notes;
	bool share_dups;
	unsigned mix[P_NCLASS];
	uint64_t max_mapnr; /* 0 = last RAM pfn + 1 */
	int ndup;           /* number of distinct duplicate-page templates */
	int dump_level;
	bool elf_overlap;   /* ELF: extra PT_LOADs overlapping others (see build_elf) */
	bool split_per_process; /* split: per-part timestamp and block counts (see build_kdump) */
	enum arch arch;     /* e_machine, utsname.machine, NT_PRSTATUS layout */
};

static bool parse_bool(const char *v, int line)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
		return true;
	if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
		return false;
	die("%s:%d: expected yes or no, got '%s'", g_specpath, line, v);
}

static uint64_t parse_u64(const char *v, int base, int line)
{
	char *end;
	errno = 0;
	if (!*v)
		die("%s:%d: empty number", g_specpath, line);
	unsigned long long x = strtoull(v, &end, base);
	if (errno || *end)
		die("%s:%d: bad number '%s'", g_specpath, line, v);
	return x;
}

static void parse_range(const char *v, struct range *arr, int *n, int line)
{
	char buf[128];
	if (strlen(v) >= sizeof buf)
		die("%s:%d: range too long", g_specpath, line);
	strcpy(buf, v);
	char *dash = strchr(buf, '-');
	if (!dash)
		die("%s:%d: range must be START-END (hex pfns, inclusive): '%s'", g_specpath, line, v);
	*dash = 0;
	char *a = buf, *b = dash + 1;
	while (isspace((unsigned char)*a))
		a++;
	while (isspace((unsigned char)*b))
		b++;
	char *t = a + strlen(a);
	while (t > a && isspace((unsigned char)t[-1]))
		*--t = 0;
	struct range r = { parse_u64(a, 16, line), parse_u64(b, 16, line) };
	if (r.e < r.s)
		die("%s:%d: range end before start", g_specpath, line);
	if (*n >= MAXR)
		die("%s:%d: too many ranges", g_specpath, line);
	arr[(*n)++] = r;
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->s < y->s ? -1 : x->s > y->s;
}

static void parse_spec(const char *path, struct spec *sp)
{
	g_specpath = path;
	memset(sp, 0, sizeof *sp);
	sp->format = F_KDUMP;
	sp->parts = 1;
	sp->version = 6;
	sp->codec = C_ZLIB;
	sp->seed = 1;
	sp->cpus = 1;
	sp->mix[P_ZERO] = 15;
	sp->mix[P_DUP] = 15;
	sp->mix[P_TEXT] = 35;
	sp->mix[P_RANDOM] = 20;
	sp->mix[P_SPARSE] = 15;
	sp->ndup = 3;
	sp->dump_level = -1;

	FILE *f = fopen(path, "r");
	if (!f)
		die("%s: %s", path, strerror(errno));
	char line[1024];
	int ln = 0;
	bool have_parts = false;
	while (fgets(line, sizeof line, f)) {
		ln++;
		char *h = strchr(line, '#');
		if (h)
			*h = 0;
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		char *e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = 0;
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		char *key = s, *val;
		if (eq) {
			*eq = 0;
			val = eq + 1;
			char *k = eq;
			while (k > key && isspace((unsigned char)k[-1]))
				*--k = 0;
			while (isspace((unsigned char)*val))
				val++;
		} else {
			val = (char *)"yes"; /* bare key = boolean yes */
		}

		if (!strcmp(key, "format")) {
			if (!strcmp(val, "elf64")) sp->format = F_ELF64;
			else if (!strcmp(val, "elf32")) sp->format = F_ELF32;
			else if (!strcmp(val, "kdump")) sp->format = F_KDUMP;
			else if (!strcmp(val, "flat-kdump")) sp->format = F_FLAT_KDUMP;
			else if (!strcmp(val, "flat-elf")) sp->format = F_FLAT_ELF;
			else if (!strcmp(val, "split-kdump")) sp->format = F_SPLIT_KDUMP;
			else die("%s:%d: unknown format '%s'", path, ln, val);
		} else if (!strcmp(key, "parts")) {
			sp->parts = (int)parse_u64(val, 0, ln);
			have_parts = true;
			if (sp->parts < 1 || sp->parts > 64)
				die("%s:%d: parts must be 1..64", path, ln);
		} else if (!strcmp(key, "version")) {
			sp->version = (int)parse_u64(val, 0, ln);
			if (sp->version < 1 || sp->version > 6)
				die("%s:%d: version must be 1..6", path, ln);
		} else if (!strcmp(key, "codec")) {
			if (!strcmp(val, "none")) sp->codec = C_NONE;
			else if (!strcmp(val, "zlib")) sp->codec = C_ZLIB;
			else if (!strcmp(val, "lzo")) sp->codec = C_LZO;
			else if (!strcmp(val, "snappy")) sp->codec = C_SNAPPY;
			else if (!strcmp(val, "zstd")) sp->codec = C_ZSTD;
			else if (!strcmp(val, "mixed")) sp->codec = C_MIXED;
			else die("%s:%d: unknown codec '%s'", path, ln, val);
		} else if (!strcmp(key, "block_size") || !strcmp(key, "page_size")) {
			uint64_t ps = parse_u64(val, 0, ln);
			if (ps != 4096 && ps != 16384 && ps != 65536)
				die("%s:%d: page_size must be 4096, 16384 or 65536", path, ln);
			g_page = (uint32_t)ps;
		} else if (!strcmp(key, "arch")) {
			if (!strcmp(val, "x86_64")) sp->arch = A_X86_64;
			else if (!strcmp(val, "aarch64")) sp->arch = A_AARCH64;
			else if (!strcmp(val, "ppc64le")) sp->arch = A_PPC64LE;
			else die("%s:%d: unknown arch '%s' (x86_64, aarch64, ppc64le)", path, ln, val);
		} else if (!strcmp(key, "seed")) {
			sp->seed = parse_u64(val, 0, ln);
		} else if (!strcmp(key, "ram")) {
			parse_range(val, sp->ram, &sp->nram, ln);
		} else if (!strcmp(key, "exclude")) {
			parse_range(val, sp->excl, &sp->nexcl, ln);
		} else if (!strcmp(key, "incomplete")) {
			parse_range(val, sp->inc, &sp->ninc, ln);
		} else if (!strcmp(key, "truncate")) {
			sp->has_truncate = true;
			if (*val == '-')
				sp->truncate = -(int64_t)parse_u64(val + 1, 0, ln);
			else
				sp->truncate = (int64_t)parse_u64(val, 0, ln);
		} else if (!strcmp(key, "truncate_part")) {
			sp->truncate_part = (int)parse_u64(val, 0, ln);
		} else if (!strcmp(key, "vmcoreinfo")) {
			sp->vmcoreinfo = parse_bool(val, ln);
		} else if (!strcmp(key, "cpus")) {
			sp->cpus = (int)parse_u64(val, 0, ln);
			if (sp->cpus < 0 || sp->cpus > 4096)
				die("%s:%d: cpus must be 0..4096", path, ln);
		} else if (!strcmp(key, "pn_xnum")) {
			sp->pn_xnum = parse_bool(val, ln);
		} else if (!strcmp(key, "filesz_lt_memsz")) {
			if (!strcmp(val, "yes"))
				sp->memsz_tail = 4;
			else if (!strcmp(val, "no"))
				sp->memsz_tail = 0;
			else
				sp->memsz_tail = parse_u64(val, 0, ln);
		} else if (!strcmp(key, "split_per_process")) {
			sp->split_per_process = parse_bool(val, ln);
		} else if (!strcmp(key, "elf_overlap")) {
			sp->elf_overlap = parse_bool(val, ln);
		} else if (!strcmp(key, "flat_shuffle")) {
			sp->flat_shuffle = parse_bool(val, ln);
		} else if (!strcmp(key, "qemu_notes")) {
			sp->qemu_notes = parse_bool(val, ln);
		} else if (!strcmp(key, "share_dups")) {
			sp->share_dups = parse_bool(val, ln);
		} else if (!strcmp(key, "max_mapnr")) {
			sp->max_mapnr = parse_u64(val, 16, ln);
		} else if (!strcmp(key, "dup_templates")) {
			sp->ndup = (int)parse_u64(val, 0, ln);
			if (sp->ndup < 1 || sp->ndup > 1000)
				die("%s:%d: dup_templates must be 1..1000", path, ln);
		} else if (!strcmp(key, "dump_level")) {
			sp->dump_level = (int)parse_u64(val, 0, ln);
		} else if (!strcmp(key, "mix")) {
			/* mix = zero:15,dup:15,text:35,random:20,sparse:15 (unnamed classes get 0) */
			memset(sp->mix, 0, sizeof sp->mix);
			char buf[256];
			snprintf(buf, sizeof buf, "%s", val);
			for (char *tok = strtok(buf, ", "); tok; tok = strtok(NULL, ", ")) {
				char *c = strchr(tok, ':');
				if (!c)
					die("%s:%d: mix entries are CLASS:WEIGHT", path, ln);
				*c = 0;
				int k;
				for (k = 0; k < P_NCLASS; k++)
					if (!strcmp(tok, class_names[k]))
						break;
				if (k == P_NCLASS)
					die("%s:%d: unknown page class '%s'", path, ln, tok);
				sp->mix[k] = (unsigned)parse_u64(c + 1, 10, ln);
			}
		} else {
			die("%s:%d: unknown key '%s'", path, ln, key);
		}
	}
	fclose(f);

	if (sp->nram == 0)
		die("%s: no 'ram =' line", path);
	qsort(sp->ram, sp->nram, sizeof sp->ram[0], cmp_range);
	for (int i = 1; i < sp->nram; i++)
		if (sp->ram[i].s <= sp->ram[i - 1].e)
			die("%s: ram ranges overlap", path);
	uint64_t last = sp->ram[sp->nram - 1].e + 1;
	if (sp->max_mapnr == 0)
		sp->max_mapnr = last;
	if (sp->max_mapnr < last)
		die("%s: max_mapnr below the end of RAM", path);
	if (sp->max_mapnr > (1ull << 24))
		die("%s: fixtures are meant to be small (max_mapnr <= 0x1000000)", path);
	unsigned tot = 0;
	for (int k = 0; k < P_NCLASS; k++)
		tot += sp->mix[k];
	if (!tot)
		die("%s: mix weights are all zero", path);

	bool is_elf = sp->format == F_ELF64 || sp->format == F_ELF32 || sp->format == F_FLAT_ELF;
	bool is_flat = sp->format == F_FLAT_KDUMP || sp->format == F_FLAT_ELF;
	if (sp->format == F_SPLIT_KDUMP) {
		if (!have_parts)
			sp->parts = 2;
		if (sp->version < 2)
			die("%s: split-kdump needs version >= 2", path);
	} else if (have_parts && sp->parts != 1) {
		die("%s: parts is only for split-kdump", path);
	}
	if (is_elf && sp->ninc)
		die("%s: 'incomplete' is only for kdump formats (use truncate for ELF)", path);
	if (!is_flat && sp->flat_shuffle)
		die("%s: flat_shuffle is only for flat-* formats", path);
	if (sp->pn_xnum && !is_elf)
		die("%s: pn_xnum is only for ELF formats", path);
	if (sp->format == F_ELF32 && sp->max_mapnr > (1ull << 20))
		die("%s: elf32 RAM must stay below 4 GiB", path);
	if (sp->split_per_process && sp->format != F_SPLIT_KDUMP)
		die("%s: split_per_process is only for split-kdump", path);
	if (sp->elf_overlap && (sp->format != F_ELF64 && sp->format != F_ELF32))
		die("%s: elf_overlap is only for elf64 and elf32", path);
	if (sp->elf_overlap && sp->has_truncate)
		die("%s: elf_overlap does not mix with truncate", path);
	if (sp->share_dups && is_elf)
		die("%s: share_dups is only for kdump formats", path);
	if (sp->dump_level < 0)
		sp->dump_level = (sp->nexcl || sp->memsz_tail) ? 31 : 1;
	if (sp->arch != A_X86_64 && (sp->format == F_ELF32 || sp->qemu_notes))
		die("%s: elf32 and qemu_notes are x86 only", path);
}

/* ------------------------------------------------------------------ */
/* ground truth                                                        */
/* ------------------------------------------------------------------ */

enum { ST_NONE = 0, ST_OK, ST_EXCL, ST_MISSING };

struct truth {
	uint64_t n;        /* max_mapnr */
	uint8_t *ram;      /* 1st bitmap, one byte per pfn */
	uint8_t *excl;     /* RAM but not dumped */
	uint8_t *inc;      /* dumpable, descriptor left empty */
	uint8_t *status;   /* ST_* per pfn for the manifest */
};

static bool in_ranges(const struct range *r, int n, uint64_t pfn)
{
	for (int i = 0; i < n; i++)
		if (pfn >= r[i].s && pfn <= r[i].e)
			return true;
	return false;
}

static void build_truth(const struct spec *sp, struct truth *t)
{
	t->n = sp->max_mapnr;
	t->ram = xzalloc(t->n);
	t->excl = xzalloc(t->n);
	t->inc = xzalloc(t->n);
	t->status = xzalloc(t->n);
	for (int i = 0; i < sp->nram; i++) {
		const struct range *r = &sp->ram[i];
		for (uint64_t p = r->s; p <= r->e; p++) {
			t->ram[p] = 1;
			if (in_ranges(sp->excl, sp->nexcl, p))
				t->excl[p] = 1;
			uint64_t len = r->e - r->s + 1;
			if (sp->memsz_tail && p - r->s >= (len > sp->memsz_tail ? len - sp->memsz_tail : 0))
				t->excl[p] = 1;
			if (!t->excl[p] && in_ranges(sp->inc, sp->ninc, p))
				t->inc[p] = 1;
			t->status[p] = t->excl[p] ? ST_EXCL : t->inc[p] ? ST_MISSING : ST_OK;
		}
	}
}

static enum pclass page_class(const struct spec *sp, uint64_t pfn, uint64_t *h_out)
{
	uint64_t h = mix64(mix64(sp->seed ^ 0x5eed0000c1a55ull) ^ (pfn * 0xd6e8feb86659fd93ull));
	unsigned tot = 0;
	for (int k = 0; k < P_NCLASS; k++)
		tot += sp->mix[k];
	unsigned r = (unsigned)((h >> 8) % tot);
	*h_out = h;
	for (int k = 0; k < P_NCLASS; k++) {
		if (r < sp->mix[k])
			return (enum pclass)k;
		r -= sp->mix[k];
	}
	return P_TEXT;
}

static const char *const words[] = {
	"kernel", "page", "struct", "mutex", "spin_lock", "irq", "task", "sched",
	"memory", "cgroup", "inode", "dentry", "buffer", "dma", "pci", "vmalloc",
	"slab", "kmalloc", "rcu", "workqueue", "timer", "softirq", "netdev", "skb",
	"ext4", "xfs", "block", "bio", "request", "queue", "cpu", "node",
};

static void fill_text(uint8_t *buf, uint64_t key, uint64_t pfn, bool with_pfn)
{
	struct rng r = { key };
	size_t off = 0;
	char line[160];
	if (with_pfn) {
		int n = snprintf(line, sizeof line, "fixture page pfn=0x%" PRIx64 " key=%016" PRIx64 "\n",
				 pfn, key);
		memcpy(buf, line, (size_t)n);
		off = (size_t)n;
	}
	while (off < PAGE) {
		uint64_t x = rng_next(&r);
		int n = snprintf(line, sizeof line, "[%6u.%06u] %s: %s %s 0x%04x\n",
				 (unsigned)(x % 100000), (unsigned)((x >> 20) % 1000000),
				 words[(x >> 40) % 32], words[(x >> 45) % 32],
				 words[(x >> 50) % 32], (unsigned)((x >> 55) & 0xff));
		size_t k = (size_t)n;
		if (k > PAGE - off)
			k = PAGE - off;
		memcpy(buf + off, line, k);
		off += k;
	}
}

static void fill_random(uint8_t *buf, uint64_t key)
{
	struct rng r = { key };
	for (size_t i = 0; i < PAGE; i += 8)
		put_le64(buf + i, rng_next(&r));
}

/* Deterministic content of a page: a function of (seed, pfn) and the mix only. */
static void gen_page(const struct spec *sp, uint64_t pfn, uint8_t *buf)
{
	uint64_t h;
	enum pclass c = page_class(sp, pfn, &h);
	memset(buf, 0, PAGE);
	switch (c) {
	case P_ZERO:
		break;
	case P_DUP: {
		unsigned idx = (unsigned)((h >> 32) % (unsigned)sp->ndup);
		uint64_t key = mix64(sp->seed * 31 + 0xd0d0d0d0ull + idx);
		if (idx % 2 == 0)
			fill_text(buf, key, 0, false);
		else
			fill_random(buf, key);
		break;
	}
	case P_TEXT:
		fill_text(buf, h, pfn, true);
		break;
	case P_RANDOM:
		fill_random(buf, h);
		break;
	case P_SPARSE: {
		size_t at = (size_t)((h >> 16) % (PAGE / 16)) * 16;
		put_le64(buf + at, h | 1);
		put_le64(buf + at + 8, pfn);
		break;
	}
	default:
		break;
	}
}

static bool is_zero_page(const uint8_t *b)
{
	for (size_t i = 0; i < PAGE; i++)
		if (b[i])
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* notes                                                               */
/* ------------------------------------------------------------------ */

#define OSRELEASE "6.1.0-fixture"
#define CRASHTIME 1700000000ull
#define PHYS_BASE 0x1000000ull

static void note_add(struct image *im, const char *name, uint32_t type, const void *desc,
		     uint32_t descsz, uint64_t *desc_off)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	uint8_t hdr[12];
	put_le32(hdr, namesz);
	put_le32(hdr + 4, descsz);
	put_le32(hdr + 8, type);
	uint64_t off = im->len;
	img_put(im, off, hdr, 12);
	off += 12;
	img_put(im, off, name, namesz);
	off += roundup_u64(namesz, 4);
	img_extend(im, off);
	if (desc_off)
		*desc_off = off;
	img_put(im, off, desc, descsz);
	off += roundup_u64(descsz, 4);
	img_extend(im, off);
}

static uint64_t cpu_rip(int i) { return 0xffffffff81c0de00ull + (uint64_t)i * 0x10; }
static uint64_t cpu_rsp(int i) { return 0xffffc90000004f00ull + (uint64_t)i * 0x4000; }

static const char *arch_machine(enum arch a)
{
	return a == A_AARCH64 ? "aarch64" : a == A_PPC64LE ? "ppc64le" : "x86_64";
}

static size_t vmcoreinfo_text(const struct spec *sp, char *buf, size_t cap)
{
	int n;
	if (sp->arch == A_AARCH64)
		/* what arm64's arch_crash_save_vmcoreinfo() adds to the generic keys */
		n = snprintf(buf, cap,
			     "OSRELEASE=" OSRELEASE "\n"
			     "BUILD-ID=00f1c7c7e5000000000000000000000000000000\n"
			     "PAGESIZE=%u\n"
			     "SYMBOL(init_uts_ns)=ffff80000a6d1e48\n"
			     "SYMBOL(_stext)=ffff800008010000\n"
			     "SYMBOL(swapper_pg_dir)=ffff80000a2c5000\n"
			     "NUMBER(VA_BITS)=48\n"
			     "NUMBER(kimage_voffset)=0xffff7fffc8000000\n"
			     "NUMBER(PHYS_OFFSET)=0x40000000\n"
			     "KERNELOFFSET=0\n"
			     "CRASHTIME=%llu\n",
			     PAGE, (unsigned long long)CRASHTIME);
	else if (sp->arch == A_PPC64LE)
		n = snprintf(buf, cap,
			     "OSRELEASE=" OSRELEASE "\n"
			     "BUILD-ID=00f1c7c7e5000000000000000000000000000000\n"
			     "PAGESIZE=%u\n"
			     "SYMBOL(init_uts_ns)=c000000002a15440\n"
			     "SYMBOL(_stext)=c000000000000000\n"
			     "SYMBOL(swapper_pg_dir)=c000000002a0a000\n"
			     "KERNELOFFSET=0\n"
			     "CRASHTIME=%llu\n",
			     PAGE, (unsigned long long)CRASHTIME);
	else
		n = snprintf(buf, cap,
			     "OSRELEASE=" OSRELEASE "\n"
			     "BUILD-ID=00f1c7c7e5000000000000000000000000000000\n"
			     "PAGESIZE=%u\n"
			     "SYMBOL(init_uts_ns)=ffffffff82a15440\n"
			     "SYMBOL(_stext)=ffffffff81000000\n"
			     "SYMBOL(swapper_pg_dir)=ffffffff82a0a000\n"
			     "NUMBER(phys_base)=0x1000000\n"
			     "NUMBER(pgtable_l5_enabled)=0\n"
			     "KERNELOFFSET=0\n"
			     "CRASHTIME=%llu\n",
			     PAGE, (unsigned long long)CRASHTIME);
	return (size_t)n;
}

/* NT_PRSTATUS of an arm64 or ppc64 kernel: the elf_prstatus prefix is the x86_64 one (pr_pid at
 * 32, pr_reg at 112); pr_reg is 34 (user_pt_regs: x0-x30, sp, pc, pstate) or 48 (ppc64
 * pt_regs) words, then pr_fpvalid and padding: 392 and 504 bytes */
static void prstatus_other(const struct spec *sp, struct image *im, int i)
{
	uint8_t d[504];
	size_t len = sp->arch == A_AARCH64 ? 392 : 504;
	memset(d, 0, sizeof d);
	put_le32(d + 0, 11);
	put_le16(d + 12, 11);
	put_le32(d + 32, (uint32_t)i + 1); /* pr_pid */
	put_le64(d + 112, 0xdead0000ull + (uint64_t)i); /* x0 / gpr0 */
	if (sp->arch == A_AARCH64) {
		put_le64(d + 112 + 31 * 8, 0xffff800008004f00ull + (uint64_t)i * 0x4000); /* sp */
		put_le64(d + 112 + 32 * 8, 0xffff800008c0de00ull + (uint64_t)i * 0x10);  /* pc */
		put_le64(d + 112 + 33 * 8, 0x3c5);                                         /* pstate */
	} else {
		put_le64(d + 112 + 1 * 8, 0xc000000004004f00ull + (uint64_t)i * 0x4000); /* r1 */
		put_le64(d + 112 + 32 * 8, 0xc000000000c0de00ull + (uint64_t)i * 0x10);  /* nip */
		put_le64(d + 112 + 33 * 8, 0x8000000000009033ull);                        /* msr */
	}
	note_add(im, "CORE", 1, d, (uint32_t)len, NULL);
}

/*
 * Builds the note blob (CORE NT_PRSTATUS x cpus, QEMU x cpus if asked, VMCOREINFO if asked)
 * into *im starting at offset 0.  vmci_off and vmci_size receive the position of the
 * VMCOREINFO desc within the blob (0/0 if absent).
 */
static void build_notes(const struct spec *sp, bool elf32, struct image *im, uint64_t *vmci_off,
			uint64_t *vmci_size)
{
	*vmci_off = *vmci_size = 0;
	for (int i = 0; i < sp->cpus; i++) {
		if (sp->arch != A_X86_64) {
			prstatus_other(sp, im, i);
		} else if (!elf32) {
			uint8_t d[336];
			memset(d, 0, sizeof d);
			put_le32(d + 0, 11);           /* si_signo SIGSEGV-ish, recognisable */
			put_le16(d + 12, 11);          /* pr_cursig */
			put_le32(d + 32, (uint32_t)i + 1); /* pr_pid */
			put_le64(d + 112 + 4 * 8, 0xffff888000100000ull + (uint64_t)i * 0x1000); /* rbp */
			put_le64(d + 192, 0xdead0000ull + (uint64_t)i); /* rax */
			put_le64(d + 232, ~0ull);      /* orig_rax */
			put_le64(d + 240, cpu_rip(i)); /* rip */
			put_le64(d + 248, 0x10);       /* cs */
			put_le64(d + 256, 0x246);      /* eflags */
			put_le64(d + 264, cpu_rsp(i)); /* rsp */
			put_le64(d + 272, 0x18);       /* ss */
			note_add(im, "CORE", 1, d, sizeof d, NULL);
		} else {
			uint8_t d[144];
			memset(d, 0, sizeof d);
			put_le32(d + 0, 11);
			put_le16(d + 12, 11);
			put_le32(d + 24, (uint32_t)i + 1);                 /* pr_pid */
			put_le32(d + 72 + 6 * 4, 0xdead0000u + (uint32_t)i); /* eax */
			put_le32(d + 72 + 11 * 4, 0xffffffffu);             /* orig_eax */
			put_le32(d + 72 + 12 * 4, 0xc1c0de00u + (uint32_t)i * 0x10); /* eip */
			put_le32(d + 72 + 13 * 4, 0x60);                    /* xcs */
			put_le32(d + 72 + 14 * 4, 0x246);                   /* eflags */
			put_le32(d + 72 + 15 * 4, 0xc0004f00u + (uint32_t)i * 0x2000); /* esp */
			note_add(im, "CORE", 1, d, sizeof d, NULL);
		}
	}
	if (sp->qemu_notes) {
		for (int i = 0; i < sp->cpus; i++) {
			uint8_t d[432];
			memset(d, 0, sizeof d);
			put_le32(d + 0, 1);
			put_le32(d + 4, 432);
			put_le64(d + 8 + 0 * 8, 0xdead0000ull + (uint64_t)i); /* rax */
			put_le64(d + 8 + 6 * 8, cpu_rsp(i));                   /* rsp */
			put_le64(d + 136, cpu_rip(i));                         /* rip */
			put_le64(d + 144, 0x246);                              /* rflags */
			put_le32(d + 152, 0x10);                               /* cs.selector */
			put_le32(d + 152 + 4, 0xffffffff);                     /* cs.limit */
			put_le32(d + 272, 0x18);                               /* ss.selector */
			put_le64(d + 368 + 16, 0xfffffe0000000000ull);         /* idt.base */
			put_le64(d + 392 + 0 * 8, 0x80050033ull);              /* cr0 */
			put_le64(d + 392 + 3 * 8, 0x3a0a000ull);               /* cr3 */
			put_le64(d + 392 + 4 * 8, 0x3706f0ull);                /* cr4 */
			note_add(im, "QEMU", 0, d, sizeof d, NULL);
		}
	}
	if (sp->vmcoreinfo) {
		char txt[1024];
		size_t n = vmcoreinfo_text(sp, txt, sizeof txt);
		note_add(im, "VMCOREINFO", 0, txt, (uint32_t)n, vmci_off);
		*vmci_size = n;
	}
}

/* ------------------------------------------------------------------ */
/* compression                                                         */
/* ------------------------------------------------------------------ */

#define DH_ZLIB 0x01u
#define DH_LZO 0x02u
#define DH_SNAPPY 0x04u
#define DH_INCOMPLETE 0x08u
#define DH_ZSTD 0x20u

static unsigned codec_flag(enum codec c)
{
	switch (c) {
	case C_ZLIB: return DH_ZLIB;
	case C_LZO: return DH_LZO;
	case C_SNAPPY: return DH_SNAPPY;
	case C_ZSTD: return DH_ZSTD;
	case C_MIXED: return DH_ZLIB | DH_LZO | DH_SNAPPY | DH_ZSTD;
	default: return 0;
	}
}

static uint8_t lzo_wrk[LZO1X_1_MEM_COMPRESS];
static ZSTD_CCtx *zcctx;

/* Compresses one page with codec c.  Returns the stored size and sets *flags; when the
 * result does not shrink the page, the page is stored raw (flags 0, size PAGE). */
static size_t compress_page(enum codec c, const uint8_t *in, uint8_t *out, size_t cap,
			    unsigned *flags)
{
	size_t n = 0;
	bool ok = false;
	switch (c) {
	case C_ZLIB: {
		uLongf dl = cap;
		ok = compress2(out, &dl, in, PAGE, 1) == Z_OK;
		n = dl;
		break;
	}
	case C_LZO: {
		lzo_uint dl = cap;
		ok = lzo1x_1_compress(in, PAGE, out, &dl, lzo_wrk) == LZO_E_OK;
		n = dl;
		break;
	}
	case C_SNAPPY: {
		size_t dl = cap;
		ok = snappy_compress((const char *)in, PAGE, (char *)out, &dl) == SNAPPY_OK;
		n = dl;
		break;
	}
	case C_ZSTD: {
		if (!zcctx)
			zcctx = ZSTD_createCCtx();
		size_t r = ZSTD_compressCCtx(zcctx, out, cap, in, PAGE, 1);
		ok = !ZSTD_isError(r);
		n = r;
		break;
	}
	default:
		break;
	}
	if (ok && n < PAGE) {
		*flags = codec_flag(c);
		return n;
	}
	memcpy(out, in, PAGE);
	*flags = 0;
	return PAGE;
}

/* ------------------------------------------------------------------ */
/* kdump-compressed                                                    */
/* ------------------------------------------------------------------ */

/* sizeof(struct kdump_sub_header) as each header version defines it (x86_64) */
static uint64_t subhdr_size_for(int v)
{
	switch (v) {
	case 1: return 16;  /* phys_base, dump_level (+pad) */
	case 2: return 32;  /* + split, start_pfn, end_pfn */
	case 3: return 48;  /* + offset_vmcoreinfo, size_vmcoreinfo */
	case 4: return 64;  /* + offset_note, size_note */
	case 5: return 80;  /* + offset_eraseinfo, size_eraseinfo */
	default: return 104; /* + start_pfn_64, end_pfn_64, max_mapnr_64 */
	}
}

struct kd_out {
	struct image im;
	uint64_t *desc_pos; /* per pfn: file offset of its descriptor, 0 if none in this part */
	uint64_t *data_off; /* per pfn: offset of its data */
	uint32_t *data_len;
	uint64_t meta_end;  /* end of bitmaps (start of descriptor area) */
	uint64_t sub_blocks, bm1_off, bm_len, data_start;
};

/*
 * Builds one kdump file: the whole dump (part range [ps, pe) = [0, max_mapnr)) or one part
 * of a split set.  Ground truth is not modified here.
 */
static void build_kdump(const struct spec *sp, const struct truth *t, bool split, uint64_t ps,
			uint64_t pe, struct kd_out *o)
{
	const uint64_t bs = PAGE;
	const int v = sp->version;
	struct image *im = &o->im;
	memset(o, 0, sizeof *o);
	o->desc_pos = xzalloc(t->n * sizeof(uint64_t));
	o->data_off = xzalloc(t->n * sizeof(uint64_t));
	o->data_len = xzalloc(t->n * sizeof(uint32_t));

	/* notes / vmcoreinfo */
	struct image notes = { 0 };
	uint64_t vmci_rel = 0, vmci_size = 0;
	uint64_t khsz = subhdr_size_for(v);
	uint64_t note_off = 0, note_size = 0, vmci_off = 0;
	if (v >= 4) {
		build_notes(sp, false, &notes, &vmci_rel, &vmci_size);
		note_off = bs + khsz;
		note_size = notes.len;
		if (vmci_size)
			vmci_off = note_off + vmci_rel;
	} else if (v == 3 && sp->vmcoreinfo) {
		char txt[1024];
		size_t n = vmcoreinfo_text(sp, txt, sizeof txt);
		img_put(&notes, 0, txt, n);
		vmci_off = bs + khsz;
		vmci_size = n;
	}
	uint64_t sub_blocks = divup(khsz + notes.len, bs);

	uint64_t bm_len = roundup_u64(divup(t->n, 8), bs); /* one bitmap */
	uint64_t bm1_off = (1 + sub_blocks) * bs;
	uint64_t bm2_off = bm1_off + bm_len;
	uint64_t desc_off = bm2_off + bm_len;
	o->meta_end = desc_off;
	o->sub_blocks = sub_blocks;
	o->bm1_off = bm1_off;
	o->bm_len = bm_len;

	uint64_t ndump_all = 0;
	for (uint64_t p = 0; p < t->n; p++)
		if (t->ram[p] && !t->excl[p])
			ndump_all++;
	uint64_t data_start = desc_off + 24 * ndump_all;
	o->data_start = data_start;

	/* ---- main header (identical in every part of a split set) ---- */
	uint8_t h[464];
	memset(h, 0, sizeof h);
	memcpy(h, "KDUMP   ", 8);
	put_le32(h + 8, (uint32_t)v);
	const char *uts[6] = { "Linux", "fixture", OSRELEASE, "#1 SMP PREEMPT_DYNAMIC fixture",
			       arch_machine(sp->arch), "(none)" };
	for (int i = 0; i < 6; i++)
		memcpy(h + 12 + 65 * i, uts[i], strlen(uts[i]));
	put_le64(h + 408, CRASHTIME); /* tv_sec */
	put_le64(h + 416, 0);         /* tv_usec = 0 */
	if (split && sp->split_per_process) {
		/* each part written by its own process, later than the crash: its own timestamp
		 * and block counts (makedumpfile --reassemble refuses such a set) */
		put_le64(h + 408, CRASHTIME + 60 + ps % 1000);
		put_le32(h + 452, (uint32_t)(pe - ps)); /* written_blocks */
		put_le32(h + 456, (uint32_t)(ps % 7));  /* current_cpu */
	}
	uint32_t status = codec_flag(sp->codec);
	if (sp->ninc)
		status |= DH_INCOMPLETE;
	put_le32(h + 424, status);
	put_le32(h + 428, (uint32_t)bs);
	put_le32(h + 432, (uint32_t)sub_blocks);
	put_le32(h + 436, (uint32_t)(2 * bm_len / bs));
	put_le32(h + 440, t->n > 0xffffffffull ? 0xffffffffu : (uint32_t)t->n);
	put_le32(h + 460, (uint32_t)(sp->cpus ? sp->cpus : 1));
	img_put(im, 0, h, sizeof h);
	img_extend(im, bs);

	/* ---- sub-header ---- */
	uint8_t kh[104];
	memset(kh, 0, sizeof kh);
	/* makedumpfile's phys_base: arm64's is PHYS_OFFSET (VMCOREINFO), ppc64 has none */
	put_le64(kh + 0, sp->arch == A_AARCH64 ? 0x40000000ull : sp->arch == A_PPC64LE ? 0 : PHYS_BASE);
	put_le32(kh + 8, (uint32_t)sp->dump_level);
	if (v >= 2) {
		put_le32(kh + 12, split ? 1 : 0);
		if (split) {
			put_le64(kh + 16, ps);
			put_le64(kh + 24, pe);
		}
	}
	if (v >= 3) {
		put_le64(kh + 32, vmci_off);
		put_le64(kh + 40, vmci_size);
	}
	if (v >= 4) {
		put_le64(kh + 48, note_off);
		put_le64(kh + 56, note_size);
	}
	/* v5: offset_eraseinfo/size_eraseinfo stay 0 (no eraseinfo) */
	if (v >= 6) {
		if (split) {
			put_le64(kh + 80, ps);
			put_le64(kh + 88, pe);
		}
		put_le64(kh + 96, t->n);
	}
	img_put(im, bs, kh, khsz);
	if (notes.len)
		img_put(im, bs + khsz, notes.p, notes.len);
	free(notes.p);
	img_extend(im, bm1_off);

	/* ---- bitmaps ---- */
	img_extend(im, desc_off);
	for (uint64_t p = 0; p < t->n; p++) {
		if (t->ram[p])
			im->p[bm1_off + p / 8] |= (uint8_t)(1u << (p % 8));
		if (t->ram[p] && !t->excl[p])
			im->p[bm2_off + p / 8] |= (uint8_t)(1u << (p % 8));
	}

	/* ---- descriptors and data ---- */
	uint64_t nd_part = 0;
	for (uint64_t p = ps; p < pe; p++)
		if (t->ram[p] && !t->excl[p])
			nd_part++;
	img_extend(im, desc_off + 24 * nd_part);

	uint8_t page[PAGE_MAX];
	size_t cap = PAGE * 2 + 1024;
	uint8_t *cbuf = xzalloc(cap);
	uint64_t cur = data_start;
	/* the shared zero page, first in the data area */
	memset(page, 0, PAGE);
	uint64_t zero_off = cur;
	img_put(im, cur, page, PAGE);
	cur += PAGE;

	/* share_dups: remember the stored form of every distinct page content */
	struct seen {
		uint64_t hash, off;
		uint32_t size, flags;
	} *seen = NULL;
	size_t nseen = 0, capseen = 0;

	uint64_t di = 0, nz = 0;
	for (uint64_t p = ps; p < pe; p++) {
		if (!t->ram[p] || t->excl[p])
			continue;
		uint64_t dpos = desc_off + 24 * di++;
		o->desc_pos[p] = dpos;
		uint8_t d[24];
		memset(d, 0, sizeof d);
		if (t->inc[p]) {
			img_put(im, dpos, d, 24); /* offset 0: never written */
			continue;
		}
		gen_page(sp, p, page);
		uint64_t off;
		uint32_t size, flags;
		if (is_zero_page(page)) {
			off = zero_off;
			size = PAGE;
			flags = 0;
		} else {
			uint64_t hh = XXH64(page, PAGE, 0);
			bool found = false;
			if (sp->share_dups) {
				for (size_t i = 0; i < nseen; i++)
					if (seen[i].hash == hh) {
						off = seen[i].off;
						size = seen[i].size;
						flags = seen[i].flags;
						found = true;
						break;
					}
			}
			if (!found) {
				enum codec c = sp->codec;
				if (c == C_MIXED) {
					static const enum codec rot[5] = { C_ZLIB, C_LZO, C_SNAPPY, C_ZSTD,
									   C_NONE };
					c = rot[nz % 5];
				}
				nz++;
				unsigned fl;
				size_t n = compress_page(c, page, cbuf, cap, &fl);
				off = cur;
				size = (uint32_t)n;
				flags = fl;
				img_put(im, cur, cbuf, n);
				cur += n;
				if (sp->share_dups) {
					if (nseen == capseen) {
						capseen = capseen ? capseen * 2 : 64;
						seen = xrealloc(seen, capseen * sizeof *seen);
					}
					seen[nseen++] = (struct seen){ hh, off, size, flags };
				}
			}
		}
		put_le64(d, off);
		put_le32(d + 8, size);
		put_le32(d + 12, flags);
		img_put(im, dpos, d, 24);
		o->data_off[p] = off;
		o->data_len[p] = size;
	}
	free(seen);
	free(cbuf);
}

/* ------------------------------------------------------------------ */
/* ELF                                                                 */
/* ------------------------------------------------------------------ */

struct seg {
	uint64_t pfn;    /* first pfn */
	uint64_t nfile;  /* pages with file data */
	uint64_t nmem;   /* pages in memory (>= nfile) */
	uint64_t off;    /* file offset of the data */
};

struct elf_out {
	struct image im;
	uint64_t *data_off; /* per pfn, 0 = not in file */
	uint64_t hdr_end;   /* end of headers and notes */
};

/* elf_overlap: PT_LOADs after the regular ones that overlap them, as some writers emit:
 * for every other segment with a zero-fill tail, one that holds the tail's real bytes and
 * repeats the last file page (same bytes); a repeat of the first segment (same start, same
 * bytes, later program header); and one page inside the first segment with different bytes
 * (the lower-starting segment's bytes are the truth). The tails so filled become stored. */
static size_t add_overlaps(const struct spec *sp, struct truth *t, struct seg **segs, size_t nseg,
			   uint64_t *conflict_pfn)
{
	size_t n = nseg;

	*segs = xrealloc(*segs, (2 * nseg + 2) * sizeof **segs);
	for (size_t i = 0; i < nseg; i += 2) {
		struct seg s = (*segs)[i];
		if (s.nmem == s.nfile || s.nfile == 0)
			continue;
		(*segs)[n++] = (struct seg){ s.pfn + s.nfile - 1, s.nmem - s.nfile + 1, s.nmem - s.nfile + 1, 0 };
		for (uint64_t p = s.pfn + s.nfile; p < s.pfn + s.nmem; p++) {
			t->excl[p] = 0;
			t->status[p] = ST_OK;
		}
	}
	(*segs)[n++] = (*segs)[0];
	*conflict_pfn = UINT64_MAX;
	if ((*segs)[0].nfile >= 2) {
		*conflict_pfn = (*segs)[0].pfn + 1;
		(*segs)[n++] = (struct seg){ *conflict_pfn, 1, 1, 0 };
	}
	(void)sp;
	return n;
}

static void build_elf(const struct spec *sp, struct truth *t, bool elf32, struct elf_out *o)
{
	memset(o, 0, sizeof *o);
	o->data_off = xzalloc(t->n * sizeof(uint64_t));
	struct image *im = &o->im;

	/* segments: one per RAM range, split after each excluded run; an excluded run becomes
	 * the zero-fill (p_memsz > p_filesz) tail of the segment it ends */
	struct seg *segs = NULL;
	size_t nseg = 0, capseg = 0;
	for (int i = 0; i < sp->nram; i++) {
		uint64_t cur = sp->ram[i].s, end = sp->ram[i].e;
		while (cur <= end) {
			uint64_t x = cur;
			while (x <= end && !t->excl[x])
				x++;
			uint64_t y = x;
			while (y <= end && t->excl[y])
				y++;
			if (nseg == capseg) {
				capseg = capseg ? capseg * 2 : 16;
				segs = xrealloc(segs, capseg * sizeof *segs);
			}
			segs[nseg++] = (struct seg){ cur, x - cur, y - cur, 0 };
			cur = y;
		}
	}
	uint64_t conflict_pfn = UINT64_MAX;
	size_t nreg = nseg;
	if (sp->elf_overlap)
		nseg = add_overlaps(sp, t, &segs, nseg, &conflict_pfn);

	size_t ehsz = elf32 ? 52 : 64, phsz = elf32 ? 32 : 56, shsz = elf32 ? 40 : 64;
	uint64_t phnum = 1 + nseg;
	bool xnum = sp->pn_xnum || phnum >= 0xffff;
	uint64_t phoff = ehsz;
	uint64_t shoff = xnum ? phoff + phsz * phnum : 0;
	uint64_t notes_off = roundup_u64(xnum ? shoff + shsz : phoff + phsz * phnum, 8);

	struct image notes = { 0 };
	uint64_t vmci_rel, vmci_size;
	build_notes(sp, elf32, &notes, &vmci_rel, &vmci_size);
	img_put(im, notes_off, notes.p ? notes.p : (const uint8_t *)"", notes.len);
	img_extend(im, notes_off + notes.len);
	o->hdr_end = notes_off + notes.len;
	uint64_t data = roundup_u64(o->hdr_end, PAGE);

	uint8_t page[PAGE_MAX];
	for (size_t i = 0; i < nseg; i++) {
		segs[i].off = data;
		for (uint64_t k = 0; k < segs[i].nfile; k++) {
			uint64_t p = segs[i].pfn + k;
			gen_page(sp, p, page);
			if (i >= nreg && p == conflict_pfn && segs[i].nfile == 1)
				for (unsigned b = 0; b < PAGE; b++)
					page[b] ^= 0xa5; /* a second segment's different bytes */
			img_put(im, data, page, PAGE);
			if (!o->data_off[p])
				o->data_off[p] = data;
			data += PAGE;
		}
	}
	img_extend(im, data);

	/* ELF header */
	uint8_t e[64];
	memset(e, 0, sizeof e);
	memcpy(e, "\177ELF", 4);
	e[4] = elf32 ? 1 : 2; /* EI_CLASS */
	e[5] = 1;             /* ELFDATA2LSB */
	e[6] = 1;             /* EV_CURRENT */
	put_le16(e + 16, 4);  /* ET_CORE */
	/* EM_386 / EM_X86_64 / EM_AARCH64 / EM_PPC64 */
	put_le16(e + 18, elf32 ? 3 : sp->arch == A_AARCH64 ? 183 : sp->arch == A_PPC64LE ? 21 : 62);
	put_le32(e + 20, 1);
	uint16_t ephnum = xnum ? 0xffff : (uint16_t)phnum;
	if (elf32) {
		put_le32(e + 28, (uint32_t)phoff);
		put_le32(e + 32, (uint32_t)shoff);
		put_le16(e + 40, (uint16_t)ehsz);
		put_le16(e + 42, (uint16_t)phsz);
		put_le16(e + 44, ephnum);
		put_le16(e + 46, xnum ? (uint16_t)shsz : 0);
		put_le16(e + 48, xnum ? 1 : 0);
	} else {
		put_le64(e + 32, phoff);
		put_le64(e + 40, shoff);
		put_le16(e + 52, (uint16_t)ehsz);
		put_le16(e + 54, (uint16_t)phsz);
		put_le16(e + 56, ephnum);
		put_le16(e + 58, xnum ? (uint16_t)shsz : 0);
		put_le16(e + 60, xnum ? 1 : 0);
	}
	img_put(im, 0, e, ehsz);

	/* section 0 carries the real e_phnum in sh_info for PN_XNUM */
	if (xnum) {
		uint8_t s[64];
		memset(s, 0, sizeof s);
		if (elf32)
			put_le32(s + 28, (uint32_t)phnum); /* sh_info */
		else
			put_le32(s + 44, (uint32_t)phnum); /* sh_info */
		img_put(im, shoff, s, shsz);
	}

	/* program headers: PT_NOTE first, then PT_LOADs in address order */
	for (uint64_t i = 0; i < phnum; i++) {
		uint8_t ph[56];
		memset(ph, 0, sizeof ph);
		uint32_t type, flags;
		uint64_t off, vaddr, paddr, filesz, memsz;
		if (i == 0) {
			type = 4; /* PT_NOTE */
			flags = 0;
			off = notes_off;
			vaddr = paddr = 0;
			filesz = memsz = notes.len;
		} else {
			const struct seg *s = &segs[i - 1];
			type = 1; /* PT_LOAD */
			flags = 7; /* RWX, as /proc/vmcore */
			off = s->off;
			paddr = s->pfn * PAGE;
			/* the linear map's address of paddr */
			vaddr = (elf32 ? 0xc0000000ull
				 : sp->arch == A_AARCH64 ? 0xffff000000000000ull - 0x40000000ull
				 : sp->arch == A_PPC64LE ? 0xc000000000000000ull : 0xffff888000000000ull) + paddr;
			filesz = s->nfile * PAGE;
			memsz = s->nmem * PAGE;
		}
		if (elf32) {
			put_le32(ph + 0, type);
			put_le32(ph + 4, (uint32_t)off);
			put_le32(ph + 8, (uint32_t)vaddr);
			put_le32(ph + 12, (uint32_t)paddr);
			put_le32(ph + 16, (uint32_t)filesz);
			put_le32(ph + 20, (uint32_t)memsz);
			put_le32(ph + 24, flags);
			put_le32(ph + 28, 0); /* p_align */
		} else {
			put_le32(ph + 0, type);
			put_le32(ph + 4, flags);
			put_le64(ph + 8, off);
			put_le64(ph + 16, vaddr);
			put_le64(ph + 24, paddr);
			put_le64(ph + 32, filesz);
			put_le64(ph + 40, memsz);
			put_le64(ph + 48, 0); /* p_align */
		}
		img_put(im, phoff + i * phsz, ph, phsz);
	}
	free(notes.p);
	free(segs);
}

/* ------------------------------------------------------------------ */
/* flattened format                                                    */
/* ------------------------------------------------------------------ */

static void write_file(const char *path, const uint8_t *p, uint64_t len);

struct rec {
	uint64_t off, len;
	const uint8_t *data; /* NULL = take from the image */
	uint8_t fill;        /* garbage byte when data == NULL && garbage */
	bool garbage;
};

struct recs {
	struct rec *r;
	size_t n, cap;
};

static void rec_add(struct recs *rs, uint64_t off, uint64_t len, bool garbage, uint8_t fill)
{
	if (!len)
		return;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->r = xrealloc(rs->r, rs->cap * sizeof *rs->r);
	}
	rs->r[rs->n++] = (struct rec){ off, len, NULL, fill, garbage };
}

static void rec_add_chunked(struct recs *rs, uint64_t off, uint64_t len, uint64_t chunk)
{
	while (len) {
		uint64_t n = len < chunk ? len : chunk;
		rec_add(rs, off, n, false, 0);
		off += n;
		len -= n;
	}
}

/*
 * Writes the image as a makedumpfile flattened stream.  regions[] lists the natural write
 * units of the producing writer in the order it would emit them (pairs of offset, length).
 *
 * With truncate in the spec the stream is cut: at the end of the last complete record that
 * ends at or before the requested size, plus 8 bytes of the next record header, so that no
 * record is partly present.  *cov then tells, per byte of the image, what a reader that
 * applies the complete records in stream order ends up with: 0 never written, 1 the right
 * bytes, 2 garbage.  Without truncate every byte is 1.
 */
static void write_flat(const char *path, const struct spec *sp, const struct image *im,
		       const uint64_t *regions, size_t nregions, uint8_t **cov_out)
{
	struct recs rs = { 0 };
	for (size_t i = 0; i < nregions; i++)
		rec_add_chunked(&rs, regions[2 * i], regions[2 * i + 1], 32768);

	if (sp->flat_shuffle) {
		/* shuffle the correct records deterministically */
		struct rng r = { mix64(sp->seed ^ 0xf1a7f1a7ull) };
		for (size_t i = rs.n; i > 1; i--) {
			size_t j = (size_t)(rng_next(&r) % i);
			struct rec tmp = rs.r[i - 1];
			rs.r[i - 1] = rs.r[j];
			rs.r[j] = tmp;
		}
		/* make sure the stream does not start at offset 0 */
		if (rs.r[0].off == 0 && rs.n > 1) {
			struct rec tmp = rs.r[0];
			rs.r[0] = rs.r[rs.n - 1];
			rs.r[rs.n - 1] = tmp;
		}
		/* garbage first (overwritten later: last write wins), at offsets that straddle the
		 * boundaries of the correct records.  Not in a truncated stream: there the fix-up
		 * might be cut off, and no reader could tell the garbage from data. */
		struct recs g = { 0 };
		uint64_t L = im->len;
		uint64_t g1 = PAGE - 100 < L ? PAGE - 100 : 0;
		bool garbage = !sp->has_truncate;
		if (garbage)
			rec_add(&g, g1, (g1 + 300 <= L) ? 300 : L - g1, true, 0xa5);
		uint64_t mid = (L / 2) & ~7ull;
		uint64_t glen = 40000 < L - mid ? 40000 : L - mid;
		if (garbage) {
			rec_add(&g, mid, glen, true, 0x5a);
			rec_add(&g, 8, 16, true, 0xff); /* inside the main header */
		}
		/* an overlapping correct record: the same bytes twice */
		rec_add(&g, mid > 1000 ? mid - 1000 : 0, 3000 < L ? 3000 : L, false, 0);
		struct recs all = { 0 };
		all.cap = g.n + rs.n;
		all.r = xzalloc(all.cap * sizeof *all.r);
		memcpy(all.r, g.r, g.n * sizeof *g.r);
		memcpy(all.r + g.n, rs.r, rs.n * sizeof *rs.r);
		all.n = g.n + rs.n;
		free(g.r);
		free(rs.r);
		rs = all;
	}

	struct image st = { 0 };
	uint8_t hdr[FLAT_HDR];
	memset(hdr, 0, sizeof hdr);
	memcpy(hdr, "makedumpfile", 12);
	put_be64(hdr + 16, 1);
	put_be64(hdr + 24, 1);
	img_put(&st, 0, hdr, sizeof hdr);
	uint8_t *garb = NULL;
	size_t garbcap = 0;
	uint64_t *rec_end = xzalloc((rs.n + 1) * sizeof(uint64_t)); /* stream offset after rec i */
	for (size_t i = 0; i < rs.n; i++) {
		const struct rec *r = &rs.r[i];
		uint8_t dh[16];
		put_be64(dh, r->off);
		put_be64(dh + 8, r->len);
		img_put(&st, st.len, dh, 16);
		if (r->garbage) {
			if (garbcap < r->len) {
				garbcap = r->len;
				garb = xrealloc(garb, garbcap);
			}
			memset(garb, r->fill, r->len);
			img_put(&st, st.len, garb, r->len);
		} else {
			img_put(&st, st.len, im->p + r->off, r->len);
		}
		rec_end[i] = st.len;
	}
	uint8_t end[16];
	memset(end, 0xff, sizeof end);
	img_put(&st, st.len, end, 16);

	uint8_t *cov = xzalloc(im->len);
	size_t nrec = rs.n;
	uint64_t len = st.len;
	if (sp->has_truncate) {
		uint64_t want = sp->truncate < 0 ? (uint64_t)(-sp->truncate) <= st.len ?
				st.len - (uint64_t)(-sp->truncate) : 0 : (uint64_t)sp->truncate;
		if (want >= st.len)
			die("%s: truncate does not cut the %" PRIu64 "-byte flattened stream", g_specpath,
			    (uint64_t)st.len);
		nrec = 0;
		while (nrec < rs.n && rec_end[nrec] <= want)
			nrec++;
		len = (nrec ? rec_end[nrec - 1] : PAGE) + 8;
	}
	for (size_t i = 0; i < nrec; i++)
		memset(cov + rs.r[i].off, rs.r[i].garbage ? 2 : 1, rs.r[i].len);
	write_file(path, st.p, len);
	*cov_out = cov;
	free(rec_end);
	free(st.p);
	free(garb);
	free(rs.r);
}

static bool cov_ok(const uint8_t *cov, uint64_t off, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (cov[off + i] != 1)
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* output                                                              */
/* ------------------------------------------------------------------ */

static void write_file(const char *path, const uint8_t *p, uint64_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		die("%s: %s", path, strerror(errno));
	if (len && fwrite(p, 1, len, f) != len)
		die("%s: write error", path);
	if (fclose(f))
		die("%s: %s", path, strerror(errno));
}

static uint64_t apply_truncate(const struct spec *sp, uint64_t len, uint64_t min_len,
			       const char *what)
{
	uint64_t cut;
	if (sp->truncate < 0) {
		uint64_t d = (uint64_t)(-sp->truncate);
		if (d > len)
			die("%s: truncate removes more than the whole %s file", g_specpath, what);
		cut = len - d;
	} else {
		cut = (uint64_t)sp->truncate;
	}
	if (cut >= len)
		die("%s: truncate = %" PRIu64 " does not cut the %" PRIu64 "-byte %s file", g_specpath,
		    cut, len, what);
	if (cut < min_len)
		die("%s: truncate = %" PRIu64 " cuts into the %s metadata (must be >= %" PRIu64 ")",
		    g_specpath, cut, what, min_len);
	return cut;
}

static void write_manifest(const char *path, const struct spec *sp, const struct truth *t)
{
	FILE *f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	uint8_t page[PAGE_MAX];
	for (uint64_t p = 0; p < t->n; p++) {
		switch (t->status[p]) {
		case ST_OK:
			gen_page(sp, p, page);
			fprintf(f, "0x%" PRIx64 " %016llx\n", p, (unsigned long long)XXH64(page, PAGE, 0));
			break;
		case ST_EXCL:
			fprintf(f, "0x%" PRIx64 " excluded\n", p);
			break;
		case ST_MISSING:
			fprintf(f, "0x%" PRIx64 " missing\n", p);
			break;
		default:
			break;
		}
	}
	if (fclose(f))
		die("%s: %s", path, strerror(errno));
}

static char *strcat2(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = xzalloc(la + lb + 1);
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	return s;
}

static void generate(const struct spec *sp, const char *prefix)
{
	struct truth t;
	build_truth(sp, &t);
	FILE *inputs = NULL;
	char *inpath = strcat2(prefix, ".inputs");
	inputs = fopen(inpath, "w");
	if (!inputs)
		die("%s: %s", inpath, strerror(errno));

	switch (sp->format) {
	case F_KDUMP:
	case F_FLAT_KDUMP: {
		struct kd_out o;
		build_kdump(sp, &t, false, 0, t.n, &o);
		if (sp->format == F_FLAT_KDUMP) {
			/* natural order: header, sub-header+notes, bitmaps, then descriptors and
			 * data alternating per chunk, and the header rewritten at the end */
			uint64_t *reg = xzalloc(sizeof(uint64_t) * 2 * (16 + 2 * (o.im.len / 1536 + 2)));
			size_t nr = 0;
#define REG(a, b) do { reg[2 * nr] = (a); reg[2 * nr + 1] = (b); nr++; } while (0)
			REG(0, PAGE);
			REG(PAGE, o.sub_blocks * PAGE);
			REG(o.bm1_off, o.bm_len);
			REG(o.bm1_off + o.bm_len, o.bm_len);
			uint64_t dpos = o.meta_end, dend = o.data_start, ppos = o.data_start;
			while (dpos < dend || ppos < o.im.len) {
				uint64_t a = dend - dpos < 24 * 64 ? dend - dpos : 24 * 64;
				if (a) { REG(dpos, a); dpos += a; }
				uint64_t b = o.im.len - ppos < 8192 ? o.im.len - ppos : 8192;
				if (b) { REG(ppos, b); ppos += b; }
			}
			REG(0, 464);
#undef REG
			uint8_t *cov;
			write_flat(prefix, sp, &o.im, reg, nr, &cov);
			if (!cov_ok(cov, 0, o.meta_end))
				die("%s: truncate cuts into the kdump metadata (header, notes, bitmaps)",
				    g_specpath);
			for (uint64_t p = 0; p < t.n; p++)
				if (t.status[p] == ST_OK &&
				    (!cov_ok(cov, o.desc_pos[p], 24) ||
				     !cov_ok(cov, o.data_off[p], o.data_len[p])))
					t.status[p] = ST_MISSING;
			free(cov);
			free(reg);
		} else {
			uint64_t len = o.im.len;
			if (sp->has_truncate) {
				len = apply_truncate(sp, len, o.meta_end, "kdump");
				for (uint64_t p = 0; p < t.n; p++)
					if (t.status[p] == ST_OK &&
					    (o.desc_pos[p] + 24 > len ||
					     o.data_off[p] + o.data_len[p] > len))
						t.status[p] = ST_MISSING;
			}
			write_file(prefix, o.im.p, len);
		}
		fprintf(inputs, "%s\n", prefix);
		break;
	}
	case F_SPLIT_KDUMP: {
		/* balance the parts by dumpable-page count, like makedumpfile's splitblocks */
		uint64_t nd = 0;
		for (uint64_t p = 0; p < t.n; p++)
			if (t.ram[p] && !t.excl[p])
				nd++;
		uint64_t *bound = xzalloc(sizeof(uint64_t) * (size_t)(sp->parts + 1));
		bound[0] = 0;
		bound[sp->parts] = t.n;
		uint64_t k = 0;
		int part = 1;
		for (uint64_t p = 0; p < t.n && part < sp->parts; p++) {
			if (!(t.ram[p] && !t.excl[p]))
				continue;
			if (k == nd * (uint64_t)part / (uint64_t)sp->parts)
				bound[part++] = p;
			k++;
		}
		while (part < sp->parts)
			bound[part++] = t.n;
		for (int i = 0; i < sp->parts; i++)
			if (bound[i + 1] < bound[i])
				bound[i + 1] = bound[i];
		int tp = sp->truncate_part ? sp->truncate_part : sp->parts;
		if (tp < 1 || tp > sp->parts)
			die("%s: truncate_part out of range", g_specpath);
		for (int i = 0; i < sp->parts; i++) {
			struct kd_out o;
			build_kdump(sp, &t, true, bound[i], bound[i + 1], &o);
			uint64_t len = o.im.len;
			if (sp->has_truncate && i + 1 == tp) {
				len = apply_truncate(sp, len, o.meta_end, "kdump part");
				for (uint64_t p = bound[i]; p < bound[i + 1]; p++)
					if (t.status[p] == ST_OK &&
					    (o.desc_pos[p] + 24 > len ||
					     o.data_off[p] + o.data_len[p] > len))
						t.status[p] = ST_MISSING;
			}
			char num[32];
			snprintf(num, sizeof num, ".%d", i + 1);
			char *path = strcat2(prefix, num);
			write_file(path, o.im.p, len);
			fprintf(inputs, "%s\n", path);
			free(path);
			free(o.im.p);
			free(o.desc_pos);
			free(o.data_off);
			free(o.data_len);
		}
		free(bound);
		break;
	}
	case F_ELF64:
	case F_ELF32:
	case F_FLAT_ELF: {
		struct elf_out o;
		build_elf(sp, &t, sp->format == F_ELF32, &o);
		if (sp->format == F_FLAT_ELF) {
			uint64_t data = roundup_u64(o.hdr_end, PAGE);
			uint64_t reg[6] = { 0, data, data, o.im.len - data, 0, 64 };
			uint8_t *cov;
			write_flat(prefix, sp, &o.im, reg, 3, &cov);
			if (!cov_ok(cov, 0, o.hdr_end))
				die("%s: truncate cuts into the ELF headers or notes", g_specpath);
			for (uint64_t p = 0; p < t.n; p++)
				if (t.status[p] == ST_OK && !cov_ok(cov, o.data_off[p], PAGE))
					t.status[p] = ST_MISSING;
			free(cov);
		} else {
			uint64_t len = o.im.len;
			if (sp->has_truncate) {
				len = apply_truncate(sp, len, roundup_u64(o.hdr_end, PAGE), "ELF");
				for (uint64_t p = 0; p < t.n; p++)
					if (t.status[p] == ST_OK && o.data_off[p] + PAGE > len)
						t.status[p] = ST_MISSING;
			}
			write_file(prefix, o.im.p, len);
		}
		fprintf(inputs, "%s\n", prefix);
		break;
	}
	}
	if (fclose(inputs))
		die("%s: write error", inpath);
	free(inpath);

	char *mpath = strcat2(prefix, ".manifest");
	write_manifest(mpath, sp, &t);
	free(mpath);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: %s SPEC OUTPREFIX\n"
		"       %s --dump-pages SPEC          (every RAM page's true content, manifest order)\n"
		"       %s --dump-page SPEC PFN\n"
		"       %s --check-spec SPEC\n",
		g_prog, g_prog, g_prog, g_prog);
	exit(2);
}

int main(int argc, char **argv)
{
	struct spec sp;
	if (lzo_init() != LZO_E_OK)
		die("lzo_init failed");
	if (argc == 3 && !strcmp(argv[1], "--dump-pages")) {
		parse_spec(argv[2], &sp);
		struct truth t;
		build_truth(&sp, &t);
		uint8_t page[PAGE_MAX];
		for (uint64_t p = 0; p < t.n; p++) {
			if (!t.ram[p])
				continue;
			gen_page(&sp, p, page);
			if (fwrite(page, 1, PAGE, stdout) != PAGE)
				die("write error");
		}
		return fflush(stdout) ? 1 : 0;
	}
	if (argc == 4 && !strcmp(argv[1], "--dump-page")) {
		parse_spec(argv[2], &sp);
		char *end;
		uint64_t pfn = strtoull(argv[3], &end, 0);
		if (*end)
			usage();
		uint8_t page[PAGE_MAX];
		gen_page(&sp, pfn, page);
		if (fwrite(page, 1, PAGE, stdout) != PAGE)
			die("write error");
		return fflush(stdout) ? 1 : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--check-spec")) {
		parse_spec(argv[2], &sp);
		return 0;
	}
	if (argc != 3 || argv[1][0] == '-')
		usage();
	parse_spec(argv[1], &sp);
	generate(&sp, argv[2]);
	if (zcctx)
		ZSTD_freeCCtx(zcctx);
	return 0;
}
