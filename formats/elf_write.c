/* elf_write.c: writer for ELF64 vmcores in the shape kexec and crash expect:
 *
 *   Elf64_Ehdr | PT_NOTE, [kernel-text PT_LOAD], PT_LOAD per RAM run | [Shdr 0 for PN_XNUM]
 *   | notes | pad to a page | page data in frame order
 *
 * One PT_NOTE, first, before all data; p_align 0 (crash's KDUMP_ELF64 flavour). RAM that is
 * not stored (excluded or missing) becomes a p_filesz < p_memsz tail, as makedumpfile does.
 * A dump without RAM gets one empty PT_LOAD: libkdumpfile refuses an ELF file with neither
 * PT_LOAD nor sections ("No content found"). */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "bufwriter.h"
#include "writer.h"

struct vmc_writer {
	struct vmc_bytesink *sink;
	struct vmc_bufw data;
	bool data_ready;
	uint32_t ps;
	uint64_t expected, seen, next_stored;
	const struct vmc_bitmap *stored;
	uint8_t *zero;
	bool incomplete;
	struct vmc_writer_stats st;
};

static enum vmc_status elw_new(struct vmc_bytesink *sink, const struct vmc_write_opts *opts,
			       struct vmc_writer **ret, struct vmc_diag *d)
{
	struct vmc_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	w->sink = sink;
	*ret = w;
	return VMC_OK;
}

/* Walk RAM runs into segments: stored frames (file data) then a not-stored tail. */
static size_t build_segments(const struct vmc_out_info *info, Elf64_Phdr *ph, uint64_t data_off)
{
	uint64_t pfn = vmc_bitmap_next_set(info->ram, 0), off = data_off;
	size_t n = 0;
	unsigned sh = (unsigned)__builtin_ctz(info->page_size);

	while (pfn < info->max_pfn) {
		uint64_t ram_end = vmc_bitmap_next_clear(info->ram, pfn), fend;
		/* stored frames from pfn, then the not-stored run, both within RAM */
		fend = vmc_bitmap_next_clear(info->stored, pfn);
		if (fend > ram_end)
			fend = ram_end;
		{
			uint64_t mend = fend < ram_end ? vmc_bitmap_next_set(info->stored, fend) : ram_end;
			if (mend > ram_end)
				mend = ram_end;
			if (ph) {
				Elf64_Phdr *p = &ph[n];
				memset(p, 0, sizeof(*p));
				p->p_type = PT_LOAD;
				p->p_flags = PF_R | PF_W | PF_X;
				p->p_paddr = pfn << sh;
				p->p_vaddr = p->p_paddr;
				/* never 0, even without file data: crash sizes its header read by the
				 * first PT_LOAD's p_offset */
				p->p_offset = off;
				p->p_filesz = (fend - pfn) << sh;
				p->p_memsz = (mend - pfn) << sh;
				p->p_align = 0;
			}
			off += (fend - pfn) << sh;
			n++;
			pfn = mend < ram_end ? mend : vmc_bitmap_next_set(info->ram, ram_end);
		}
	}
	return n;
}

/* kexec's kernel-text view at ph[nload + 1]: it aliases the file bytes of the RAM segment
 * that holds it. False when no segment holds all of it. */
static bool add_ktext(const struct vmc_out_info *info, Elf64_Phdr *ph, size_t nload)
{
	size_t kidx = nload + 1;

	for (size_t i = 1; i <= nload; i++) {
		Elf64_Phdr *p = &ph[i];
		if (info->ktext->paddr >= p->p_paddr && info->ktext->paddr + info->ktext->size <= p->p_paddr + p->p_filesz) {
			ph[kidx] = *p;
			ph[kidx].p_vaddr = info->ktext->vaddr;
			ph[kidx].p_paddr = info->ktext->paddr;
			ph[kidx].p_offset = p->p_offset + (info->ktext->paddr - p->p_paddr);
			ph[kidx].p_filesz = ph[kidx].p_memsz = info->ktext->size;
			return true;
		}
	}
	return false;
}

/* The ELF header at hdr, with section header 0 after nph program headers when nph needs
 * PN_XNUM. */
static void put_ehdr(uint8_t *hdr, const struct vmc_out_info *info, bool incomplete, size_t nph, bool xnum)
{
	Elf64_Ehdr eh;

	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh.e_type = ET_CORE;
	eh.e_machine = info->e_machine ? info->e_machine : EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_flags = incomplete ? 1 : 0; /* DUMP_ELF_INCOMPLETE */
	if (xnum) {
		Elf64_Shdr sh0;
		memset(&sh0, 0, sizeof(sh0));
		sh0.sh_info = (Elf64_Word)nph;
		eh.e_phnum = PN_XNUM;
		eh.e_shoff = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr);
		eh.e_shentsize = sizeof(Elf64_Shdr);
		eh.e_shnum = 1;
		memcpy(hdr + eh.e_shoff, &sh0, sizeof(sh0));
	} else {
		eh.e_phnum = (Elf64_Half)nph;
	}
	memcpy(hdr, &eh, sizeof(eh));
}

/* The program headers after the ELF header: PT_NOTE, kernel text (when found), then RAM. */
static void put_phdrs(uint8_t *hdr, const Elf64_Phdr *ph, size_t nload, bool have_kt)
{
	uint8_t *p = hdr + sizeof(Elf64_Ehdr);

	memcpy(p, &ph[0], sizeof(*ph));
	p += sizeof(*ph);
	if (have_kt) {
		memcpy(p, &ph[nload + 1], sizeof(*ph));
		p += sizeof(*ph);
	}
	memcpy(p, &ph[1], nload * sizeof(*ph));
}

