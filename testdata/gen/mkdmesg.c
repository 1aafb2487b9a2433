/*
 * mkdmesg: synthetic ELF vmcores holding a kernel log in each of the kernel's three formats,
 * with the exact text `vmcarve dmesg` (= makedumpfile --dump-dmesg) must print for them.
 * Shares no code with vmcarve. The log structures sit in the kernel image's linear map
 * (__START_KERNEL_map + phys_base, phys_base 0), so no page tables are needed.
 *
 * Usage: mkdmesg MODE OUT.vmcore OUT.expected
 *   prb          lockless ring (6.1 layout): descriptor ring and text ring both wrapped; a
 *                record being written, a torn one (stale data block), a truncated one,
 *                a multi-line one, escapes (ESC, 0x80, tab)
 *   prb-foreign  the same ring with the state bits moved (another encoding): must fail
 *   logbuf       structured log_buf (3.5-5.9): wrapped (zero-length end marker), a record
 *                with a dictionary (not printed), a multi-line record
 *   logbuf-cycle a record whose length leads back into the log: prints up to it, warns
 *   plain        plain log_buf (before 3.5), wrapped, with a BEL byte
 */
#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KMAP 0xffffffff80000000ull
#define MEMSZ 0x4000u /* small: the files double as fuzz seeds */

static uint8_t mem[MEMSZ];
static char vmci[8192];
static size_t vmci_len;
static FILE *expect;

/* one VMCOREINFO line */
#define vi(fmt, v) (vmci_len += (size_t)snprintf(vmci + vmci_len, sizeof(vmci) - vmci_len, fmt "\n", \
						 (unsigned long long)(v)))

static void put64(uint32_t pa, uint64_t v) { memcpy(mem + pa, &v, 8); }
static void put32(uint32_t pa, uint32_t v) { memcpy(mem + pa, &v, 4); }
static void put16(uint32_t pa, uint16_t v) { memcpy(mem + pa, &v, 2); }

static void common_keys(void)
{
	vi("OSRELEASE=6.1.0-synthetic%.0llu", 0);
	vi("PAGESIZE=%llu", 4096);
	vi("NUMBER(phys_base)=%llu", 0);
	vi("SYMBOL(init_top_pgt)=%llx", KMAP + 0x1000);
}

/* ---- lockless ring ---------------------------------------------------------------------- */

enum { P_SYM = 0x2000, P_PRB = 0x2100, P_DESCS = 0x2200, P_INFOS = 0x2400, P_DATA = 0x2800 };
enum { CBITS = 3, SBITS = 9, DSZ = 24, ISZ = 88 };
#define RSIZE (1u << SBITS)

static uint64_t lpos = 3 * RSIZE + 400; /* logical position: the text ring has wrapped 3 times */
static int state_shift = 62;

static void prb_layout_keys(void)
{
	vi("SYMBOL(prb)=%llx", KMAP + P_SYM);
	vi("SIZE(printk_ringbuffer)=%llu", 88);
	vi("OFFSET(printk_ringbuffer.desc_ring)=%llu", 0);
	vi("OFFSET(printk_ringbuffer.text_data_ring)=%llu", 48);
	vi("SIZE(prb_desc_ring)=%llu", 48);
	vi("OFFSET(prb_desc_ring.count_bits)=%llu", 0);
	vi("OFFSET(prb_desc_ring.descs)=%llu", 8);
	vi("OFFSET(prb_desc_ring.infos)=%llu", 16);
	vi("OFFSET(prb_desc_ring.head_id)=%llu", 24);
	vi("OFFSET(prb_desc_ring.tail_id)=%llu", 32);
	vi("SIZE(prb_desc)=%llu", DSZ);
	vi("OFFSET(prb_desc.state_var)=%llu", 0);
	vi("OFFSET(prb_desc.text_blk_lpos)=%llu", 8);
	vi("OFFSET(prb_data_blk_lpos.begin)=%llu", 0);
	vi("OFFSET(prb_data_blk_lpos.next)=%llu", 8);
	vi("SIZE(printk_info)=%llu", ISZ);
	vi("OFFSET(printk_info.seq)=%llu", 0);
	vi("OFFSET(printk_info.ts_nsec)=%llu", 8);
	vi("OFFSET(printk_info.text_len)=%llu", 16);
	vi("OFFSET(printk_info.caller_id)=%llu", 20);
	vi("SIZE(prb_data_ring)=%llu", 32);
	vi("OFFSET(prb_data_ring.size_bits)=%llu", 0);
	vi("OFFSET(prb_data_ring.data)=%llu", 8);
	vi("OFFSET(atomic_long_t.counter)=%llu", 0);
}

