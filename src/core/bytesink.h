/* bytesink.h: byte sinks behind a small vtable. The file sink writes to a temporary file next
 * to the target and renames it only on finish(), so a failed run never leaves a file that
 * looks complete. The flattened sink turns positional writes into makedumpfile's flattened
 * records, for pipes and stdout. */
#ifndef VMC_BYTESINK_H
#define VMC_BYTESINK_H

#include "diag.h"

struct vmc_bytesink;

struct vmc_bytesink_ops {
	enum vmc_status (*pwrite)(struct vmc_bytesink *s, const void *buf, size_t len, uint64_t off,
				  struct vmc_diag *d);
	/* Read back bytes written earlier; NULL when the sink cannot (a pipe). */
	enum vmc_status (*pread)(struct vmc_bytesink *s, void *buf, size_t len, uint64_t off,
				 struct vmc_diag *d);
	/* Allocate [off, off+len) now, reading as zeros, so that later writes inside it cannot fail
	 * for lack of space (the kdump writer's descriptor table, see kdump_write.c). NULL when
	 * the sink cannot promise that (pipes, flattened streams, memory). */
	enum vmc_status (*reserve)(struct vmc_bytesink *s, uint64_t off, uint64_t len, struct vmc_diag *d);
	/* Make the output final (rename into place). Called at most once. */
	enum vmc_status (*finish)(struct vmc_bytesink *s, struct vmc_diag *d);
	/* Discard the output (remove the temporary file). Safe after a failed finish. */
	void (*abort)(struct vmc_bytesink *s);
	void (*free)(struct vmc_bytesink *s);
};

struct vmc_bytesink {
	const struct vmc_bytesink_ops *ops;
	char *name; /* the final path, for messages (owned) */
	void *priv;
	bool sequential; /* only appends are possible (pipe/stdout) */
};

/* Create a sink for path; "-" means stdout (sequential). */
enum vmc_status vmc_bytesink_open_file(const char *path, struct vmc_bytesink **ret, struct vmc_diag *d);

/* A sink into a growable memory buffer (tests, fuzzing). */
enum vmc_status vmc_bytesink_new_mem(struct vmc_bytesink **ret, struct vmc_diag *d);
const uint8_t *vmc_bytesink_mem_data(struct vmc_bytesink *s, size_t *len);

/* Abort (if not finished) and free. NULL is a no-op. */
void vmc_bytesink_free(struct vmc_bytesink *s);

#endif
