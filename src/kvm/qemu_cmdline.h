/* qemu_cmdline.h: the VM's name as its VMM was told it: QEMU's `-name` option in the VMM
 * process's command line (libvirt writes `-name guest=NAME,debug-threads=on`). */
#ifndef VMC_QEMU_CMDLINE_H
#define VMC_QEMU_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/* args: the NUL-separated argv as it sits in memory (mm->arg_start..arg_end). The name is
 * copied with QEMU's ",," unescaped, cut to max-1 bytes, and control or non-ASCII bytes as '?'.
 * False when there is no -name (or --name) with a non-empty name. */
bool vmc_qemu_cmdline_name(const char *args, size_t len, char *name, size_t max);

#endif
