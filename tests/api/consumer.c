/* consumer.c: a program outside the tree that uses libvmcarve only through vmcarve.h and
 * pkg-config (tests/api/consumer.sh builds it against an installed copy). It checks pages read
 * through the API against the fixture's manifest, carves a synthetic Xen host, opens a guest,
 * writes it with vmc_write() and reads the written file back, and compares ELF views with
 * written ELF files (also read by 8 threads at once). Exit 0 when all agree.
 *   consumer MANIFEST HOST.elf OUTDIR FIXTUREFILE... */
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmcarve.h>

#define CHECK(cond, ...)                                                                 \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "consumer: %s:%d: ", __FILE__, __LINE__);        \
			fprintf(stderr, __VA_ARGS__);                                    \
			fprintf(stderr, " (%s)\n", d.msg[0] ? d.msg : "no message");     \
			exit(1);                                                         \
		}                                                                        \
	} while (0)

static struct vmc_diag d;

/* XXH64 with seed 0, what the manifest holds (xxhash is no dependency of a libvmcarve user) */
static const uint64_t P1 = 11400714785074694791ull, P2 = 14029467366897019727ull, P3 = 1609587929392839161ull,
		      P4 = 9650029242287828579ull, P5 = 2870177450012600261ull;

static uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint64_t round64(uint64_t acc, uint64_t in)
{
	return rotl(acc + in * P2, 31) * P1;
}

static uint64_t merge64(uint64_t acc, uint64_t v)
{
	return (acc ^ round64(0, v)) * P1 + P4;
}

static uint64_t xxh64(const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	uint64_t h;

	if (len >= 32) {
		uint64_t v1 = P1 + P2, v2 = P2, v3 = 0, v4 = -P1;
		for (; p + 32 <= end; p += 32) {
			v1 = round64(v1, rd64(p));
			v2 = round64(v2, rd64(p + 8));
			v3 = round64(v3, rd64(p + 16));
			v4 = round64(v4, rd64(p + 24));
		}
		h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
		h = merge64(merge64(merge64(merge64(h, v1), v2), v3), v4);
	} else
		h = P5;
	h += len;
	for (; p + 8 <= end; p += 8)
		h = rotl(h ^ round64(0, rd64(p)), 27) * P1 + P4;
	for (; p + 4 <= end; p += 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		h = rotl(h ^ (uint64_t)w * P1, 23) * P2 + P3;
	}
	for (; p < end; p++)
		h = rotl(h ^ *p * P5, 11) * P1;
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	return h ^ (h >> 32);
}

/* every manifest line: the page state, and the hash of every stored page */
static unsigned check_manifest(struct vmc_dump *dump, const char *manifest, uint32_t page_size)
{
	FILE *f = fopen(manifest, "r");
	uint8_t *buf = malloc(page_size);
	char line[128], what[64];
	unsigned long long pfn;
	unsigned n = 0;

	CHECK(f && buf, "%s: cannot open", manifest);
	while (fgets(line, sizeof(line), f)) {
		CHECK(sscanf(line, "0x%llx %63s", &pfn, what) == 2, "%s: bad line %s", manifest, line);
		enum vmc_page_state st = vmc_dump_page_state(dump, pfn);
		if (!strcmp(what, "excluded") || !strcmp(what, "missing")) {
			CHECK(st == (what[0] == 'e' ? VMC_PAGE_EXCLUDED : VMC_PAGE_MISSING), "pfn 0x%llx: state %d", pfn, st);
			CHECK(vmc_dump_read_pfn(dump, pfn, buf, &d) == VMC_ERR_MISSING, "pfn 0x%llx read", pfn);
			vmc_diag_clear(&d);
			continue;
		}
		CHECK(st == VMC_PAGE_STORED, "pfn 0x%llx: state %d, manifest has a hash", pfn, st);
		CHECK(vmc_dump_read_pfn(dump, pfn, buf, &d) == VMC_OK, "pfn 0x%llx read", pfn);
		CHECK(xxh64(buf, page_size) == strtoull(what, NULL, 16), "pfn 0x%llx: hash %016llx, manifest %s", pfn,
		      (unsigned long long)xxh64(buf, page_size), what);
		n++;
	}
	fclose(f);
	free(buf);
	return n;
}

