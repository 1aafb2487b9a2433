/* testdump.c: in-memory ELF vmcore builder for tests (see testdump.h). */
#include "testdump.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t x)
{
	return td_rand(&x);
}

static uint8_t td_byte(uint32_t seed, uint64_t a)
{
	uint64_t f = a >> 12, o = a & 4095;
	unsigned kind = (unsigned)(mix(((uint64_t)seed << 40) ^ f) % 6);

	switch (kind) {
	case 0: return 0;
	case 1: return (uint8_t)(o * 7 + 3);
	case 2: return (uint8_t)(mix(((uint64_t)seed << 48) ^ (a >> 3) ^ 0x5555) >> (8 * (a & 7)));
	case 3: return (uint8_t)(f * 31 + o / 16);
	case 4: return o % 512 == 0 ? (uint8_t)(f | 1) : 0;
	default: return (uint8_t)(0x5a ^ (o >> 4));
	}
}

void td_fill(uint32_t seed, uint64_t paddr, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = td_byte(seed, paddr + i);
}

void td_fill_spec(const struct td_spec *s, uint64_t paddr, uint8_t *buf, size_t len)
{
	td_fill(s->seed, paddr, buf, len);
	for (unsigned i = 0; i < s->npatches; i++) {
		const struct td_patch *p = &s->patches[i];
		uint64_t a = p->paddr > paddr ? p->paddr : paddr;
		uint64_t b = p->paddr + p->len < paddr + len ? p->paddr + p->len : paddr + len;
		if (a < b)
			memcpy(buf + (a - paddr), (const uint8_t *)p->data + (a - p->paddr), b - a);
	}
}

bool td_expected_page(const struct td_spec *s, uint64_t pfn, uint32_t ps, uint8_t *buf)
{
	uint64_t start = pfn * ps, end = start + ps;
	bool any = false;

	memset(buf, 0, ps);
	for (unsigned i = 0; i < s->nsegs; i++) {
		uint64_t a = s->segs[i].paddr, b = a + s->segs[i].filesz;
		if (a < start)
			a = start;
		if (b > end)
			b = end;
		if (a < b) {
			td_fill_spec(s, a, buf + (a - start), b - a);
			any = true;
		}
	}
	return any;
}

void td_add_note(uint8_t **blob, size_t *len, const char *name, uint32_t type, const void *desc, size_t desclen)
{
	size_t namesz = strlen(name) + 1, np = (namesz + 3) & ~(size_t)3, dp = (desclen + 3) & ~(size_t)3;
	uint8_t *b = realloc(*blob, *len + 12 + np + dp), *p;
	uint32_t h[3] = { (uint32_t)namesz, (uint32_t)desclen, type };

	if (!b)
		abort();
	p = b + *len;
	memset(p, 0, 12 + np + dp);
	memcpy(p, h, 12);
	memcpy(p + 12, name, namesz);
	if (desclen)
		memcpy(p + 12 + np, desc, desclen);
	*blob = b;
	*len += 12 + np + dp;
}

#define KTEXT_VADDR 0xffffffff81000000ull

struct tph {
	uint32_t type;
	uint64_t off, vaddr, paddr, filesz, memsz;
};

