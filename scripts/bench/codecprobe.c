/* codecprobe: the physical limit of page compression for one ELF dump.
 *
 *   codecprobe [-t THREADS] [-c lzo|zlib|snappy|zstd] [-u] DUMP.elf
 *
 * Takes every 4 KiB page of the ELF core's PT_LOAD data once (by p_paddr: where segments
 * overlap, as the kernel-text segment of a kexec vmcore overlaps RAM, the first one in
 * the program header table wins), reads it with pread (batches of up to 512 contiguous
 * pages per thread) and compresses each page on its own with the codec, on THREADS
 * threads (default: the number of CPUs), writing nothing. This is what a converter must
 * at least spend on reading and compressing, with no output, no bitmaps and no dedup.
 * -u compresses each distinct page once: an untimed pre-pass hashes every page (XXH3-64)
 * and drops the repeats, so the timed loop is the floor for a converter that dedups
 * (vmcarve stores identical pages once; on a real dump most pages are zero or repeats). Codec settings as in vmcarve: lzo1x_1, zlib deflate level 1
 * (Z_BEST_SPEED), snappy, zstd level -1 (ZSTD_LEVEL, as src/core/codec.c; makedumpfile: 1).
 * Prints one line: codec, threads, pages, pages compressed, all-zero pages among them,
 * compressed bytes, pages that did
 * not shrink, and the wall and CPU time of the read+compress loop (header parsing excluded).
 *
 * Build: cc -O2 -pthread codecprobe.c -llzo2 -lz -lsnappy -lzstd -o codecprobe
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <lzo/lzo1x.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <xxhash.h>

#define PG 4096u
#define BATCH 512u
#ifndef ZSTD_LEVEL
#define ZSTD_LEVEL (-1)
#endif

enum codec { C_LZO, C_ZLIB, C_SNAPPY, C_ZSTD };
static const char *codec_name[] = { "lzo", "zlib", "snappy", "zstd" };

struct seg { uint64_t paddr, size, off; };

static int fd;
static int distinct;
static uint64_t *pages;          /* file offset of each page to compress */
static size_t npages;
static enum codec codec;
static atomic_size_t next_batch;

struct result { uint64_t zero, out_bytes, no_gain; };

static void die(const char *msg)
{
	fprintf(stderr, "codecprobe: %s%s%s\n", msg, errno ? ": " : "", errno ? strerror(errno) : "");
	exit(1);
}

struct hpage { uint64_t hash, off; };