/* a cancel flag already set: VMC_ERR_CANCELLED and no output file, even with keep_partial */
static void check_cancel(struct vmc_dump *dump, const char *out)
{
	volatile sig_atomic_t stop = 1;
	struct vmc_write_options wo = { .size = sizeof(wo), .partial = true, .cancel = &stop, .keep_partial = true };
	struct vmc_write_stats ws = { .size = sizeof(ws) };
	struct vmc_diag cd;

	vmc_diag_init(&cd);
	CHECK(vmc_write(dump, out, &wo, &ws, &cd) == VMC_ERR_CANCELLED && !ws.partial_kept, "cancelled vmc_write: %s",
	      cd.msg);
	CHECK(access(out, F_OK) != 0, "%s exists after a cancelled write", out);
	CHECK(!strcmp(vmc_status_name(VMC_ERR_CANCELLED), "cancelled"), "status name");
	printf("consumer: cancelled write: %s\n", cd.msg);
}

/* one of several threads reading a view at once, each in its own odd chunk size from its own
 * start (page edges, partly read pages shared through the view's cache) */
struct view_reader {
	struct vmc_elf_view *v;
	const uint8_t *file;
	size_t size, chunk, start;
	long bad; /* offset of the first difference or failure, or -1 */
};

static void *view_reader_run(void *arg)
{
	struct view_reader *r = arg;
	struct vmc_diag td;
	uint8_t *buf = malloc(r->chunk);

	r->bad = buf ? -1 : 0;
	vmc_diag_init(&td);
	for (size_t k = 0, off = r->start; buf && k < r->size && r->bad < 0; k += r->chunk, off = (off + r->chunk) % r->size) {
		size_t n = r->size - off < r->chunk ? r->size - off : r->chunk;
		if (vmc_elf_view_read(r->v, off, buf, n, &td) || memcmp(buf, r->file + off, n))
			r->bad = (long)off;
	}
	free(buf);
	return NULL;
}

static void check_view_threads(struct vmc_elf_view *v, const uint8_t *file, size_t size)
{
	enum { NT = 8 };
	struct view_reader r[NT];
	pthread_t t[NT];

	for (int i = 0; i < NT; i++) {
		r[i] = (struct view_reader){ v, file, size, 1000 + 1733 * (size_t)i, size / NT * (size_t)i, -1 };
		CHECK(!pthread_create(&t[i], NULL, view_reader_run, &r[i]), "thread");
	}
	for (int i = 0; i < NT; i++) {
		pthread_join(t[i], NULL);
		CHECK(r[i].bad < 0, "ELF view read by %d threads: thread %d differs at offset %ld", NT, i, r[i].bad);
	}
}

/* the ELF view of a dump holds the bytes vmc_write() writes as ELF, read at odd offsets */
static void check_elf_view(struct vmc_dump *dump, const char *out)
{
	struct vmc_write_options wo = { .size = sizeof(wo), .format = VMC_FORMAT_ELF, .partial = true };
	struct vmc_elf_view *v;
	FILE *f;
	long size;
	uint8_t *file, *got;
	const size_t chunk = 12345; /* crosses the header's end and page boundaries */

	CHECK(vmc_write(dump, out, &wo, NULL, &d) == VMC_OK, "vmc_write %s", out);
	CHECK(vmc_elf_view_open(dump, &v, &d) == VMC_OK, "ELF view");
	CHECK((f = fopen(out, "rb")) && !fseek(f, 0, SEEK_END) && (size = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET),
	      "%s", out);
	CHECK((uint64_t)size == vmc_elf_view_size(v), "ELF view: %llu bytes, %s has %ld",
	      (unsigned long long)vmc_elf_view_size(v), out, size);
	CHECK((file = malloc((size_t)size)) && (got = malloc((size_t)size)) && fread(file, 1, (size_t)size, f) == (size_t)size,
	      "read %s", out);
	for (size_t off = 0; off < (size_t)size; off += chunk) {
		size_t n = (size_t)size - off < chunk ? (size_t)size - off : chunk;
		CHECK(vmc_elf_view_read(v, off, got + off, n, &d) == VMC_OK, "ELF view read at %zu", off);
	}
	for (long i = 0; i < size; i++)
		CHECK(file[i] == got[i], "ELF view differs from %s at offset %ld", out, i);
	check_view_threads(v, file, (size_t)size);
	CHECK(vmc_elf_view_read(v, (uint64_t)size - 1, got, 2, &d) == VMC_ERR_ARGS, "read past the end");
	vmc_diag_clear(&d);
	printf("consumer: %s: %ld bytes, the ELF view holds the same\n", out, size);
	fclose(f);
	free(file);
	free(got);
	vmc_elf_view_free(v);
}

