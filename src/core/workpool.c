/* workpool.c: worker threads over a FIFO of jobs, and the ordered ring of jobs over them (see workpool.h). */
#include "workpool.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

enum { WORKER_STACK = 1 << 20 }; /* see vmc_thread_start */

struct vmc_workpool {
	pthread_mutex_t lock;
	pthread_cond_t have_job, job_done;
	struct vmc_job *head, *tail;
	pthread_t *threads;
	unsigned nthreads;
	bool stop;
	bool helps;       /* wait() runs queued jobs itself, as worker help_idx */
	unsigned help_idx;
	vmc_job_fn *fn;
	void *arg;
};

struct worker_arg {
	struct vmc_workpool *p;
	unsigned idx;
};

/* The oldest queued job, taken off the queue (the lock held); NULL if none. */
static struct vmc_job *take(struct vmc_workpool *p)
{
	struct vmc_job *j = p->head;

	if (j && !(p->head = j->next))
		p->tail = NULL;
	return j;
}

/* Job j run on this thread as worker idx (the lock held, and again on return). */
static void run(struct vmc_workpool *p, struct vmc_job *j, unsigned idx)
{
	pthread_mutex_unlock(&p->lock);
	p->fn(j, idx, p->arg);
	pthread_mutex_lock(&p->lock);
	j->done = 1;
	pthread_cond_broadcast(&p->job_done);
}

static void *worker_main(void *a)
{
	struct worker_arg *wa = a;
	struct vmc_workpool *p = wa->p;
	unsigned idx = wa->idx;

	free(wa);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct vmc_job *j;
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->have_job, &p->lock);
		if (!(j = take(p)))
			break;
		run(p, j, idx);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int vmc_thread_start(pthread_t *t, void *(*fn)(void *), void *arg, const cpu_set_t *cpus)
{
	sigset_t all, old;
	pthread_attr_t attr;
	int err;

	if ((err = pthread_attr_init(&attr)))
		return err;
	pthread_attr_setstacksize(&attr, WORKER_STACK);
	if (cpus)
		pthread_attr_setaffinity_np(&attr, sizeof(*cpus), cpus);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* the new thread inherits the mask */
	err = pthread_create(t, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return err;
}

static int start_workers(struct vmc_workpool *p, unsigned nthreads)
{
	int err = 0;

	for (unsigned i = 0; i < nthreads && !err; i++) {
		struct worker_arg *wa = malloc(sizeof(*wa));
		if (wa) {
			wa->p = p;
			wa->idx = i;
		}
		err = !wa || vmc_thread_start(&p->threads[i], worker_main, wa, NULL);
		if (err)
			free(wa);
		else
			p->nthreads++;
	}
	return err;
}

/* A pool of nworkers threads (0: jobs run inline in submit()). */
static enum vmc_status pool_new(unsigned nworkers, vmc_job_fn *fn, void *arg, struct vmc_workpool **ret,
				struct vmc_diag *d)
{
	struct vmc_workpool *p = calloc(1, sizeof(*p));

	if (!p)
		return vmc_fail(d, VMC_ERR_NOMEM, "worker pool");
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->have_job, NULL);
	pthread_cond_init(&p->job_done, NULL);
	if (nworkers) {
		p->threads = calloc(nworkers, sizeof(*p->threads));
		if (!p->threads) {
			vmc_workpool_free(p);
			return vmc_fail(d, VMC_ERR_NOMEM, "worker pool");
		}
		if (start_workers(p, nworkers)) {
			unsigned started = p->nthreads;
			vmc_workpool_free(p);
			return vmc_fail(d, VMC_ERR_NOMEM, "cannot start worker thread %u", started);
		}
	}
	*ret = p;
	return VMC_OK;
}

enum vmc_status vmc_workpool_new(unsigned nthreads, vmc_job_fn *fn, void *arg, struct vmc_workpool **ret,
				 struct vmc_diag *d)
{
	return pool_new(nthreads > 1 ? nthreads : 0, fn, arg, ret, d);
}

unsigned vmc_workpool_workers(const struct vmc_workpool *p)
{
	return p->nthreads ? p->nthreads : 1;
}

void vmc_workpool_submit(struct vmc_workpool *p, struct vmc_job *job)
{
	job->next = NULL;
	job->done = 0;
	if (!p->nthreads) {
		p->fn(job, 0, p->arg);
		job->done = 1;
		return;
	}
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	pthread_cond_signal(&p->have_job);
	pthread_mutex_unlock(&p->lock);
}

void vmc_workpool_wait(struct vmc_workpool *p, struct vmc_job *job)
{
	if (!p->nthreads)
		return;
	pthread_mutex_lock(&p->lock);
	while (!job->done) {
		struct vmc_job *j = p->helps ? take(p) : NULL;
		if (j)
			run(p, j, p->help_idx);
		else
			pthread_cond_wait(&p->job_done, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
}

void vmc_workpool_free(struct vmc_workpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->have_job);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->have_job);
	pthread_cond_destroy(&p->job_done);
	free(p);
}

enum vmc_status vmc_workring_init(struct vmc_workring *r, unsigned nthreads, vmc_job_fn *fn, void *arg, void *slots,
				  size_t slot_size, unsigned nslots, struct vmc_diag *d)
{
	enum vmc_status rc;

	*r = (struct vmc_workring){ .slots = slots, .slot_size = slot_size, .nslots = nslots };
	if ((rc = pool_new(nthreads > 1 ? nthreads - 1 : 0, fn, arg, &r->pool, d)) || nthreads < 2)
		return rc;
	r->pool->helps = true;
	r->pool->help_idx = nthreads - 1;
	return VMC_OK;
}

static struct vmc_job *slot(const struct vmc_workring *r, unsigned i)
{
	return (struct vmc_job *)(void *)(r->slots + (size_t)(i % r->nslots) * r->slot_size);
}

void *vmc_workring_tail(const struct vmc_workring *r)
{
	return slot(r, r->head + r->count);
}

void vmc_workring_submit(struct vmc_workring *r)
{
	struct vmc_job *job = slot(r, r->head + r->count);

	r->count++;
	vmc_workpool_submit(r->pool, job);
}

void *vmc_workring_oldest(struct vmc_workring *r)
{
	struct vmc_job *job = slot(r, r->head);

	vmc_workpool_wait(r->pool, job);
	return job;
}

void vmc_workring_retire(struct vmc_workring *r)
{
	r->head = (r->head + 1) % r->nslots;
	r->count--;
}

void vmc_workring_release(struct vmc_workring *r)
{
	if (!r->pool)
		return;
	/* let in-flight jobs finish before their slots go away */
	for (unsigned i = 0; i < r->count; i++)
		vmc_workpool_wait(r->pool, slot(r, r->head + i));
	vmc_workpool_free(r->pool);
	r->pool = NULL;
	r->count = 0;
}

unsigned vmc_workring_slots(unsigned nthreads, unsigned want, size_t slot_bytes, size_t budget)
{
	size_t fit = slot_bytes ? budget / slot_bytes : want;

	if (want > fit)
		want = (unsigned)fit;
	return want < nthreads + 1 ? nthreads + 1 : want;
}
