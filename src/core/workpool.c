/* workpool.c: worker threads over a FIFO of jobs (see workpool.h). */
#include "workpool.h"

#include <pthread.h>
#include <stdlib.h>

struct vmc_workpool {
	pthread_mutex_t lock;
	pthread_cond_t have_job, job_done;
	struct vmc_job *head, *tail;
	pthread_t *threads;
	unsigned nthreads;
	bool stop;
	vmc_job_fn *fn;
	void *arg;
};

struct worker_arg {
	struct vmc_workpool *p;
	unsigned idx;
};

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
		if (!p->head)
			break;
		j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->lock);
		p->fn(j, idx, p->arg);
		pthread_mutex_lock(&p->lock);
		j->done = 1;
		pthread_cond_broadcast(&p->job_done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

enum vmc_status vmc_workpool_new(unsigned nthreads, vmc_job_fn *fn, void *arg, struct vmc_workpool **ret,
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
	if (nthreads > 1) {
		p->threads = calloc(nthreads, sizeof(*p->threads));
		if (!p->threads) {
			vmc_workpool_free(p);
			return vmc_fail(d, VMC_ERR_NOMEM, "worker pool");
		}
		for (unsigned i = 0; i < nthreads; i++) {
			struct worker_arg *wa = malloc(sizeof(*wa));
			if (wa) {
				wa->p = p;
				wa->idx = i;
			}
			if (!wa || pthread_create(&p->threads[i], NULL, worker_main, wa)) {
				free(wa);
				vmc_workpool_free(p);
				return vmc_fail(d, VMC_ERR_NOMEM, "cannot start worker thread %u", i);
			}
			p->nthreads++;
		}
	}
	*ret = p;
	return VMC_OK;
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
	while (!job->done)
		pthread_cond_wait(&p->job_done, &p->lock);
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
