/* replay.c: a main() for the fuzz targets without libFuzzer (gcc builds, ctest): runs
 * LLVMFuzzerTestOneInput on the empty input and then on every file named, or found in the
 * directories named (sorted, not recursive). Arguments starting with '-' are ignored, so
 * libFuzzer-style command lines work. Each input sits in a buffer of exactly its size, so
 * sanitizers catch reads past its end. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		perror(path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(len ? buf : NULL, (size_t)len);
	free(buf);
	return 0;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	unsigned ran = 0, failed = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (argv[i][0] == '-')
			continue;
		if (stat(argv[i], &st)) {
			perror(argv[i]);
			failed++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			struct dirent **ents;
			int n = scandir(argv[i], &ents, NULL, cmp_names);
			if (n < 0) {
				perror(argv[i]);
				failed++;
				continue;
			}
			for (int k = 0; k < n; k++) {
				char path[4096];
				struct stat fst;
				snprintf(path, sizeof(path), "%s/%s", argv[i], ents[k]->d_name);
				if (ents[k]->d_name[0] != '.' && stat(path, &fst) == 0 && S_ISREG(fst.st_mode)) {
					if (run_file(path))
						failed++;
					else
						ran++;
				}
				free(ents[k]);
			}
			free(ents);
		} else if (run_file(argv[i])) {
			failed++;
		} else {
			ran++;
		}
	}
	fprintf(stderr, "replay: %u input(s) ran, %u unreadable\n", ran, failed);
	return failed ? 1 : 0;
}
