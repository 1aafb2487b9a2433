/* bytesrc.c: file (pread), spooled-pipe and memory byte sources. */
#include "bytesrc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct vmc_bytesrc *vmc_bytesrc_alloc(const struct vmc_bytesrc_ops *ops, const char *name)
{
	struct vmc_bytesrc *src = calloc(1, sizeof(*src));

	if (!src)
		return NULL;
	src->name = strdup(name ? name : "?");
	if (!src->name) {
		free(src);
		return NULL;
	}
	src->ops = ops;
	src->fd = -1;
	return src;
}

void vmc_bytesrc_free(struct vmc_bytesrc *src)
{
	if (!src)
		return;
	if (src->ops && src->ops->close)
		src->ops->close(src);
	free(src->name);
	free(src);
}

static enum vmc_status file_pread(struct vmc_bytesrc *src, void *buf, size_t len, uint64_t off,
				  size_t *got, struct vmc_diag *d)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(src->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vmc_fail_at(d, VMC_ERR_IO, src->name, off + done, "read: %s", strerror(errno));
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return VMC_OK;
}

static void file_close(struct vmc_bytesrc *src)
{
	if (src->map)
		munmap((void *)src->map, src->size);
	src->map = NULL;
	if (src->fd >= 0)
		close(src->fd);
	src->fd = -1;
}

/* 16 + 8 MiB: more than the pages a writer holds in flight (VMC_INFLIGHT_BYTES), so the
 * pages it still reads are rarely dropped, and little of the 64 MiB budget (issue 14) */
#define MAPPED_WINDOW (16ull << 20)
#define MAPPED_SLACK (8ull << 20) /* trim in big steps: each madvise costs a TLB shootdown */

