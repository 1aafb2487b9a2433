/* t_workpool.c: the worker pool and the ordered job ring (workpool.c): jobs retire in
 * submission order whatever order they finish in, inline without threads, drained on release. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "workpool.h"

struct job {
	struct vmc_job job; /* first */
	uint64_t seq, result;
	unsigned delay_us;
	unsigned finished; /* order in which the workers finished it */
	unsigned worker;
	pthread_t thread; /* the thread that ran it */
};

static atomic_uint finish_count;

static void run_job(struct vmc_job *j, unsigned worker, void *arg)
{
	struct job *job = (struct job *)j;
	struct timespec ts = { 0, (long)job->delay_us * 1000 };

	(void)arg;
	if (job->delay_us)
		nanosleep(&ts, NULL);
	job->result = job->seq * 2654435761u;
	job->worker = worker;
	job->thread = pthread_self();
	job->finished = atomic_fetch_add(&finish_count, 1);
}

/* Submit njobs through a ring of nslots slots on nthreads threads (nthreads - 1 workers and the
 * caller); later jobs in each round are quicker, so workers finish them out of order. Returns
 * the inversions seen; *by_caller: the jobs the calling thread ran, as worker nthreads - 1 (any
 * other job ran on another thread, as another worker). */
static unsigned run_ring_on(unsigned nthreads, unsigned nslots, unsigned njobs, unsigned *by_caller)
{
	struct job *slots = calloc(nslots, sizeof(*slots));
	struct vmc_workring ring;
	struct vmc_diag d;
	uint64_t next = 0, retired = 0;
	unsigned inversions = 0, last_finished = 0;

	REQUIRE(slots != NULL);
	vmc_diag_init(&d);
	atomic_store(&finish_count, 0);
	REQUIRE(vmc_workring_init(&ring, nthreads, run_job, NULL, slots, sizeof(*slots), nslots, &d) == VMC_OK);
	*by_caller = 0;
	while (retired < njobs) {
		while (next < njobs && ring.count < ring.nslots) {
			struct job *j = vmc_workring_tail(&ring);
			j->seq = next++;
			j->delay_us = nthreads > 1 ? (nslots - (unsigned)(j->seq % nslots)) * 200 : 0;
			vmc_workring_submit(&ring);
		}
		struct job *j = vmc_workring_oldest(&ring);
		CHECK_EQ(j->job.done, 1);
		CHECK_EQ(j->seq, retired);
		CHECK_EQ(j->result, retired * 2654435761u);
		if (retired && j->finished < last_finished)
			inversions++;
		last_finished = j->finished;
		bool mine = pthread_equal(j->thread, pthread_self());
		if (nthreads > 1)
			CHECK_EQ(j->worker == nthreads - 1, mine);
		else /* inline in submit() */
			CHECK(mine && j->worker == 0);
		*by_caller += mine;
		vmc_workring_retire(&ring);
		retired++;
	}
	CHECK_EQ(ring.count, 0);
	vmc_workring_release(&ring);
	free(slots);
	return inversions;
}

static unsigned run_ring(unsigned nthreads, unsigned nslots, unsigned njobs)
{
	unsigned by_caller;

	return run_ring_on(nthreads, nslots, njobs, &by_caller);
}

TEST(workring_retires_in_submission_order)
{
	unsigned inv = run_ring(4, 8, 64);

	/* the order of retirement is checked above; this only says whether the test exercised it */
	harness_note("%u of 63 retirements came after a job that finished later", inv);
}

/* The caller as one of the threads: while it waits for the oldest job it runs queued ones
 * (as worker nthreads - 1, on its own thread), and jobs still retire in submission order. */
TEST(workring_caller_runs_queued_jobs)
{
	unsigned mine = 0, inv = run_ring_on(2, 6, 64, &mine);

	harness_note("the caller ran %u of 64 jobs; %u retirements came after a job that finished later", mine, inv);
	CHECK(mine > 0 && mine < 64); /* it first waits with 5 jobs submitted, 1 worker to take them */
	inv = run_ring_on(3, 8, 64, &mine);
	CHECK(mine > 0 && mine < 64);
	CHECK_EQ(run_ring_on(1, 3, 10, &mine), 0); /* one thread: inline, on the caller's thread */
	CHECK_EQ(mine, 10);
}

TEST(workring_inline_without_threads)
{
	CHECK_EQ(run_ring(0, 1, 10), 0);
	CHECK_EQ(run_ring(1, 3, 10), 0);
}