static enum vmc_status elw_begin(struct vmc_writer *w, const struct vmc_out_info *info, struct vmc_diag *d)
{
	size_t nreal = build_segments(info, NULL, 0), nload = nreal ? nreal : 1, nph;
	bool xnum, have_kt = false;
	uint64_t hdr_end, notes_off, data_off;
	Elf64_Phdr *ph;
	uint8_t *hdr;
	enum vmc_status rc;

	if (info->split)
		return vmc_fail(d, VMC_ERR_ARGS, "%s: a split set is kdump-compressed (makedumpfile --split); ELF has no parts",
				w->sink->name);
	if (!info->e_machine && info->uts && info->uts->machine[0])
		/* a kdump of an architecture vmcarve has no e_machine for: EM_X86_64 would lie */
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: machine '%.64s' has no ELF e_machine known to vmcarve: write kdump instead",
				w->sink->name, info->uts->machine);
	w->ps = info->page_size;
	w->stored = info->stored;
	w->expected = vmc_bitmap_count(info->stored);
	if (info->missing)
		w->expected += vmc_bitmap_count(info->missing);
	w->incomplete = info->missing && vmc_bitmap_count(info->missing);
	nph = 1 + nload + (info->ktext ? 1 : 0);
	xnum = nph >= PN_XNUM;
	hdr_end = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr) + (xnum ? sizeof(Elf64_Shdr) : 0);
	notes_off = hdr_end;
	data_off = (notes_off + info->notes_len + info->page_size - 1) / info->page_size * info->page_size;
	hdr = calloc(1, data_off);
	ph = calloc(nph, sizeof(*ph));
	w->zero = calloc(1, info->page_size);
	if (!hdr || !ph || !w->zero) {
		free(hdr);
		free(ph);
		return vmc_fail(d, VMC_ERR_NOMEM, "ELF headers");
	}
	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = notes_off;
	ph[0].p_filesz = info->notes_len;
	ph[0].p_memsz = info->notes_len;
	build_segments(info, ph + 1, data_off);
	if (!nreal) /* size 0 at a non-zero offset (crash sizes its header read by it) */
		ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X, .p_offset = data_off };
	if (info->ktext && !(have_kt = add_ktext(info, ph, nload)))
		nph--; /* the space stays reserved: data_off does not move */
	put_ehdr(hdr, info, w->incomplete, nph, xnum);
	put_phdrs(hdr, ph, nload, have_kt);
	if (info->notes_len)
		memcpy(hdr + notes_off, info->notes, info->notes_len);
	rc = w->sink->ops->pwrite(w->sink, hdr, data_off, 0, d);
	free(hdr);
	free(ph);
	if (rc)
		return rc;
	if ((rc = vmc_bufw_init(&w->data, w->sink, data_off, 4 << 20, d)))
		return rc;
	w->data_ready = true;
	return VMC_OK;
}

static enum vmc_status elw_page(struct vmc_writer *w, const struct vmc_page *pg, struct vmc_diag *d)
{
	if (!vmc_bitmap_test(w->stored, pg->pfn)) {
		/* a frame the input lacked: it lies in a not-stored tail already */
		w->st.missing_pages++;
		w->seen++;
		return VMC_OK;
	}
	w->seen++;
	if (pg->missing) {
		/* became unreadable mid-run (--partial): keep the layout, flag the file incomplete */
		w->incomplete = true;
		w->st.missing_pages++;
		return vmc_bufw_write(&w->data, w->zero, w->ps, d);
	}
	w->st.pages++;
	return vmc_bufw_write(&w->data, pg->data, w->ps, d);
}

/* The free part of the data buffer, in whole pages, for the pipeline to read pages into. */
static uint8_t *elw_slots(struct vmc_writer *w, size_t *n)
{
	size_t room = 0;
	uint8_t *p = w->data_ready ? vmc_bufw_space(&w->data, &room) : NULL;

	*n = room / w->ps;
	return p;
}

static enum vmc_status elw_end(struct vmc_writer *w, struct vmc_writer_stats *stats, struct vmc_diag *d)
{
	enum vmc_status rc;

	if (w->seen != w->expected)
		return vmc_fail(d, VMC_ERR_ARGS, "%s: %llu pages written, the headers announced %llu", w->sink->name,
				(unsigned long long)w->seen, (unsigned long long)w->expected);
	if ((rc = vmc_bufw_flush(&w->data, d)))
		return rc;
	if (w->incomplete) {
		Elf64_Word fl = 1;
		if ((rc = w->sink->ops->pwrite(w->sink, &fl, sizeof(fl), offsetof(Elf64_Ehdr, e_flags), d)))
			return rc;
	}
	w->st.bytes_out = vmc_bufw_pos(&w->data);
	if (stats)
		*stats = w->st;
	return VMC_OK;
}

static void elw_free(struct vmc_writer *w)
{
	if (!w)
		return;
	if (w->data_ready)
		vmc_bufw_release(&w->data);
	free(w->zero);
	free(w);
}

const struct vmc_writer_ops vmc_writer_elf = {
	.name = "elf",
	.new = elw_new,
	.begin = elw_begin,
	.page = elw_page,
	.slots = elw_slots,
	.end = elw_end,
	.free = elw_free,
};