/* One record written as the kernel's data_alloc() does: an 8-aligned block starting with the
 * id; a block that would cross the ring's end is placed at its start (id written at both). */
static void prb_record(uint64_t id, unsigned state, uint64_t ts, const char *text, size_t len, uint16_t text_len)
{
	uint64_t size = (8 + len + 7) & ~7ull, begin = lpos, next, at;
	uint32_t desc = P_DESCS + (uint32_t)(id & ((1u << CBITS) - 1)) * DSZ;
	uint32_t info = P_INFOS + (uint32_t)(id & ((1u << CBITS) - 1)) * ISZ;

	if ((begin % RSIZE) + size > RSIZE) {
		put64(P_DATA + (uint32_t)(begin % RSIZE), id);
		next = (begin / RSIZE + 1) * RSIZE + size;
		at = 0;
	} else {
		next = begin + size;
		at = begin % RSIZE;
	}
	memset(mem + P_DATA + at, 0, size); /* (the kernel leaves the padding as it was) */
	put64(P_DATA + (uint32_t)at, id);
	memcpy(mem + P_DATA + at + 8, text, len);
	lpos = next;
	put64(desc, ((uint64_t)state << state_shift) | id);
	put64(desc + 8, begin);
	put64(desc + 16, next);
	put64(info, id);
	put64(info + 8, ts);
	put16(info + 16, text_len);
	put32(info + 20, 0x80000000u); /* caller: CPU 0 */
}

static void prb_rec(uint64_t id, unsigned state, uint64_t ts, const char *text, const char *expected)
{
	prb_record(id, state, ts, text, strlen(text), (uint16_t)strlen(text));
	if (expected)
		fputs(expected, expect);
}

static void gen_prb(void)
{
	char esc[] = "esc \x1b[31m red \x80 tab\tend";

	prb_layout_keys();
	put64(P_SYM, KMAP + P_PRB);
	put32(P_PRB + 0, CBITS);
	put64(P_PRB + 8, KMAP + P_DESCS);
	put64(P_PRB + 16, KMAP + P_INFOS);
	put64(P_PRB + 24, 21); /* head_id */
	put64(P_PRB + 32, 14); /* tail_id */
	put32(P_PRB + 48, SBITS);
	put64(P_PRB + 56, KMAP + P_DATA);
	/* ids 6..13 first fill the slots, then 14..21 overwrite them (the descriptor ring wraps) */
	for (uint64_t id = 6; id < 14; id++)
		prb_rec(id, 3, id, "old record, overwritten", NULL);
	prb_rec(14, 2, 14000006007ull, "tail record", "[   14.000006] tail record\n");
	prb_rec(15, 2, 15000015999ull, "multi\nline\nrecord",
		"[   15.000015] multi\n               line\n               record\n");
	prb_record(16, 2, 16000000000ull, esc, sizeof(esc) - 1, sizeof(esc) - 1);
	fputs("[   16.000000] esc \\x1b[31m red \\x80 tab\tend\n", expect);
	/* 17: the text ring's end is reached: this block wraps to the ring's start */
	lpos = (lpos / RSIZE) * RSIZE + RSIZE - 16;
	prb_rec(17, 2, 17123456000ull, "this record's block wraps around the ring's end",
		"[   17.123456] this record's block wraps around the ring's end\n");
	prb_rec(18, 0, 18000000000ull, "being written", NULL); /* reserved: torn, skipped */
	prb_rec(19, 2, 19000000000ull, "stale data block", NULL);
	put64(P_DATA + (uint32_t)((lpos - 24) % RSIZE), 3); /* ...whose block id is not 19: skipped */
	{ /* 20: text_len says more than the block holds: what is there is printed */
		prb_record(20, 1, 20000000000ull, "truncated!", 10, 60);
		fputs("[   20.000000] truncated!\\x00\\x00\\x00\\x00\\x00\\x00\n", expect);
	}
	prb_rec(21, 1, 123456789123456789ull, "head record (committed)", "[123456789.123456] head record (committed)\n");
}

