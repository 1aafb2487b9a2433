/* workpool.h: a fixed set of worker threads running jobs; the submitter waits for jobs in the
 * order it chooses, which keeps outputs deterministic whatever the thread count. */
#ifndef VMC_WORKPOOL_H
#define VMC_WORKPOOL_H

#include "diag.h"

struct vmc_job {
	struct vmc_job *next;
	int done;
};

typedef void vmc_job_fn(struct vmc_job *job, unsigned worker, void *arg);

struct vmc_workpool;

/* nthreads 0 or 1 runs every job inline in submit(). */
enum vmc_status vmc_workpool_new(unsigned nthreads, vmc_job_fn *fn, void *arg, struct vmc_workpool **ret,
				 struct vmc_diag *d);
void vmc_workpool_submit(struct vmc_workpool *p, struct vmc_job *job);
void vmc_workpool_wait(struct vmc_workpool *p, struct vmc_job *job);
unsigned vmc_workpool_workers(const struct vmc_workpool *p);
void vmc_workpool_free(struct vmc_workpool *p);

#endif