/* the fixture: info, pages against the manifest, a read across two pages, notes */
static void check_fixture(const char *const *files, unsigned nfiles, const char *manifest, const char *outdir)
{
	struct vmc_dump *dump;
	struct vmc_dump_info in = { .size = sizeof(in) };
	struct vmc_dump_info old = { .size = offsetof(struct vmc_dump_info, page_size) };
	uint64_t start, end;
	size_t pos = 0;
	struct vmc_dump_note note;
	unsigned nnotes = 0, nhashed;
	char out[4096];

	CHECK(vmc_dump_open(files, nfiles, &dump, &d) == VMC_OK, "open %s", files[0]);
	CHECK(vmc_dump_get_info(dump, &in, &d) == VMC_OK && in.page_size >= 4096 && in.ram_pages, "info");
	/* an older caller's smaller struct: filled up to its size, nothing after it */
	old.page_size = 12345;
	CHECK(vmc_dump_get_info(dump, &old, &d) == VMC_OK && old.nfiles == in.nfiles && old.page_size == 12345,
	      "size-versioned info");
	nhashed = check_manifest(dump, manifest, in.page_size);
	CHECK(nhashed > 0 && nhashed == in.stored_pages, "%u hashed pages, %llu stored", nhashed,
	      (unsigned long long)in.stored_pages);
	CHECK(vmc_dump_ram_range(dump, 0, &start, &end), "no RAM range");
	if (end - start >= 2 && vmc_dump_page_state(dump, start) == VMC_PAGE_STORED &&
	    vmc_dump_page_state(dump, start + 1) == VMC_PAGE_STORED) {
		uint8_t *two = malloc(2 * in.page_size), *mid = malloc(in.page_size);
		CHECK(two && mid, "out of memory");
		CHECK(!vmc_dump_read_pfn(dump, start, two, &d) && !vmc_dump_read_pfn(dump, start + 1, two + in.page_size, &d),
		      "read");
		CHECK(!vmc_dump_read_phys(dump, (start << in.page_shift) + in.page_size / 2, mid, in.page_size, &d), "phys");
		CHECK(!memcmp(mid, two + in.page_size / 2, in.page_size), "read_phys across two pages differs");
		free(two);
		free(mid);
	}
	while (vmc_dump_note_next(dump, &pos, &note))
		nnotes++;
	printf("consumer: %s: %s, %u pages checked against the manifest, %u notes%s\n", in.name, in.format, nhashed,
	       nnotes, in.has_vmcoreinfo ? ", VMCOREINFO" : "");
	snprintf(out, sizeof(out), "%s/fixture.elf", outdir);
	check_elf_view(dump, out);
	snprintf(out, sizeof(out), "%s/cancelled.kdump", outdir);
	check_cancel(dump, out);
	vmc_dump_close(dump);
}

