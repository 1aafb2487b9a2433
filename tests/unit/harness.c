/* harness.c: the runner behind harness.h. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct harness_test *head, **tail = &head;
static jmp_buf escape;
static const char *current;
static unsigned cur_failures, passed, failed, skipped;
enum { END_FAIL = 1, END_SKIP = 2 };

void harness_register(struct harness_test *t)
{
	t->next = NULL;
	*tail = t;
	tail = &t->next;
}

void harness_note(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "    note: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void harness_check(bool ok, const char *file, int line, const char *expr, bool fatal)
{
	if (ok)
		return;
	fprintf(stderr, "  %s:%d: %s: %s failed: %s\n", file, line, current, fatal ? "REQUIRE" : "CHECK", expr);
	cur_failures++;
	if (fatal)
		longjmp(escape, END_FAIL);
}

_Noreturn void harness_require_failed(const char *file, int line, const char *expr)
{
	harness_check(false, file, line, expr, true);
	abort(); /* not reached */
}

void harness_check_eq(uint64_t a, uint64_t b, const char *file, int line, const char *ea, const char *eb)
{
	if (a == b)
		return;
	fprintf(stderr, "  %s:%d: %s: CHECK_EQ failed: %s == %s (0x%llx vs 0x%llx)\n", file, line, current, ea, eb,
		(unsigned long long)a, (unsigned long long)b);
	cur_failures++;
}

unsigned harness_failures(void)
{
	return cur_failures;
}

_Noreturn void harness_skip(const char *why)
{
	fprintf(stderr, "  %s: skipped: %s\n", current, why);
	longjmp(escape, END_SKIP);
}

static int run_one(void (*fn)(void))
{
	int end = setjmp(escape);

	if (end == 0)
		fn();
	return end;
}

static bool selected(const char *name, char **only, int nonly)
{
	for (int i = 0; i < nonly; i++)
		if (strcmp(only[i], name) == 0)
			return true;
	return nonly == 0;
}

int main(int argc, char **argv)
{
	char **only = calloc((size_t)argc, sizeof(*only));
	int nonly = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--list") == 0) {
			for (struct harness_test *t = head; t; t = t->next)
				puts(t->name);
			return 0;
		} else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
			only[nonly++] = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--list] [--only NAME]...\n", argv[0]);
			return 2;
		}
	}
	for (int i = 0; i < nonly; i++) {
		struct harness_test *t = head;
		while (t && strcmp(t->name, only[i]))
			t = t->next;
		if (!t) {
			fprintf(stderr, "no test named %s\n", only[i]);
			return 1;
		}
	}
	for (struct harness_test *t = head; t; t = t->next) {
		int end;
		if (!selected(t->name, only, nonly))
			continue;
		current = t->name;
		cur_failures = 0;
		fprintf(stderr, "%s\n", t->name);
		end = run_one(t->fn);
		if (end == END_SKIP && !cur_failures)
			skipped++;
		else if (cur_failures)
			failed++, fprintf(stderr, "  FAIL %s\n", t->name);
		else
			passed++;
	}
	free(only);
	printf("%u passed, %u failed", passed, failed);
	if (skipped)
		printf(", %u skipped", skipped);
	putchar('\n');
	return failed ? 1 : passed == 0 && skipped ? 77 : 0;
}
