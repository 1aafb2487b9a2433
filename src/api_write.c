/* api_write.c: the public API's writing side: open the output (a temporary file renamed on
 * success; flattened when asked or when it is a pipe) and run the conversion pipeline into it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "convert.h"
#include "flat.h"
#include "linux_pageclass.h"
#include "registry.h"

_Static_assert(VMC_COMPRESS_ZSTD - VMC_COMPRESS_NONE == VMC_CODEC_ZSTD - VMC_CODEC_NONE &&
		       VMC_COMPRESS_ZLIB - VMC_COMPRESS_NONE == VMC_CODEC_ZLIB &&
		       VMC_COMPRESS_LZO - VMC_COMPRESS_NONE == VMC_CODEC_LZO &&
		       VMC_COMPRESS_SNAPPY - VMC_COMPRESS_NONE == VMC_CODEC_SNAPPY,
	       "enum vmc_compression follows enum vmc_codec_id");
_Static_assert((int)VMC_FILTER_ZERO == VMC_PGC_ZERO && (int)VMC_FILTER_CACHE_PRIVATE == VMC_PGC_CACHE_PRI &&
		       (int)VMC_FILTER_USER == VMC_PGC_USER && (int)VMC_FILTER_FREE == VMC_PGC_FREE &&
		       (int)VMC_FILTER_OFFLINE == VMC_PGC_OFFLINE && (int)VMC_FILTER_NOMAP == VMC_PGC_NOMAP && VMC_PGC_N <= 8,
	       "enum vmc_filter_class follows enum vmc_pgc");

/* *is_file: the output is a regular file (removed again on failure), not a pipe */
static enum vmc_status open_output(const char *path, bool flat, struct vmc_bytesink **ret, bool *is_file,
				   struct vmc_diag *d)
{
	struct vmc_bytesink *sink = NULL, *fs;
	enum vmc_status rc = vmc_bytesink_open_file(path, &sink, d);

	*is_file = !rc && !sink->sequential;
	/* a pipe or FIFO cannot be seeked back into: the flattened format is made for that */
	if (!rc && (flat || sink->sequential)) {
		rc = vmc_bytesink_new_flat(sink, &fs, d);
		if (rc)
			vmc_bytesink_free(sink);
		sink = rc ? NULL : fs;
	}
	*ret = sink;
	return rc;
}

/* The public options as the pipeline's. */
static enum vmc_status convert_opts(const struct vmc_write_options *o, struct vmc_convert_opts *c,
				    struct vmc_diag *d)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (o->format > VMC_FORMAT_FLAT || o->compression > VMC_COMPRESS_ZSTD)
		return vmc_fail(d, VMC_ERR_ARGS, "unknown output format %d or compression %d", (int)o->format,
				(int)o->compression);
	if (o->format == VMC_FORMAT_ELF && o->compression > VMC_COMPRESS_NONE)
		return vmc_fail(d, VMC_ERR_ARGS, "ELF output stores pages uncompressed");
	if (o->dump_level < 0 || o->dump_level > 31)
		return vmc_fail(d, VMC_ERR_ARGS, "dump level %d: it is 0 to 31", o->dump_level);
	if (o->threads > 1024)
		return vmc_fail(d, VMC_ERR_ARGS, "%u threads: at most 1024", o->threads);
	*c = (struct vmc_convert_opts){
		.writer = vmc_registry_writer(o->format == VMC_FORMAT_ELF ? "elf" : "kdump"),
		.wopts = {
			.codec = o->compression == VMC_COMPRESS_DEFAULT ? VMC_CODEC_LZO
									: (enum vmc_codec_id)(o->compression - VMC_COMPRESS_NONE),
			.threads = o->threads ? o->threads : ncpu > 0 ? (unsigned)ncpu : 1,
			.dedup = !o->no_dedup,
			.zero_share = (o->dump_level & 1) != 0,
		},
		.partial = o->partial,
		.dump_level = o->dump_level,
		.keep_guests = o->keep_guests,
		.drop_zero = o->format == VMC_FORMAT_ELF,
		.progress = o->progress,
		.progress_arg = o->progress_arg,
		.cancel = o->cancel,
		.keep_partial = o->keep_partial,
	};
	return VMC_OK;
}

static void stats_add(struct vmc_writer_stats *sum, const struct vmc_writer_stats *w)
{
	sum->pages += w->pages;
	sum->zero_pages += w->zero_pages;
	sum->dedup_pages += w->dedup_pages;
	sum->raw_pages += w->raw_pages;
	sum->missing_pages += w->missing_pages;
	sum->bytes_out += w->bytes_out;
	/* every part classifies the whole dump: the same counts each time */
	memcpy(sum->filtered, w->filtered, sizeof(sum->filtered));
	sum->guest_kept = w->guest_kept;
	sum->partial_kept |= w->partial_kept;
}

static void stats_of(struct vmc_write_stats *s, bool opened, const struct vmc_writer_stats *w)
{
	*s = (struct vmc_write_stats){ .size = sizeof(*s), .output_opened = opened, .pages = w->pages,
				       .zero_pages = w->zero_pages, .dedup_pages = w->dedup_pages,
				       .raw_pages = w->raw_pages, .missing_pages = w->missing_pages,
				       .bytes_out = w->bytes_out };
	memcpy(s->filtered, w->filtered, sizeof(s->filtered));
	s->guest_kept = w->guest_kept;
	s->partial_kept = w->partial_kept;
}

