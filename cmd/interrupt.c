/* interrupt.c: SIGINT, SIGTERM, SIGHUP and SIGPIPE end a run cleanly: the handler only sets the
 * flag vmc_write() watches (the write stops, its output is removed or kept as INCOMPLETE), and
 * the command then ends by that same signal, so a shell sees 128 + N (README "Exit codes"). */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

volatile sig_atomic_t cli_interrupted;
bool cli_interrupt_reported;

static const int caught[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };

static void on_signal(int sig)
{
	/* a second INT/TERM/HUP while cleaning up: give up at once (the temporary file may stay;
	 * the next run names it); further SIGPIPEs are just more writes into the closed pipe */
	if (cli_interrupted && sig != SIGPIPE) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	if (!cli_interrupted)
		cli_interrupted = sig;
}

void cli_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART; /* the library's I/O goes on; the flag stops it within a page */
	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaction(caught[i], &sa, NULL);
}

const char *cli_signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	case SIGPIPE: return "SIGPIPE";
	}
	return "signal";
}

int cli_exit(int code)
{
	int sig = cli_interrupted;
	sigset_t set;

	if (!sig)
		return code;
	/* interrupted outside a write (opening, carving): say so once; a closed pipe needs no words */
	if (!cli_interrupt_reported && sig != SIGPIPE)
		fprintf(stderr, "vmcarve: %s: interrupted\n", cli_signal_name(sig));
	fflush(NULL);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	return 128 + sig; /* not reached */
}

/* ".NAME.vmcarve-XXXXXX", what bytesink.c names its temporary files */
static bool is_temp_name(const char *n)
{
	const char *p = strstr(n, ".vmcarve-");

	if (n[0] != '.' || !p || p == n || strlen(p) != strlen(".vmcarve-XXXXXX"))
		return false;
	for (p += strlen(".vmcarve-"); *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

void cli_stale_temps(const char *dir)
{
	DIR *dh = opendir(dir && *dir ? dir : ".");
	struct dirent *e;

	if (!dh)
		return;
	while ((e = readdir(dh))) {
		char path[4096];
		struct stat st;
		if (!is_temp_name(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : ".", e->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			fprintf(stderr,
				"vmcarve: warning: %s: a temporary file of an interrupted vmcarve run (%.1f MiB); delete it unless a vmcarve is writing there now\n",
				path, (double)st.st_size / 1048576.0);
	}
	closedir(dh);
}

void cli_stale_temps_of(const char *out)
{
	char dir[4096];
	char *slash;

	if (!strcmp(out, "-"))
		return;
	snprintf(dir, sizeof(dir), "%s", out);
	slash = strrchr(dir, '/');
	if (!slash)
		cli_stale_temps(".");
	else {
		slash[slash == dir] = 0; /* "/x" -> "/" */
		cli_stale_temps(dir);
	}
}
