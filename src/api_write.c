/* api_write.c: the public API's writing side: open the output (a temporary file renamed on
 * success; flattened when asked or when it is a pipe) and run the conversion pipeline into it. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "convert.h"
#include "flat.h"
#include "registry.h"

_Static_assert(VMC_COMPRESS_ZSTD - VMC_COMPRESS_NONE == VMC_CODEC_ZSTD - VMC_CODEC_NONE &&
		       VMC_COMPRESS_ZLIB - VMC_COMPRESS_NONE == VMC_CODEC_ZLIB &&
		       VMC_COMPRESS_LZO - VMC_COMPRESS_NONE == VMC_CODEC_LZO &&
		       VMC_COMPRESS_SNAPPY - VMC_COMPRESS_NONE == VMC_CODEC_SNAPPY,
	       "enum vmc_compression follows enum vmc_codec_id");

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
	if (o->threads > 1024)
		return vmc_fail(d, VMC_ERR_ARGS, "%u threads: at most 1024", o->threads);
	*c = (struct vmc_convert_opts){
		.writer = vmc_registry_writer(o->format == VMC_FORMAT_ELF ? "elf" : "kdump"),
		.wopts = {
			.codec = o->compression == VMC_COMPRESS_DEFAULT ? VMC_CODEC_LZO
									: (enum vmc_codec_id)(o->compression - VMC_COMPRESS_NONE),
			.threads = o->threads ? o->threads : ncpu > 0 ? (unsigned)ncpu : 1,
			.dedup = !o->no_dedup,
		},
		.partial = o->partial,
		.progress = o->progress,
		.progress_arg = o->progress_arg,
		.cancel = o->cancel,
		.keep_partial = o->keep_partial,
	};
	return VMC_OK;
}

static void stats_of(struct vmc_write_stats *s, bool opened, const struct vmc_writer_stats *w)
{
	*s = (struct vmc_write_stats){ .size = sizeof(*s), .output_opened = opened, .pages = w->pages,
				       .zero_pages = w->zero_pages, .dedup_pages = w->dedup_pages,
				       .raw_pages = w->raw_pages, .missing_pages = w->missing_pages,
				       .bytes_out = w->bytes_out, .partial_kept = w->partial_kept };
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

enum vmc_status vmc_write(struct vmc_dump *dump, const char *path, const struct vmc_write_options *o,
			  struct vmc_write_stats *stats, struct vmc_diag *d)
{
	struct vmc_write_options opts;
	struct vmc_convert_opts copts;
	struct vmc_writer_stats wstats = { 0 };
	struct vmc_write_stats out;
	struct vmc_bytesink *sink = NULL;
	bool is_file = false;
	enum vmc_status rc;

	if (!(rc = vmc_api_opts_in(&opts, sizeof(opts), o, "struct vmc_write_options", d)) &&
	    !(rc = convert_opts(&opts, &copts, d)) && strcmp(path, "-") == 0 && opts.format == VMC_FORMAT_ELF)
		rc = vmc_fail(d, VMC_ERR_ARGS, "ELF output needs a seekable file");
	if (!rc && !(rc = open_output(path, opts.format == VMC_FORMAT_FLAT, &sink, &is_file, d))) {
		rc = vmc_convert(dump, sink, &copts, &wstats, d);
		vmc_bytesink_free(sink); /* finished on success, else aborted: a regular file is removed */
		if ((rc == VMC_ERR_NOSPC || rc == VMC_ERR_CANCELLED) && !wstats.partial_kept)
			say_removed(d, is_file);
	}
	stats_of(&out, sink != NULL, &wstats);
	if (stats && vmc_api_info_out(stats, &out, sizeof(out), "struct vmc_write_stats", d) && !rc)
		rc = d->status;
	return rc;
}