/* a guest page read through the carve equals the same page read back from the written file */
static void check_written(struct vmc_dump *gd, const char *out, uint32_t page_size)
{
	struct vmc_write_options wo = { .size = sizeof(wo), .format = VMC_FORMAT_KDUMP,
					.compression = VMC_COMPRESS_ZSTD, .threads = 2, .partial = true };
	struct vmc_write_stats ws = { .size = sizeof(ws) };
	struct vmc_dump *back;
	uint64_t start, end, n = 0;
	uint8_t *a = malloc(page_size), *b = malloc(page_size);

	CHECK(a && b, "out of memory");
	CHECK(vmc_write(gd, out, &wo, &ws, &d) == VMC_OK && ws.output_opened && ws.pages, "vmc_write %s", out);
	CHECK(vmc_dump_open(&out, 1, &back, &d) == VMC_OK, "reopen %s", out);
	for (start = 0; vmc_dump_ram_range(gd, start, &start, &end); start = end)
		for (uint64_t pfn = start; pfn < end; pfn++) {
			if (vmc_dump_page_state(gd, pfn) != VMC_PAGE_STORED)
				continue;
			CHECK(!vmc_dump_read_pfn(gd, pfn, a, &d) && !vmc_dump_read_pfn(back, pfn, b, &d), "read 0x%llx",
			      (unsigned long long)pfn);
			CHECK(!memcmp(a, b, page_size), "guest pfn 0x%llx differs in %s", (unsigned long long)pfn, out);
			n++;
		}
	CHECK(n && n == ws.pages - ws.missing_pages, "%llu pages compared, %llu written", (unsigned long long)n,
	      (unsigned long long)ws.pages);
	printf("consumer: %s: %llu pages written and read back equal\n", out, (unsigned long long)n);
	vmc_dump_close(back);
	free(a);
	free(b);
}

static void check_carve(const char *host_path, const char *outdir)
{
	struct vmc_dump *host, *gd;
	struct vmc_carve *cv;
	struct vmc_carve_options co = { .size = sizeof(co) };
	struct vmc_carve_info ci = { .size = sizeof(ci) };
	struct vmc_dump_info gi = { .size = sizeof(gi) };
	char out[4096];
	int first = -1;

	CHECK(vmc_dump_open(&host_path, 1, &host, &d) == VMC_OK, "open %s", host_path);
	CHECK(vmc_carve(host, &co, &cv, &d) == VMC_OK, "carve");
	CHECK(vmc_carve_get_info(cv, &ci, &d) == VMC_OK && ci.nguests > 0, "no guests");
	printf("consumer: %s: %s %s, %u guests\n", host_path, ci.hypervisor, ci.version, ci.nguests);
	for (unsigned i = 0; i < ci.nguests; i++) {
		struct vmc_guest_info g = { .size = sizeof(g) };
		CHECK(vmc_carve_guest_info(cv, i, &g, &d) == VMC_OK, "guest %u", i);
		printf("consumer:   guest %s %s %s: %llu pages mapped, %llu present%s\n", g.id, g.type, g.space,
		       (unsigned long long)g.pages_mapped, (unsigned long long)g.pages_present, g.status ? " FAILED" : "");
		if (first < 0 && !g.status && g.pages_present)
			first = (int)i;
	}
	CHECK(first >= 0, "no guest can be carved");
	CHECK(vmc_carve_guest_info(cv, ci.nguests, &(struct vmc_guest_info){ .size = sizeof(struct vmc_guest_info) },
				   &d) == VMC_ERR_NOTFOUND, "guest past the end");
	vmc_diag_clear(&d);
	CHECK(vmc_guest_open(cv, (unsigned)first, &gd, &d) == VMC_OK, "open guest %d", first);
	CHECK(vmc_dump_get_info(gd, &gi, &d) == VMC_OK && gi.stored_pages, "guest info");
	snprintf(out, sizeof(out), "%s/guest.kdump", outdir);
	check_written(gd, out, gi.page_size);
	snprintf(out, sizeof(out), "%s/guest.elf", outdir);
	check_elf_view(gd, out);
	vmc_dump_close(gd);
	vmc_carve_free(cv);
	vmc_dump_close(host);
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: consumer MANIFEST HOST.elf OUTDIR FIXTUREFILE...\n");
		return 2;
	}
	vmc_diag_init(&d);
	CHECK(!strcmp(vmc_status_name(VMC_ERR_NOTFOUND), "not found") &&
		      !strcmp(vmc_status_name(VMC_ERR_MISSING), "page missing"),
	      "status names");
	check_fixture((const char *const *)argv + 4, (unsigned)(argc - 4), argv[1], argv[3]);
	check_carve(argv[2], argv[3]);
	printf("consumer: ok\n");
	return 0;
}
