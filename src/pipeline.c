/* pipeline.c: convert = the checks and kernel facts a complete output needs, then the
 * format-agnostic loop of dump/convert.c. Lives at the top because it reads the Linux kernel
 * inside the dump (linux/linux_info.c). */
#include "convert.h"
#include "linux_info.h"

enum vmc_status vmc_convert(struct vmc_dump *dump, struct vmc_bytesink *sink, const struct vmc_convert_opts *opts,
			    struct vmc_writer_stats *stats, struct vmc_diag *d)
{
	/* refused before anything is written; the caller's vmc_bytesink_free() aborts the sink */
	if ((dump->nmissing || dump->incomplete_flag) && !opts->partial)
		return vmc_fail(d, VMC_ERR_MISSING, "%s%s; %llu frame(s) missing: pass --partial to convert what is there",
				dump->missing_why[0] ? dump->missing_why : dump->name,
				dump->missing_why[0] ? "" : ": the dump is incomplete", (unsigned long long)dump->nmissing);
	vmc_linux_info_fill(dump);
	return vmc_write_dump(dump, sink, opts, stats, d);
}