static void drop(struct vmc_bytesrc *src, uint64_t off, uint64_t len)
{
	uint64_t from = (off + 4095) & ~4095ull, to = (off + len) & ~4095ull;

	if (to > from)
		madvise((void *)(src->map + from), (size_t)(to - from), MADV_DONTNEED);
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#define POPULATE_STEP (2ull << 20)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

void vmc_bytesrc_prefault(void *buf, size_t len)
{
	uintptr_t from = ((uintptr_t)buf + 4095) & ~(uintptr_t)4095, to = ((uintptr_t)buf + len) & ~(uintptr_t)4095;

	if (to > from)
		madvise((void *)from, to - from, MADV_POPULATE_WRITE);
}

/* A sequential reader: map the next pages in one call rather than a fault each 16 pages
 * (faults are dear under virtualisation). Best effort: older kernels refuse, faults remain. */
static void populate_ahead(struct vmc_bytesrc *src, uint64_t end)
{
	uint64_t from = src->populated_end > end ? src->populated_end : end, to;

	if (src->populated_end >= end + POPULATE_STEP / 2)
		return;
	from &= ~4095ull;
	to = from + POPULATE_STEP < src->size ? from + POPULATE_STEP : src->size & ~4095ull;
	if (to > from)
		madvise((void *)(src->map + from), (size_t)(to - from), MADV_POPULATE_READ);
	src->populated_end = to;
}

void vmc_bytesrc_mapped(struct vmc_bytesrc *src, uint64_t off, uint64_t len)
{
	const unsigned cap = sizeof(src->recent) / sizeof(src->recent[0]);

	if (!src->map || !len)
		return;
	if (src->recent_n) {
		unsigned last = (src->recent_head + src->recent_n - 1) % cap;
		if (src->recent[last].off + src->recent[last].len == off) { /* sequential: extend */
			src->recent[last].len += len;
			populate_ahead(src, off + len);
			goto trim;
		}
	}
	if (src->recent_n) { /* not sequential: what was populated ahead of the last range goes */
		unsigned last = (src->recent_head + src->recent_n - 1) % cap;
		uint64_t end = src->recent[last].off + src->recent[last].len;
		if (src->populated_end > end)
			drop(src, end, src->populated_end - end);
	}
	src->populated_end = 0;
	if (src->recent_n == cap) { /* forget the oldest range: it leaves the window */
		drop(src, src->recent[src->recent_head].off, src->recent[src->recent_head].len);
		src->recent_bytes -= src->recent[src->recent_head].len;
		src->recent_head = (src->recent_head + 1) % cap;
		src->recent_n--;
	}
	src->recent[(src->recent_head + src->recent_n) % cap].off = off;
	src->recent[(src->recent_head + src->recent_n) % cap].len = len;
	src->recent_n++;
trim:
	src->recent_bytes += len;
	if (src->recent_bytes <= MAPPED_WINDOW + MAPPED_SLACK)
		return;
	while (src->recent_bytes > MAPPED_WINDOW && src->recent_n) {
		uint64_t excess = src->recent_bytes - MAPPED_WINDOW;
		typeof(src->recent[0]) *r = &src->recent[src->recent_head];
		/* drop whole pages only, so the range's tail stays mapped until it ages out too */
		uint64_t n = excess < r->len ? ((excess + 4095) & ~4095ull) : r->len;
		if (n > r->len)
			n = r->len;
		drop(src, r->off, n);
		r->off += n;
		r->len -= n;
		src->recent_bytes -= n;
		if (!r->len) {
			src->recent_head = (src->recent_head + 1) % cap;
			src->recent_n--;
		}
	}
}

static const struct vmc_bytesrc_ops file_ops = { .pread = file_pread, .close = file_close };

/* Copy a non-seekable input into an unlinked temporary file so readers get random access. */
static enum vmc_status spool(int in_fd, const char *path, int *out_fd, uint64_t *size, struct vmc_diag *d)
{
	const char *tmpdir = getenv("TMPDIR");
	char tmpl[4096];
	char *buf;
	uint64_t total = 0;
	int fd;

	snprintf(tmpl, sizeof(tmpl), "%s/vmcarve-spool-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = mkstemp(tmpl);
	if (fd < 0)
		return vmc_fail(d, VMC_ERR_IO, "%s: cannot create spool file in %s: %s", path, tmpl, strerror(errno));
	unlink(tmpl);
	buf = malloc(1 << 20);
	if (!buf) {
		close(fd);
		return vmc_fail(d, VMC_ERR_NOMEM, "%s: spool buffer", path);
	}
	for (;;) {
		ssize_t n = read(in_fd, buf, 1 << 20);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			close(fd);
			return vmc_fail_at(d, VMC_ERR_IO, path, total, "read: %s", strerror(errno));
		}
		if (n == 0)
			break;
		for (ssize_t w = 0; w < n;) {
			ssize_t m = write(fd, buf + w, (size_t)(n - w));
			if (m < 0 && errno == EINTR)
				continue;
			if (m < 0) {
				free(buf);
				close(fd);
				return vmc_fail(d, errno == ENOSPC ? VMC_ERR_NOSPC : VMC_ERR_IO,
						"%s: spooling to %s: %s", path, tmpdir ? tmpdir : "/tmp", strerror(errno));
			}
			w += m;
		}
		total += (uint64_t)n;
	}
	free(buf);
	*out_fd = fd;
	*size = total;
	return VMC_OK;
}

enum vmc_status vmc_bytesrc_open_file(const char *path, struct vmc_bytesrc **ret, struct vmc_diag *d)
{
	struct vmc_bytesrc *src;
	struct stat st;
	enum vmc_status rc;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = dup(STDIN_FILENO);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vmc_fail(d, VMC_ERR_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = vmc_fail(d, VMC_ERR_IO, "%s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return vmc_fail(d, VMC_ERR_ARGS, "%s: is a directory", path);
	}
	src = vmc_bytesrc_alloc(&file_ops, strcmp(path, "-") == 0 ? "<stdin>" : path);
	if (!src) {
		close(fd);
		return vmc_fail(d, VMC_ERR_NOMEM, "%s: out of memory", path);
	}
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		src->fd = fd;
		src->size = (uint64_t)st.st_size;
		if (S_ISBLK(st.st_mode)) {
			off_t end = lseek(fd, 0, SEEK_END);
			src->size = end > 0 ? (uint64_t)end : 0;
		}
	} else {
		int sfd;
		uint64_t size;

		rc = spool(fd, src->name, &sfd, &size, d);
		close(fd);
		if (rc) {
			vmc_bytesrc_free(src);
			return rc;
		}
		src->fd = sfd;
		src->size = size;
		src->spooled = true;
	}
	/* map regular files so that readers can hand out pages without copying them */
	if (src->size && src->size <= SIZE_MAX) {
		void *m = mmap(NULL, (size_t)src->size, PROT_READ, MAP_SHARED, src->fd, 0);
		if (m != MAP_FAILED) {
			madvise(m, (size_t)src->size, MADV_SEQUENTIAL);
			src->map = m;
		}
	}
	*ret = src;
	return VMC_OK;
}

static enum vmc_status mem_pread(struct vmc_bytesrc *src, void *buf, size_t len, uint64_t off,
				 size_t *got, struct vmc_diag *d)
{
	size_t n = 0;

	if (off < src->size)
		n = src->size - off < len ? (size_t)(src->size - off) : len;
	if (n)
		memcpy(buf, (const char *)src->priv + off, n);
	*got = n;
	return VMC_OK;
}

static const struct vmc_bytesrc_ops mem_ops = { .pread = mem_pread };

enum vmc_status vmc_bytesrc_new_mem(const char *name, const void *buf, size_t len,
				    struct vmc_bytesrc **ret, struct vmc_diag *d)
{
	struct vmc_bytesrc *src = vmc_bytesrc_alloc(&mem_ops, name);

	if (!src)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	src->priv = (void *)buf;
	src->size = len;
	*ret = src;
	return VMC_OK;
}

enum vmc_status vmc_bytesrc_read_exact(struct vmc_bytesrc *src, void *buf, size_t len, uint64_t off,
				       const char *what, struct vmc_diag *d)
{
	size_t got = 0;
	enum vmc_status rc = src->ops->pread(src, buf, len, off, &got, d);

	if (rc)
		return rc;
	if (got < len)
		return vmc_fail_at(d, VMC_ERR_TRUNCATED, src->name, off + got,
				   "truncated: %s needs 0x%zx bytes at 0x%llx, the input ends at 0x%llx",
				   what, len, (unsigned long long)off, (unsigned long long)(off + got));
	return VMC_OK;
}

uint64_t vmc_bytesrc_next_data(const struct vmc_bytesrc *src, uint64_t off)
{
	off_t r;

	if (src->fd < 0 || off >= src->size)
		return off;
	/* lseek moves the shared offset, which no reader uses: they all pread */
	r = lseek(src->fd, (off_t)off, SEEK_DATA);
	if (r < 0) /* ENXIO: holes to the end; others (procfs, devices): unknown */
		return errno == ENXIO ? src->size : off;
	return (uint64_t)r > off ? ((uint64_t)r < src->size ? (uint64_t)r : src->size) : off;
}

bool vmc_bytesrc_covered(const struct vmc_bytesrc *src, uint64_t off, uint64_t len)
{
	return !src->ops->covered || src->ops->covered(src, off, len);
}