uint8_t *td_build_elf(const struct td_spec *s, size_t *outlen)
{
	bool is64 = s->elfclass != 32;
	size_t ehsz = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr), phsz = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t shsz = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	uint8_t *notes = NULL, *out;
	size_t notes_len = 0, nph, off, total;
	uint64_t *segoff = calloc(s->nsegs + 1, sizeof(*segoff));
	uint8_t prstatus[336] = { 0 };

	for (unsigned i = 0; i < s->nprstatus; i++) {
		prstatus[32] = (uint8_t)(i + 1); /* pr_pid */
		td_add_note(&notes, &notes_len, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
	}
	if (s->vmcoreinfo)
		td_add_note(&notes, &notes_len, "VMCOREINFO", 0, s->vmcoreinfo, strlen(s->vmcoreinfo));
	nph = (notes_len ? 1 : 0) + s->nsegs + (s->ktext && s->nsegs ? 1 : 0);
	off = ehsz + nph * phsz + (s->pnxnum ? shsz : 0);
	size_t notes_off = off;
	off += notes_len;
	for (unsigned i = 0; i < s->nsegs; i++) {
		off = (off + 7) & ~(size_t)7;
		segoff[i] = off;
		off += s->segs[i].filesz;
	}
	total = off;
	out = calloc(1, total ? total : 1);
	if (!out || !segoff)
		abort();
	{
		uint16_t phnum = s->pnxnum ? PN_XNUM : (uint16_t)nph;
		uint16_t machine = s->machine ? s->machine : EM_X86_64;
		uint64_t shoff = s->pnxnum ? ehsz + nph * phsz : 0;
		if (is64) {
			Elf64_Ehdr h = { .e_type = ET_CORE, .e_machine = machine, .e_version = EV_CURRENT,
					 .e_phoff = ehsz, .e_shoff = shoff, .e_flags = s->e_flags, .e_ehsize = (uint16_t)ehsz,
					 .e_phentsize = (uint16_t)phsz, .e_phnum = phnum, .e_shentsize = s->pnxnum ? (uint16_t)shsz : 0,
					 .e_shnum = s->pnxnum ? 1 : 0 };
			memcpy(h.e_ident, ELFMAG, SELFMAG);
			h.e_ident[EI_CLASS] = ELFCLASS64;
			h.e_ident[EI_DATA] = ELFDATA2LSB;
			h.e_ident[EI_VERSION] = EV_CURRENT;
			memcpy(out, &h, sizeof(h));
			if (s->pnxnum) {
				Elf64_Shdr sh = { .sh_info = (uint32_t)nph };
				memcpy(out + shoff, &sh, sizeof(sh));
			}
		} else {
			Elf32_Ehdr h = { .e_type = ET_CORE, .e_machine = s->machine ? s->machine : EM_386, .e_version = EV_CURRENT,
					 .e_phoff = (uint32_t)ehsz, .e_shoff = (uint32_t)shoff, .e_flags = s->e_flags,
					 .e_ehsize = (uint16_t)ehsz, .e_phentsize = (uint16_t)phsz, .e_phnum = phnum,
					 .e_shentsize = s->pnxnum ? (uint16_t)shsz : 0, .e_shnum = s->pnxnum ? 1 : 0 };
			(void)machine;
			memcpy(h.e_ident, ELFMAG, SELFMAG);
			h.e_ident[EI_CLASS] = ELFCLASS32;
			h.e_ident[EI_DATA] = ELFDATA2LSB;
			h.e_ident[EI_VERSION] = EV_CURRENT;
			memcpy(out, &h, sizeof(h));
			if (s->pnxnum) {
				Elf32_Shdr sh = { .sh_info = (uint32_t)nph };
				memcpy(out + shoff, &sh, sizeof(sh));
			}
		}
	}
	{
		uint8_t *p = out + ehsz;
		size_t k = 0;
		struct tph *ph = calloc(nph ? nph : 1, sizeof(*ph));
		if (!ph)
			abort();
		if (notes_len)
			ph[k++] = (struct tph){ PT_NOTE, notes_off, 0, 0, notes_len, notes_len };
		if (s->ktext && s->nsegs) {
			uint64_t ksz = s->segs[0].filesz < 0x2000 ? s->segs[0].filesz : 0x2000;
			ph[k++] = (struct tph){ PT_LOAD, segoff[0], KTEXT_VADDR, s->segs[0].paddr, ksz, ksz };
		}
		for (unsigned i = 0; i < s->nsegs; i++)
			ph[k++] = (struct tph){ PT_LOAD, segoff[i], s->segs[i].paddr, s->segs[i].paddr, s->segs[i].filesz,
						   s->segs[i].memsz };
		for (size_t i = 0; i < k; i++, p += phsz) {
			if (is64) {
				Elf64_Phdr e = { .p_type = ph[i].type, .p_flags = PF_R | PF_W | PF_X, .p_offset = ph[i].off,
						 .p_vaddr = ph[i].vaddr, .p_paddr = ph[i].paddr, .p_filesz = ph[i].filesz,
						 .p_memsz = ph[i].memsz };
				memcpy(p, &e, sizeof(e));
			} else {
				Elf32_Phdr e = { .p_type = ph[i].type, .p_flags = PF_R | PF_W | PF_X,
						 .p_offset = (uint32_t)ph[i].off, .p_vaddr = (uint32_t)ph[i].vaddr,
						 .p_paddr = (uint32_t)ph[i].paddr, .p_filesz = (uint32_t)ph[i].filesz,
						 .p_memsz = (uint32_t)ph[i].memsz };
				memcpy(p, &e, sizeof(e));
			}
		}
		free(ph);
	}
	if (notes_len)
		memcpy(out + notes_off, notes, notes_len);
	for (unsigned i = 0; i < s->nsegs; i++)
		td_fill_spec(s, s->segs[i].paddr, out + segoff[i], s->segs[i].filesz);
	free(notes);
	free(segoff);
	*outlen = total;
	return out;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint64_t bits_below(const uint8_t *bm, uint64_t pfn)
{
	uint64_t n = 0;
	for (uint64_t p = 0; p < pfn; p++)
		n += (bm[p >> 3] >> (p & 7)) & 1;
	return n;
}

uint8_t *td_kdump_split_part(const uint8_t *kd, size_t len, const uint64_t *starts, unsigned n, unsigned part,
			     size_t *outlen)
{
	uint32_t bs = get32(kd + 428), sub = get32(kd + 432), bmb = get32(kd + 436);
	uint64_t max = get64(kd + bs + 96);
	uint64_t s = starts[part], e = part + 1 < n ? starts[part + 1] : max;
	uint64_t desc_off = ((uint64_t)1 + sub + bmb) * bs;
	const uint8_t *bm2 = kd + ((uint64_t)1 + sub) * bs + (uint64_t)bmb * bs / 2;
	uint64_t r0 = bits_below(bm2, s), r1 = bits_below(bm2, e);
	uint8_t *out = malloc(len);

	if (!out)
		abort();
	memcpy(out, kd, len);
	out[bs + 12] = 1; /* split */
	put64(out + bs + 16, s);
	put64(out + bs + 24, e);
	put64(out + bs + 80, s);
	put64(out + bs + 88, e);
	memmove(out + desc_off, kd + desc_off + r0 * 24, (r1 - r0) * 24);
	*outlen = len;
	return out;
}
