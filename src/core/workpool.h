/* workpool.h: a fixed set of worker threads running jobs; the submitter waits for jobs in the
 * order it chooses, which keeps outputs deterministic whatever the thread count. */
#ifndef VMC_WORKPOOL_H
#define VMC_WORKPOOL_H

#include <pthread.h>
#include <sched.h>

#include "diag.h"

struct vmc_job {
	struct vmc_job *next;
	int done;
};

typedef void vmc_job_fn(struct vmc_job *job, unsigned worker, void *arg);

struct vmc_workpool;

/* Start one of the library's threads: a 1 MiB stack (its buffers are on the heap; the default
 * 8 MiB would count against an address-space limit, as in a small kdump kernel), every signal
 * blocked (the program's handlers run on its own thread, whose blocking calls they interrupt,
 * and never in the library), on the CPUs in cpus when given. Returns pthread_create's error. */
int vmc_thread_start(pthread_t *t, void *(*fn)(void *), void *arg, const cpu_set_t *cpus);

/* nthreads 0 or 1 runs every job inline in submit(). */
enum vmc_status vmc_workpool_new(unsigned nthreads, vmc_job_fn *fn, void *arg, struct vmc_workpool **ret,
				 struct vmc_diag *d);
void vmc_workpool_submit(struct vmc_workpool *p, struct vmc_job *job);
void vmc_workpool_wait(struct vmc_workpool *p, struct vmc_job *job);
unsigned vmc_workpool_workers(const struct vmc_workpool *p);
void vmc_workpool_free(struct vmc_workpool *p);

/* An ordered ring of jobs over a pool of its own: jobs are submitted at the tail and retired
 * from the head in submission order, whatever order the workers finish them in. That order is
 * what keeps outputs byte-identical for any thread count. The slots are the caller's: an
 * array of nslots structs of slot_size bytes, each starting with its struct vmc_job. */
struct vmc_workring {
	struct vmc_workpool *pool;
	unsigned char *slots;
	size_t slot_size;
	unsigned nslots, head, count; /* jobs in flight: slots head .. head + count (mod nslots) */
};

/* How many slots a ring of nthreads workers gets: `want`, but no more than `budget` bytes of
 * slot buffers (slot_bytes each) in all, and never fewer than nthreads + 1 (every
 * worker busy while the oldest slot is retired). Bounds the memory in flight whatever
 * --threads says (issue 14: 64 MiB). Any count gives the same output: slots retire in order. */
unsigned vmc_workring_slots(unsigned nthreads, unsigned want, size_t slot_bytes, size_t budget);

/* A ring on nthreads threads, the caller one of them: nthreads - 1 workers, and a caller that
 * waits for a job runs queued ones meanwhile, as worker nthreads - 1 (fn gets that index,
 * each slot's job and arg); 0 or 1 runs every job inline in submit(). No thread more than
 * CPUs when nthreads is their count: with a worker per CPU and the caller retiring besides,
 * 2 threads took 9 % longer (lzo, KVM bed). */
enum vmc_status vmc_workring_init(struct vmc_workring *r, unsigned nthreads, vmc_job_fn *fn, void *arg, void *slots,
				  size_t slot_size, unsigned nslots, struct vmc_diag *d);
/* The slot after the last one submitted, to fill and then submit; the ring must not be full. */
void *vmc_workring_tail(const struct vmc_workring *r);
void vmc_workring_submit(struct vmc_workring *r);
/* The oldest job in flight, once it is done; it stays in the ring until retire(). */
void *vmc_workring_oldest(struct vmc_workring *r);
void vmc_workring_retire(struct vmc_workring *r);
/* Waits for the jobs in flight (their slots may be freed after), stops the workers. */
void vmc_workring_release(struct vmc_workring *r);

#endif