/* What became of the output after a failure that left a partial one. */
static void say_removed(struct vmc_diag *d, bool is_file)
{
	size_t n = strlen(d->msg);

	if (is_file)
		snprintf(d->msg + n, sizeof(d->msg) - n, " (the partial output was removed)");
	else if (d->status == VMC_ERR_CANCELLED)
		snprintf(d->msg + n, sizeof(d->msg) - n, " (the stream ends without its end marker)");
}

/* One output file: open it, convert into it; *opened: the output was created. */
static enum vmc_status write_one(struct vmc_dump *dump, const char *path, const struct vmc_write_options *opts,
				 const struct vmc_convert_opts *copts, struct vmc_writer_stats *wstats, bool *opened,
				 struct vmc_diag *d)
{
	struct vmc_bytesink *sink = NULL;
	bool is_file = false;
	enum vmc_status rc = open_output(path, opts->format == VMC_FORMAT_FLAT, &sink, &is_file, d);

	*opened = sink != NULL;
	if (rc)
		return rc;
	rc = vmc_convert(dump, sink, copts, wstats, d);
	vmc_bytesink_free(sink); /* finished on success, else aborted: a regular file is removed */
	if ((rc == VMC_ERR_NOSPC || rc == VMC_ERR_CANCELLED) && !wstats->partial_kept)
		say_removed(d, is_file);
	return rc;
}

static enum vmc_status check_split(const struct vmc_write_options *o, const char *path, struct vmc_diag *d)
{
	if (o->split_parts > 1024 || o->split_part > o->split_parts)
		return vmc_fail(d, VMC_ERR_ARGS, "split part %u of %u: parts are 1..N, N at most 1024", o->split_part,
				o->split_parts);
	if (o->split_parts > 1 && o->format != VMC_FORMAT_KDUMP)
		return vmc_fail(d, VMC_ERR_ARGS, "a split set is made of kdump-compressed files (makedumpfile --split)");
	if (o->split_parts > 1 && strcmp(path, "-") == 0)
		return vmc_fail(d, VMC_ERR_ARGS, "a split set is written to files, not to stdout");
	return VMC_OK;
}

/* The parts of a split set one by one (each uses every compression thread), as path.K. A
 * failure removes the parts this call had finished: a set with a hole is not a dump. An
 * interruption that kept its part as INCOMPLETE (keep_partial) keeps the finished ones too. */
static enum vmc_status write_split(struct vmc_dump *dump, const char *path, const struct vmc_write_options *opts,
				   struct vmc_convert_opts *copts, struct vmc_writer_stats *sum, bool *opened,
				   struct vmc_diag *d)
{
	unsigned first = opts->split_part ? opts->split_part : 1, last = opts->split_part ? opts->split_part : opts->split_parts;
	size_t plen = strlen(path) + 16;
	char *name = malloc(plen);
	enum vmc_status rc = VMC_OK;
	unsigned k;

	if (!name)
		return vmc_fail(d, VMC_ERR_NOMEM, "part file name");
	copts->split_parts = opts->split_parts;
	for (k = first; k <= last && !rc; k++) {
		struct vmc_writer_stats w = { 0 };
		bool part_opened;

		snprintf(name, plen, "%s.%u", path, k);
		copts->split_index = k - 1;
		rc = write_one(dump, name, opts, copts, &w, &part_opened, d);
		*opened |= part_opened;
		stats_add(sum, &w);
	}
	/* interrupted with the part kept as INCOMPLETE: the finished parts stay with it */
	for (unsigned j = first; rc && !sum->partial_kept && j + 1 < k; j++) {
		snprintf(name, plen, "%s.%u", path, j);
		unlink(name);
	}
	free(name);
	return rc;
}

enum vmc_status vmc_write(struct vmc_dump *dump, const char *path, const struct vmc_write_options *o,
			  struct vmc_write_stats *stats, struct vmc_diag *d)
{
	struct vmc_write_options opts;
	struct vmc_convert_opts copts;
	struct vmc_writer_stats wstats = { 0 };
	struct vmc_write_stats out;
	bool opened = false;
	enum vmc_status rc;

	if (!(rc = vmc_api_opts_in(&opts, sizeof(opts), o, "struct vmc_write_options", d)) &&
	    !(rc = convert_opts(&opts, &copts, d)) && !(rc = check_split(&opts, path, d)) && strcmp(path, "-") == 0 &&
	    opts.format == VMC_FORMAT_ELF)
		rc = vmc_fail(d, VMC_ERR_ARGS, "ELF output needs a seekable file");
	if (!rc)
		rc = opts.split_parts > 1 ? write_split(dump, path, &opts, &copts, &wstats, &opened, d)
					  : write_one(dump, path, &opts, &copts, &wstats, &opened, d);
	stats_of(&out, opened, &wstats);
	if (stats && vmc_api_info_out(stats, &out, sizeof(out), "struct vmc_write_stats", d) && !rc)
		rc = d->status;
	return rc;
}

enum vmc_status vmc_dump_page_stats(struct vmc_dump *dump, struct vmc_page_stats *st, struct vmc_diag *d)
{
	struct vmc_page_stats own = { .size = sizeof(own) };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	enum vmc_status rc;

	_Static_assert(VMC_PGC_N == sizeof(own.classes) / sizeof(own.classes[0]), "one count per class");
	own.pages = vmc_bitmap_count(&dump->stored);
	if ((rc = vmc_convert_classify(dump, VMC_DL_MAX, ncpu > 0 ? (unsigned)ncpu : 1, own.classes, &own.remaining, d)))
		return rc;
	return vmc_api_info_out(st, &own, sizeof(own), "struct vmc_page_stats", d);
}