/* ---- structured log_buf ----------------------------------------------------------------- */

enum { L_SYMBUF = 0x2000, L_SYMLEN = 0x2008, L_FIRST = 0x2010, L_NEXT = 0x2018, L_BUF = 0x3000, L_LEN = 256 };
enum { HDR = 16 };

static void logbuf_keys(void)
{
	vi("SYMBOL(log_buf)=%llx", KMAP + L_SYMBUF);
	vi("SYMBOL(log_buf_len)=%llx", KMAP + L_SYMLEN);
	vi("SYMBOL(log_first_idx)=%llx", KMAP + L_FIRST);
	vi("SYMBOL(log_next_idx)=%llx", KMAP + L_NEXT);
	vi("SIZE(printk_log)=%llu", HDR);
	vi("OFFSET(printk_log.ts_nsec)=%llu", 0);
	vi("OFFSET(printk_log.len)=%llu", 8);
	vi("OFFSET(printk_log.text_len)=%llu", 10);
	vi("OFFSET(printk_log.dict_len)=%llu", 12);
}

/* a record at idx: header, text, dictionary, padded to 8; returns the next index */
static uint32_t logrec(uint32_t idx, uint64_t ts, const char *text, const char *dict)
{
	uint32_t tl = (uint32_t)strlen(text), dl = dict ? (uint32_t)strlen(dict) : 0;
	uint32_t len = (HDR + tl + dl + 7) & ~7u;

	put64(L_BUF + idx, ts);
	put16(L_BUF + idx + 8, (uint16_t)len);
	put16(L_BUF + idx + 10, (uint16_t)tl);
	put16(L_BUF + idx + 12, (uint16_t)dl);
	memcpy(mem + L_BUF + idx + HDR, text, tl);
	if (dl)
		memcpy(mem + L_BUF + idx + HDR + tl, dict, dl);
	return idx + len;
}

static void gen_logbuf(bool cycle)
{
	uint32_t first = 152, idx;

	logbuf_keys();
	put64(L_SYMBUF, KMAP + L_BUF);
	put32(L_SYMLEN, L_LEN);
	memset(mem + L_BUF, 0x55, L_LEN); /* old bytes everywhere */
	/* the oldest records start at 152 and run to the end marker at 224 */
	idx = logrec(first, 100000000000ull, "oldest", NULL);
	fputs("[  100.000000] oldest\n", expect);
	idx = logrec(idx, 100500000000ull, "with dict", "SUBSYSTEM=pci");
	fputs("[  100.500000] with dict\n", expect);
	put16(L_BUF + idx + 8, 0); /* end-of-buffer marker: continue at 0 */
	idx = logrec(0, 101000001000ull, "wrapped\nto the start", NULL);
	fputs("[  101.000001] wrapped\n               to the start\n", expect);
	if (cycle) {
		uint32_t at = idx;
		logrec(at, 102000000000ull, "loops back", NULL);
		fputs("[  102.000000] loops back\n", expect);
		put16(L_BUF + at + 8, (uint16_t)(first - at)); /* its length leads back to the oldest */
		put32(L_FIRST, first);
		put32(L_NEXT, 200); /* never reached */
		return;
	}
	idx = logrec(idx, 102000000000ull, "newest", NULL);
	fputs("[  102.000000] newest\n", expect);
	put32(L_FIRST, first);
	put32(L_NEXT, idx);
}

