/* filter_host.h: the dump level on a hypervisor host by frame owner (src/filter_host.c). */
#ifndef VMC_FILTER_HOST_H
#define VMC_FILTER_HOST_H

#include "convert.h"
#include "guest.h"

/* When dump is a host whose carver records frame owners (Xen): clear from keep (the stored
 * frames) what opts->dump_level drops, add the counts to filtered (enum vmc_pgc), set
 * *handled. Otherwise *handled = false and nothing changes. */
enum vmc_status vmc_filter_host(struct vmc_dump *dump, const struct vmc_convert_opts *opts, struct vmc_bitmap *keep,
				uint64_t *filtered, uint64_t *guest_kept, bool *handled, struct vmc_diag *d);
/* --keep-guests: set in keep the stored frames among hv->name_frames (the records the guests'
 * names came from), whatever the level made of them; returns how many were not set before. */
uint64_t vmc_filter_host_keep_names(const struct vmc_hv *hv, const struct vmc_dump *host, struct vmc_bitmap *keep);
/* --keep-guests on such a host: set in keep every stored frame a guest other than dom0 owns. */
enum vmc_status vmc_filter_host_keep_guests(struct vmc_dump *dump, struct vmc_bitmap *keep, struct vmc_diag *d);

#endif
