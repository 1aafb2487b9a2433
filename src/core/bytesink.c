/* bytesink.c: the temporary-file sink, the stdout sink and the memory sink. */
#include "bytesink.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"

struct file_sink {
	int fd;
	char *tmp;   /* temporary path, NULL once renamed or for stdout */
	uint64_t pos; /* next offset for sequential sinks */
	bool done;
};

static enum vmc_status errno_status(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EFBIG ? VMC_ERR_NOSPC : VMC_ERR_IO;
}

static enum vmc_status file_pwrite(struct vmc_bytesink *s, const void *buf, size_t len, uint64_t off,
				   struct vmc_diag *d)
{
	struct file_sink *f = s->priv;
	size_t done = 0;

	if (s->sequential && off != f->pos)
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: cannot seek on a pipe (write at 0x%llx, at 0x%llx)",
				s->name, (unsigned long long)off, (unsigned long long)f->pos);
	while (done < len) {
		ssize_t n = s->sequential ? write(f->fd, (const char *)buf + done, len - done)
					  : pwrite(f->fd, (const char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : ENOSPC;
			return vmc_fail_at(d, errno_status(e), s->name, off + done, "write: %s", strerror(e));
		}
		done += (size_t)n;
	}
	f->pos = off + len;
	return VMC_OK;
}

static enum vmc_status file_pread(struct vmc_bytesink *s, void *buf, size_t len, uint64_t off,
				  struct vmc_diag *d)
{
	struct file_sink *f = s->priv;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(f->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vmc_fail_at(d, VMC_ERR_IO, s->name, off + done, "read back: %s",
					   n < 0 ? strerror(errno) : "short read");
		done += (size_t)n;
	}
	return VMC_OK;
}

static enum vmc_status file_reserve(struct vmc_bytesink *s, uint64_t off, uint64_t len, struct vmc_diag *d)
{
	struct file_sink *f = s->priv;
	int e;

	if (off > INT64_MAX || len > INT64_MAX - off)
		return vmc_fail(d, VMC_ERR_LIMIT, "%s: reservation at 0x%llx too large", s->name, (unsigned long long)off);
	/* posix_fallocate writes zeros itself where the file system has no fallocate */
	while ((e = posix_fallocate(f->fd, (off_t)off, (off_t)len)) == EINTR)
		;
	if (e)
		return vmc_fail_at(d, errno_status(e), s->name, off, "allocating 0x%llx bytes: %s",
				   (unsigned long long)len, strerror(e));
	return VMC_OK;
}

static enum vmc_status file_finish(struct vmc_bytesink *s, struct vmc_diag *d)
{
	struct file_sink *f = s->priv;

	if (f->tmp) {
		/* no fsync: like makedumpfile we leave write-back to the kernel; the rename is what
		 * keeps a half-written file from looking complete */
		if (rename(f->tmp, s->name) < 0)
			return vmc_fail(d, VMC_ERR_IO, "%s: rename from %s: %s", s->name, f->tmp, strerror(errno));
		free(f->tmp);
		f->tmp = NULL;
	}
	f->done = true;
	return VMC_OK;
}

static void file_abort(struct vmc_bytesink *s)
{
	struct file_sink *f = s->priv;

	if (f->tmp) {
		unlink(f->tmp);
		free(f->tmp);
		f->tmp = NULL;
	}
}

static void file_free(struct vmc_bytesink *s)
{
	struct file_sink *f = s->priv;

	if (!f)
		return;
	if (f->fd >= 0 && f->fd != STDOUT_FILENO)
		close(f->fd);
	free(f);
}

static const struct vmc_bytesink_ops file_ops = {
	.pwrite = file_pwrite, .pread = file_pread, .reserve = file_reserve, .finish = file_finish,
	.abort = file_abort, .free = file_free,
};
static const struct vmc_bytesink_ops stream_ops = {
	.pwrite = file_pwrite, .finish = file_finish, .abort = file_abort, .free = file_free,
};

enum vmc_status vmc_bytesink_open_file(const char *path, struct vmc_bytesink **ret, struct vmc_diag *d)
{
	struct vmc_bytesink *s = calloc(1, sizeof(*s));
	struct file_sink *f = calloc(1, sizeof(*f));
	struct stat st;