/* ---- plain log_buf ---------------------------------------------------------------------- */

static void gen_plain(void)
{
	const char *s = "<6>Linux version 2.6.32-synthetic\n<4>first line lost\n<6>bell \a here\n<6>the last line\n";
	size_t n = strlen(s), len = 64;
	char want[65];

	vi("SYMBOL(log_buf)=%llx", KMAP + L_SYMBUF);
	vi("SYMBOL(log_buf_len)=%llx", KMAP + L_SYMLEN);
	vi("SYMBOL(log_end)=%llx", KMAP + L_FIRST);
	put64(L_SYMBUF, KMAP + L_BUF);
	put32(L_SYMLEN, (uint32_t)len);
	put64(L_FIRST, n); /* log_end: bytes ever written */
	for (size_t i = 0; i < n; i++)
		mem[L_BUF + i % len] = (uint8_t)s[i];
	memcpy(want, s + n - len, len);
	want[len] = 0;
	/* the last 64 bytes, oldest first, BEL escaped */
	fputs("32-synthetic\n<4>first line lost\n<6>bell \\x07 here\n<6>the last line\n", expect);
	if (strcmp(want, "32-synthetic\n<4>first line lost\n<6>bell \a here\n<6>the last line\n")) {
		fprintf(stderr, "mkdmesg: plain fixture expectation out of date\n");
		exit(1);
	}
}

static void write_elf(const char *path)
{
	FILE *f = fopen(path, "wb");
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[3] = { 0 };
	Elf64_Nhdr nh = { .n_namesz = 11, .n_descsz = (Elf64_Word)vmci_len, .n_type = 0 };
	size_t notesz = sizeof(nh) + 12 + ((vmci_len + 3) & ~3u);
	uint64_t memoff = (sizeof(eh) + sizeof(ph) + notesz + 4095) & ~4095ull;
	static const uint8_t zero[4096];

	if (!f) {
		perror(path);
		exit(1);
	}
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = sizeof(eh) + sizeof(ph), .p_filesz = notesz };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X, .p_offset = memoff, .p_vaddr = KMAP,
			      .p_paddr = 0, .p_filesz = MEMSZ, .p_memsz = MEMSZ, .p_align = 4096 };
	ph[2] = ph[1]; /* the same bytes as RAM, through the direct map */
	ph[2].p_vaddr = 0xffff888000000000ull;
	fwrite(&eh, sizeof(eh), 1, f);
	fwrite(ph, sizeof(ph), 1, f);
	fwrite(&nh, sizeof(nh), 1, f);
	fwrite("VMCOREINFO\0\0", 12, 1, f);
	fwrite(vmci, 1, vmci_len, f);
	fwrite(zero, 1, ((vmci_len + 3) & ~3u) - vmci_len, f);
	fwrite(zero, 1, memoff - (sizeof(eh) + sizeof(ph) + notesz), f);
	fwrite(mem, 1, MEMSZ, f);
	if (fclose(f)) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: mkdmesg prb|prb-foreign|logbuf|logbuf-cycle|plain OUT.vmcore OUT.expected\n");
		return 2;
	}
	if (!(expect = fopen(argv[3], "w"))) {
		perror(argv[3]);
		return 1;
	}
	common_keys();
	if (!strcmp(argv[1], "prb"))
		gen_prb();
	else if (!strcmp(argv[1], "prb-foreign")) {
		state_shift = 60; /* another encoding: no descriptor carries its id in the low 62 bits */
		gen_prb();
	} else if (!strcmp(argv[1], "logbuf"))
		gen_logbuf(false);
	else if (!strcmp(argv[1], "logbuf-cycle"))
		gen_logbuf(true);
	else if (!strcmp(argv[1], "plain"))
		gen_plain();
	else {
		fprintf(stderr, "mkdmesg: unknown mode %s\n", argv[1]);
		return 2;
	}
	fclose(expect);
	write_elf(argv[2]);
	return 0;
}