static int cmp_hpage(const void *a, const void *b)
{
	const struct hpage *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* -u: keep the first page of each distinct content (by XXH3-64; untimed) */
static void keep_distinct(void)
{
	struct hpage *h = malloc(npages * sizeof *h);
	unsigned char *buf = malloc(PG);
	if (!h || !buf)
		die("out of memory");
	for (size_t i = 0; i < npages; i++) {
		if (pread(fd, buf, PG, pages[i]) != PG)
			die("pread");
		h[i] = (struct hpage){ XXH3_64bits(buf, PG), pages[i] };
	}
	qsort(h, npages, sizeof *h, cmp_hpage);
	size_t n = 0;
	for (size_t i = 0; i < npages; i++)
		if (i == 0 || h[i].hash != h[i - 1].hash)
			pages[n++] = h[i].off;
	qsort(pages, n, sizeof *pages, cmp_u64);  /* file order again, for contiguous reads */
	npages = n;
	free(h);
	free(buf);
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;
	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

static void *worker(void *arg)
{
	struct result *r = arg;
	unsigned char *dst = malloc(2 * PG + 1024), *wrk = malloc(LZO1X_1_MEM_COMPRESS);
	unsigned char *buf = malloc((size_t)BATCH * PG);
	ZSTD_CCtx *zc = ZSTD_createCCtx();
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (!dst || !wrk || !buf || !zc || deflateInit(&zs, Z_BEST_SPEED) != Z_OK)
		die("out of memory");
	static const unsigned char zero[PG];
	for (;;) {
		size_t b = atomic_fetch_add(&next_batch, 1) * BATCH;
		if (b >= npages)
			break;
		size_t e = b + BATCH < npages ? b + BATCH : npages;
		/* read the batch: one pread per run of contiguous file pages */
		for (size_t i = b; i < e;) {
			size_t j = i + 1;
			while (j < e && pages[j] == pages[j - 1] + PG)
				j++;
			size_t want = (j - i) * PG, got = 0;
			while (got < want) {
				ssize_t k = pread(fd, buf + (i - b) * PG + got, want - got, pages[i] + got);
				if (k <= 0)
					die("pread");
				got += k;
			}
			i = j;
		}
		for (size_t i = b; i < e; i++) {
			const unsigned char *src = buf + (i - b) * PG;
			size_t n = 2 * PG + 1024;
			if (!memcmp(src, zero, PG))
				r->zero++;
			switch (codec) {
			case C_LZO: {
				lzo_uint ln = n;
				if (lzo1x_1_compress(src, PG, dst, &ln, wrk) != LZO_E_OK)
					die("lzo1x_1_compress failed");
				n = ln;
				break;
			}
			case C_ZLIB:
				deflateReset(&zs);
				zs.next_in = (unsigned char *)src;
				zs.avail_in = PG;
				zs.next_out = dst;
				zs.avail_out = (uInt)n;
				if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
					die("deflate failed");
				n = zs.total_out;
				break;
			case C_SNAPPY:
				if (snappy_compress((const char *)src, PG, (char *)dst, &n) != SNAPPY_OK)
					die("snappy_compress failed");
				break;
			case C_ZSTD:
				n = ZSTD_compressCCtx(zc, dst, n, src, PG, ZSTD_LEVEL);
				if (ZSTD_isError(n))
					die("ZSTD_compressCCtx failed");
				break;
			}
			if (n >= PG) {
				r->no_gain++;
				n = PG;
			}
			r->out_bytes += n;
		}
	}
	deflateEnd(&zs);
	ZSTD_freeCCtx(zc);
	free(dst);
	free(wrk);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	long threads = sysconf(_SC_NPROCESSORS_ONLN);
	int opt;
	codec = C_LZO;
	while ((opt = getopt(argc, argv, "t:c:u")) != -1) {
		if (opt == 'u') {
			distinct = 1;
		} else if (opt == 't') {
			threads = strtol(optarg, NULL, 10);
		} else if (opt == 'c') {
			int k;
			for (k = 0; k < 4 && strcmp(optarg, codec_name[k]); k++)
				;
			if (k == 4) {
				fprintf(stderr, "codecprobe: unknown codec %s\n", optarg);
				return 2;
			}
			codec = (enum codec)k;
		} else {
			fprintf(stderr, "usage: codecprobe [-t THREADS] [-c lzo|zlib|snappy|zstd] [-u] DUMP.elf\n");
			return 2;
		}
	}
	if (optind != argc - 1 || threads < 1 || threads > 1024) {
		fprintf(stderr, "usage: codecprobe [-t THREADS] [-c lzo|zlib|snappy|zstd] [-u] DUMP.elf\n");
		return 2;
	}
	if (lzo_init() != LZO_E_OK)
		die("lzo_init failed");

	fd = open(argv[optind], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st))
		die(argv[optind]);
	/* only the headers are mapped; page data is read with pread */
	size_t hdr_len = st.st_size < (1 << 20) ? (size_t)st.st_size : (1 << 20);
	const unsigned char *base = mmap(NULL, hdr_len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (base == MAP_FAILED)
		die("mmap");
	const Elf64_Ehdr *eh = (const void *)base;
	if (hdr_len < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		die("not an ELF64 file");
	uint64_t phnum = eh->e_phnum;
	if (phnum == PN_XNUM) {
		if (!eh->e_shoff || eh->e_shoff + sizeof(Elf64_Shdr) > hdr_len)
			die("PN_XNUM without section header 0");
		phnum = ((const Elf64_Shdr *)(base + eh->e_shoff))->sh_info;
	}
	if (eh->e_phoff + phnum * sizeof(Elf64_Phdr) > hdr_len)
		die("program headers outside the first MiB of the file");
	const Elf64_Phdr *ph = (const void *)(base + eh->e_phoff);

	/* the PT_LOAD data, page by page, each physical page once (first segment wins) */
	struct seg *taken = calloc(phnum + 1, sizeof *taken);
	size_t ntaken = 0, cap = 0;
	for (uint64_t i = 0; i < phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_filesz)
			continue;
		if (ph[i].p_offset + ph[i].p_filesz > (uint64_t)st.st_size)
			die("PT_LOAD beyond the end of the file");
		uint64_t a = (ph[i].p_paddr + PG - 1) / PG, e = (ph[i].p_paddr + ph[i].p_filesz) / PG;
		for (uint64_t p = a; p < e; p++) {
			int dup = 0;
			for (size_t k = 0; k < ntaken && !dup; k++)
				dup = p >= taken[k].paddr && p < taken[k].paddr + taken[k].size;
			if (dup)
				continue;
			if (npages == cap) {
				cap = cap ? 2 * cap : 1 << 16;
				if (!(pages = realloc(pages, cap * sizeof *pages)))
					die("out of memory");
			}
			pages[npages++] = ph[i].p_offset + p * PG - ph[i].p_paddr;
		}
		if (e > a)
			taken[ntaken++] = (struct seg){ a, e - a, 0 };
		qsort(taken, ntaken, sizeof *taken, cmp_seg);
	}

	size_t all_pages = npages;
	if (distinct)
		keep_distinct();

	pthread_t *tid = calloc(threads, sizeof *tid);
	struct result *res = calloc(threads, sizeof *res);
	struct timespec t0, t1, c0, c1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0); /* the loop's CPU: a loaded machine inflates wall */
	for (long t = 0; t < threads; t++)
		if (pthread_create(&tid[t], NULL, worker, &res[t]))
			die("pthread_create");
	struct result sum = { 0, 0, 0 };
	for (long t = 0; t < threads; t++) {
		pthread_join(tid[t], NULL);
		sum.zero += res[t].zero;
		sum.out_bytes += res[t].out_bytes;
		sum.no_gain += res[t].no_gain;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	double wall = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	double cpu = (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9;
	printf("codec=%s threads=%ld pages=%zu compressed=%zu zero=%llu compressed_bytes=%llu no_gain=%llu wall=%.3f MiB/s=%.0f cpu=%.3f\n",
	       codec_name[codec], threads, all_pages, npages, (unsigned long long)sum.zero, (unsigned long long)sum.out_bytes,
	       (unsigned long long)sum.no_gain, wall, npages * (double)PG / (1 << 20) / wall, cpu);
	return 0;
}