TEST(workring_release_drains_jobs_in_flight)
{
	enum { N = 6 };
	struct job slots[N];
	struct vmc_workring ring;
	struct vmc_diag d;

	memset(slots, 0, sizeof(slots));
	vmc_diag_init(&d);
	REQUIRE(vmc_workring_init(&ring, 2, run_job, NULL, slots, sizeof(*slots), N, &d) == VMC_OK);
	for (unsigned i = 0; i < N; i++) {
		struct job *j = vmc_workring_tail(&ring);
		j->seq = i + 1;
		j->delay_us = 2000;
		vmc_workring_submit(&ring);
	}
	vmc_workring_release(&ring);
	for (unsigned i = 0; i < N; i++) {
		CHECK_EQ(slots[i].job.done, 1);
		CHECK_EQ(slots[i].result, (i + 1) * 2654435761ull);
	}
	CHECK(ring.pool == NULL);
	vmc_workring_release(&ring); /* twice is harmless */
}

TEST(workpool_wait_in_any_order)
{
	enum { N = 16 };
	struct job jobs[N];
	struct vmc_workpool *pool;
	struct vmc_diag d;

	memset(jobs, 0, sizeof(jobs));
	vmc_diag_init(&d);
	REQUIRE(vmc_workpool_new(3, run_job, NULL, &pool, &d) == VMC_OK);
	CHECK_EQ(vmc_workpool_workers(pool), 3);
	for (unsigned i = 0; i < N; i++) {
		jobs[i].seq = i;
		jobs[i].delay_us = (i % 4) * 300;
		vmc_workpool_submit(pool, &jobs[i].job);
	}
	for (unsigned i = N; i-- > 0;) {
		vmc_workpool_wait(pool, &jobs[i].job);
		CHECK_EQ(jobs[i].result, i * 2654435761ull);
		CHECK(jobs[i].worker < 3);
	}
	vmc_workpool_free(pool);
	REQUIRE(vmc_workpool_new(0, run_job, NULL, &pool, &d) == VMC_OK);
	CHECK_EQ(vmc_workpool_workers(pool), 1);
	jobs[0].delay_us = 0;
	vmc_workpool_submit(pool, &jobs[0].job);
	CHECK_EQ(jobs[0].job.done, 1); /* ran inline */
	vmc_workpool_free(pool);
}

/* Workers block every signal (a program's handler then runs on its own thread, where it can
 * interrupt a blocking call), and the caller's mask is left as it was. */
static void mask_job(struct vmc_job *j, unsigned worker, void *arg)
{
	sigset_t cur;

	(void)worker;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	((struct job *)j)->result = (uint64_t)(sigismember(&cur, SIGINT) == 1 && sigismember(&cur, SIGTERM) == 1 &&
					      sigismember(&cur, SIGHUP) == 1 && sigismember(&cur, SIGPIPE) == 1);
	(void)arg;
}

TEST(workers_block_signals)
{
	struct job jobs[4];
	struct vmc_workpool *pool;
	struct vmc_diag d;
	sigset_t before, after;

	memset(jobs, 0, sizeof(jobs));
	vmc_diag_init(&d);
	pthread_sigmask(SIG_BLOCK, NULL, &before);
	REQUIRE(vmc_workpool_new(2, mask_job, NULL, &pool, &d) == VMC_OK);
	pthread_sigmask(SIG_BLOCK, NULL, &after);
	CHECK(sigismember(&after, SIGINT) == sigismember(&before, SIGINT));
	CHECK(sigismember(&after, SIGTERM) == sigismember(&before, SIGTERM));
	for (unsigned i = 0; i < 4; i++)
		vmc_workpool_submit(pool, &jobs[i].job);
	for (unsigned i = 0; i < 4; i++) {
		vmc_workpool_wait(pool, &jobs[i].job);
		CHECK_EQ(jobs[i].result, 1);
	}
	vmc_workpool_free(pool);
}

TEST(workring_slots_bounded_by_budget)
{
	/* a few threads: the wanted count fits the budget */
	CHECK_EQ(vmc_workring_slots(2, 6, 1u << 20, 16u << 20), 6);
	/* many threads: capped by the budget, never below one slot per worker plus one */
	CHECK_EQ(vmc_workring_slots(8, 24, 1u << 20, 16u << 20), 16);
	CHECK_EQ(vmc_workring_slots(16, 48, 1u << 20, 16u << 20), 17);
	CHECK_EQ(vmc_workring_slots(64, 192, 1u << 20, 16u << 20), 65);
	/* slots bigger than the budget */
	CHECK_EQ(vmc_workring_slots(1, 3, 64u << 20, 16u << 20), 2);
}
