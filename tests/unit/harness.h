/* harness.h: a tiny zero-dependency unit-test harness.
 *
 *   TEST(name) { CHECK(x == 1); REQUIRE(p != NULL); CHECK_EQ(a, b); SKIP("why"); }
 *
 * CHECK records a failure and goes on; REQUIRE and SKIP end the test. Each test binary
 * runs every TEST in it, or only those named with `--only NAME` (repeatable); `--list`
 * prints the names. Exit status: 0 all passed, 1 something failed, 77 everything skipped.
 * tests/unit/CMakeLists.txt greps the TEST( lines to register one ctest per test, so keep
 * each TEST(name) at the start of a line. */
#ifndef VMC_TEST_HARNESS_H
#define VMC_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

struct harness_test {
	const char *name;
	void (*fn)(void);
	struct harness_test *next;
};

void harness_register(struct harness_test *t);
void harness_check(bool ok, const char *file, int line, const char *expr, bool fatal);
_Noreturn void harness_require_failed(const char *file, int line, const char *expr);
void harness_check_eq(uint64_t a, uint64_t b, const char *file, int line, const char *ea, const char *eb);
_Noreturn void harness_skip(const char *why);
/* Failed checks so far in the current test. */
unsigned harness_failures(void);
/* Print a note under the current test (e.g. a diag message next to a failed check). */
void harness_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define TEST(name)                                                                                  \
	static void test_##name(void);                                                              \
	static struct harness_test harness_t_##name = { #name, test_##name, 0 };                    \
	__attribute__((constructor)) static void harness_reg_##name(void)                           \
	{                                                                                           \
		harness_register(&harness_t_##name);                                                \
	}                                                                                           \
	static void test_##name(void)

#define CHECK(cond) harness_check(!!(cond), __FILE__, __LINE__, #cond, false)
#define REQUIRE(cond)                                                  \
	do {                                                           \
		if (!(cond))                                           \
			harness_require_failed(__FILE__, __LINE__, #cond); \
	} while (0)
#define CHECK_EQ(a, b) harness_check_eq((uint64_t)(a), (uint64_t)(b), __FILE__, __LINE__, #a, #b)
#define SKIP(why) harness_skip(why)

#endif
