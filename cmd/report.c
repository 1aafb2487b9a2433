/* report.c: error lines, warnings and the terminal progress bar. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int cli_error(const struct vmc_diag *d)
{
	if (d->status == VMC_ERR_CANCELLED && cli_interrupted) {
		fprintf(stderr, "vmcarve: %s: %s\n", cli_signal_name(cli_interrupted), d->msg);
		cli_interrupt_reported = true;
	} else
		fprintf(stderr, "vmcarve: %s\n", d->msg[0] ? d->msg : vmc_status_name(d->status));
	return EXIT_FAIL;
}

void cli_warnings(const struct vmc_diag *d)
{
	unsigned shown = d->nwarn < 4 ? d->nwarn : 4;

	for (unsigned i = 0; i < shown; i++)
		fprintf(stderr, "vmcarve: warning: %s\n", d->warn[i]);
	if (d->nwarn > shown)
		fprintf(stderr, "vmcarve: warning: ... and %u more\n", d->nwarn - shown);
}

struct cli_progress {
	const char *what;
	struct timespec t0;
	int last_pct;
};

static double now_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

struct cli_progress *cli_progress_new(const char *what)
{
	struct cli_progress *p;

	if (!isatty(STDERR_FILENO))
		return NULL; /* quiet when not on a terminal */
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->what = what;
	p->last_pct = -1;
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	return p;
}

void cli_progress_update(uint64_t done, uint64_t total, void *arg)
{
	struct cli_progress *p = arg;
	double el, rate, eta;
	int pct, bars;

	if (!p || !total)
		return;
	pct = (int)(done * 100 / total);
	if (pct == p->last_pct)
		return;
	p->last_pct = pct;
	el = now_since(&p->t0);
	rate = el > 0 ? (double)done / el : 0;
	eta = rate > 0 ? (double)(total - done) / rate : 0;
	bars = pct / 4;
	fprintf(stderr, "\r%s [%.*s%*s] %3d%% %7.0f pages/s ETA %d:%02d ", p->what, bars,
		"=========================", 25 - bars, "", pct, rate, (int)eta / 60, (int)eta % 60);
}

void cli_progress_end(struct cli_progress *p, bool drawn)
{
	if (!p)
		return;
	if (drawn)
		fputc('\n', stderr);
	free(p);
}