	if (!s || !f) {
		free(s);
		free(f);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	s->priv = f;
	f->fd = -1;
	s->name = strdup(strcmp(path, "-") == 0 ? "<stdout>" : path);
	if (!s->name)
		goto nomem;
	if (strcmp(path, "-") == 0 || (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) {
		/* stdout, a fifo or a device: append-only */
		f->fd = strcmp(path, "-") == 0 ? STDOUT_FILENO : open(path, O_WRONLY | O_CLOEXEC);
		if (f->fd < 0) {
			vmc_fail(d, VMC_ERR_IO, "%s: %s", path, strerror(errno));
			goto fail;
		}
		s->ops = &stream_ops;
		s->sequential = true;
	} else {
		char *dircopy = strdup(path), *base = strdup(path);
		size_t n;

		if (!dircopy || !base) {
			free(dircopy);
			free(base);
			goto nomem;
		}
		/* dirname() may modify its argument: call it once (a second call gave the parent
		 * directory, so the temporary file landed on another file system) */
		const char *dir = dirname(dircopy), *bn = basename(base);
		n = strlen(dir) + strlen(bn) + 32;
		f->tmp = malloc(n);
		if (f->tmp)
			snprintf(f->tmp, n, "%s/.%s.vmcarve-XXXXXX", dir, bn);
		free(dircopy);
		free(base);
		if (!f->tmp)
			goto nomem;
		f->fd = mkostemp(f->tmp, O_CLOEXEC);
		if (f->fd < 0) {
			vmc_fail(d, errno_status(errno), "%s: cannot create temporary file: %s", path, strerror(errno));
			free(f->tmp);
			f->tmp = NULL;
			goto fail;
		}
		{
			mode_t um = umask(0);
			umask(um);
			fchmod(f->fd, 0666 & ~um);
		}
		s->ops = &file_ops;
	}
	*ret = s;
	return VMC_OK;
nomem:
	vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
fail:
	free(s->name);
	file_free(s);
	free(s);
	return d->status;
}

/* ---- memory sink ---- */
struct mem_sink {
	uint8_t *buf;
	size_t len, cap;
};

static enum vmc_status mem_pwrite(struct vmc_bytesink *s, const void *buf, size_t len, uint64_t off,
				  struct vmc_diag *d)
{
	struct mem_sink *m = s->priv;
	size_t end;

	if (off > SIZE_MAX - len || off + len > ((size_t)1 << 34))
		return vmc_fail(d, VMC_ERR_LIMIT, "memory sink: write at 0x%llx too large", (unsigned long long)off);
	end = (size_t)off + len;
	if (end > m->cap) {
		size_t old = m->cap;
		enum vmc_status rc = vmc_grow(&m->buf, &m->cap, end, 65536, d);
		if (rc)
			return vmc_wrap(d, rc, "memory sink");
		memset(m->buf + old, 0, m->cap - old); /* unwritten bytes read as zeros */
	}
	memcpy(m->buf + off, buf, len);
	if (end > m->len)
		m->len = end;
	return VMC_OK;
}

static enum vmc_status mem_pread(struct vmc_bytesink *s, void *buf, size_t len, uint64_t off,
				 struct vmc_diag *d)
{
	struct mem_sink *m = s->priv;

	if (off > m->len || len > m->len - off)
		return vmc_fail(d, VMC_ERR_IO, "memory sink: read back beyond end");
	memcpy(buf, m->buf + off, len);
	return VMC_OK;
}

static enum vmc_status mem_finish(struct vmc_bytesink *s, struct vmc_diag *d)
{
	return VMC_OK;
}

static void mem_abort(struct vmc_bytesink *s)
{
}

static void mem_free(struct vmc_bytesink *s)
{
	struct mem_sink *m = s->priv;

	if (m)
		free(m->buf);
	free(m);
}

static const struct vmc_bytesink_ops mem_ops = {
	.pwrite = mem_pwrite, .pread = mem_pread, .finish = mem_finish, .abort = mem_abort, .free = mem_free,
};

enum vmc_status vmc_bytesink_new_mem(struct vmc_bytesink **ret, struct vmc_diag *d)
{
	struct vmc_bytesink *s = calloc(1, sizeof(*s));

	if (!s || !(s->priv = calloc(1, sizeof(struct mem_sink))) || !(s->name = strdup("<memory>"))) {
		if (s)
			free(s->priv);
		free(s);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	s->ops = &mem_ops;
	*ret = s;
	return VMC_OK;
}

const uint8_t *vmc_bytesink_mem_data(struct vmc_bytesink *s, size_t *len)
{
	struct mem_sink *m = s->priv;

	*len = m->len;
	return m->buf;
}

void vmc_bytesink_free(struct vmc_bytesink *s)
{
	if (!s)
		return;
	if (s->ops->abort)
		s->ops->abort(s);
	if (s->ops->free)
		s->ops->free(s);
	free(s->name);
	free(s);
}
