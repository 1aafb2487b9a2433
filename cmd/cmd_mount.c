/* cmd_mount.c: `vmcarve mount` / `umount`: every guest of a host dump, or any dump, as a
 * read-only ELF file in a FUSE file system; a thin wrapper over vmc_elf_view. */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "carve_cli.h"

struct mnt_file {
	char name[256];
	struct vmc_dump *guest; /* owned (a guest view), or NULL */
	struct vmc_elf_view *view; /* or NULL: a text file (list.json) */
	char *text;
	size_t len;
};

struct mnt {
	const char *const *paths;
	unsigned npaths;
	struct vmc_carve_options copts;
	bool foreground;
	struct vmc_dump *dump;
	struct vmc_carve *cv;
	struct mnt_file *files;
	size_t nfiles;
	struct timespec mtime; /* the input's: views never change */
};

static void usage(FILE *f)
{
	fputs("usage: vmcarve mount DUMP... DIR [options]\n"
	      "  mount every guest of a host dump (DIR/<id>[-<name>].elf, DIR/host.elf, DIR/list.json),\n"
	      "  or any other dump (DIR/<name>.elf), as read-only ELF vmcores\n"
	      "  -f, --foreground   do not daemonise; unmount on Ctrl-C\n"
	      "  --xen-syms FILE    Xen's xen-syms (symbol table) for the dumped hypervisor\n"
	      "  --vmcs-layout FILE Intel VMCS field offsets (see README)\n"
	      "  --host-debuginfo DIR  host vmlinux and kvm*.ko with debug info\n"
	      "  --hypervisor H     xen or kvm: do not probe\n"
	      "usage: vmcarve umount DIR [-z|--lazy]\n",
	      f);
}

static int parse(int argc, char **argv, struct mnt *m, const char **dir)
{
	enum { O_XENSYMS = 256, O_VMCS, O_HOSTDBG, O_HV };
	static const struct option longopts[] = {
		{ "xen-syms", required_argument, 0, O_XENSYMS }, { "vmcs-layout", required_argument, 0, O_VMCS },
		{ "host-debuginfo", required_argument, 0, O_HOSTDBG }, { "hypervisor", required_argument, 0, O_HV },
		{ "foreground", no_argument, 0, 'f' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		switch (ch) {
		case O_XENSYMS: m->copts.xen_syms = optarg; break;
		case O_VMCS: m->copts.vmcs_layout = optarg; break;
		case O_HOSTDBG: m->copts.host_debuginfo = optarg; break;
		case O_HV: m->copts.hypervisor = optarg; break;
		case 'f': m->foreground = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "vmcarve: mount needs a dump and a directory\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	m->paths = (const char *const *)argv + optind;
	m->npaths = (unsigned)(argc - optind - 1);
	*dir = argv[argc - 1];
	return -1;
}

static struct mnt_file *add_file(struct mnt *m, const char *name)
{
	struct mnt_file *nf = realloc(m->files, (m->nfiles + 1) * sizeof(*nf));

	if (!nf)
		return NULL;
	m->files = nf;
	nf = &m->files[m->nfiles++];
	memset(nf, 0, sizeof(*nf));
	snprintf(nf->name, sizeof(nf->name), "%s", name);
	return nf;
}

/* name.elf as a view of dump (a guest's when guest) */
static int add_view(struct mnt *m, const char *name, struct vmc_dump *dump, bool guest)
{
	struct mnt_file *f = add_file(m, name);
	struct vmc_diag d;

	vmc_diag_init(&d);
	if (!f) {
		vmc_dump_close(guest ? dump : NULL);
		fprintf(stderr, "vmcarve: out of memory\n");
		return EXIT_FAIL;
	}
	f->guest = guest ? dump : NULL;
	if (vmc_elf_view_open(dump, &f->view, &d)) {
		fprintf(stderr, "vmcarve: %s: %s\n", name, d.msg);
		return EXIT_FAIL;
	}
	f->len = vmc_elf_view_size(f->view);
	return EXIT_OK;
}

/* list.json: what `vmcarve list --json` prints, taken before the guests are opened */
static int add_list_json(struct mnt *m, const struct vmc_carve_info *hv)
{
	struct vmc_guest_info *gs = calloc(hv->nguests ? hv->nguests : 1, sizeof(*gs));
	struct cli_gkernel *ks = calloc(hv->nguests ? hv->nguests : 1, sizeof(*ks));
	struct mnt_file *f = gs && ks ? add_file(m, "list.json") : NULL;
	FILE *mf;

	if (f && (mf = open_memstream(&f->text, &f->len))) {
		for (unsigned i = 0; i < hv->nguests; i++) {
			gs[i] = carve_cli_guest(m->cv, i);
			cli_guest_kernel(m->cv, i, &gs[i], &ks[i]);
		}
		cli_list_json(mf, cli_dump_name(m->dump), hv, gs, ks, false);
		fclose(mf);
	}
	free(gs);
	free(ks);
	if (!f || !f->text) {
		fprintf(stderr, "vmcarve: out of memory\n");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* host dump: a view per guest that can be carved, host.elf when the input is not ELF */
static int add_host_files(struct mnt *m, const char *format)
{
	struct vmc_carve_info hv = { .size = sizeof(hv) };
	struct vmc_diag d;
	int ex;

	vmc_diag_init(&d);
	vmc_carve_get_info(m->cv, &hv, &d);
	if ((ex = add_list_json(m, &hv)))
		return ex;
	if (strncmp(format, "elf", 3) && (ex = add_view(m, "host.elf", m->dump, false)))
		return ex;
	for (unsigned i = 0; i < hv.nguests; i++) {
		struct vmc_guest_info g = carve_cli_guest(m->cv, i);
		struct vmc_dump *gd;
		char name[512];
		if (g.status) {
			fprintf(stderr, "vmcarve: warning: guest %s not mounted: %s\n", g.id, g.error);
			continue;
		}
		if (vmc_guest_open(m->cv, i, &gd, &d)) {
			fprintf(stderr, "vmcarve: warning: guest %s not mounted: %s\n", g.id, d.msg);
			vmc_diag_init(&d);
			continue;
		}
		carve_cli_file_name(name, sizeof(name), ".", &g, "elf");
		if ((ex = add_view(m, name + 2, gd, true)))
			return ex;
	}
	return EXIT_OK;
}

/* any other dump: <name>.elf, the file's name without its extension */
static int add_dump_file(struct mnt *m)
{
	const char *base = strrchr(m->paths[0], '/') ? strrchr(m->paths[0], '/') + 1 : m->paths[0];
	const char *dot = strrchr(base, '.');
	char name[256];

	snprintf(name, sizeof(name), "%.*s.elf", (int)(dot && dot != base ? dot - base : (int)strlen(base)), base);
	return add_view(m, name, m->dump, false);
}

/* Open the dump, carve it if it is a host dump, and build every file. */
static int build(struct mnt *m)
{
	struct vmc_dump_info in = { .size = sizeof(in) };
	struct vmc_diag d;
	struct stat st;

	vmc_diag_init(&d);
	if (vmc_dump_open(m->paths, m->npaths, &m->dump, &d))
		return cli_error(&d);
	if (!stat(m->paths[0], &st))
		m->mtime = st.st_mtim;
	vmc_dump_get_info(m->dump, &in, &d);
	if (!vmc_carve(m->dump, &m->copts, &m->cv, &d)) {
		cli_warnings(&d);
		return add_host_files(m, in.format);
	}
	if (m->copts.hypervisor || m->copts.xen_syms || m->copts.vmcs_layout || m->copts.host_debuginfo)
		return cli_error(&d); /* carving was asked for */
	return add_dump_file(m);
}

static void release(struct mnt *m)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		vmc_elf_view_free(m->files[i].view);
		vmc_dump_close(m->files[i].guest);
		free(m->files[i].text);
	}
	free(m->files);
	vmc_carve_free(m->cv);
	vmc_dump_close(m->dump);
}

/* ---- the file system ---- */

static struct mnt *mnt_of(void)
{
	return fuse_get_context()->private_data;
}

static struct mnt_file *file_of(const char *path)
{
	struct mnt *m = mnt_of();

	if (*path == '/')
		for (size_t i = 0; i < m->nfiles; i++)
			if (!strcmp(path + 1, m->files[i].name))
				return &m->files[i];
	return NULL;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* the views never change: let the kernel cache data and attributes */
	cfg->kernel_cache = 1;
	cfg->entry_timeout = cfg->attr_timeout = 86400;
	cfg->negative_timeout = 86400;
	cfg->use_ino = 0;
	conn->max_readahead = 1u << 20;
	conn->max_read = 1u << 20; /* as the max_read mount option says */
	return mnt_of();
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct mnt *m = mnt_of();
	struct mnt_file *f;

	(void)fi;
	memset(st, 0, sizeof(*st));
	st->st_mtim = st->st_ctim = st->st_atim = m->mtime;
	st->st_blksize = 1 << 20;
	if (!strcmp(path, "/")) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		return 0;
	}
	if (!(f = file_of(path)))
		return -ENOENT;
	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 1;
	st->st_size = (off_t)f->len;
	st->st_blocks = (blkcnt_t)((f->len + 511) / 512);
	return 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	struct mnt *m = mnt_of();

	(void)off, (void)fi, (void)flags;
	if (strcmp(path, "/"))
		return -ENOTDIR;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	for (size_t i = 0; i < m->nfiles; i++)
		fill(buf, m->files[i].name, NULL, 0, 0);
	return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	if (!file_of(path))
		return -ENOENT;
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	fi->keep_cache = 1;
	return 0;
}

/* A read that cannot be served whole fails whole: a short read would make the kernel take
 * the rest as zeros (and the file as shorter). */
static int fs_read(const char *path, char *buf, size_t len, off_t off, struct fuse_file_info *fi)
{
	struct mnt_file *f = file_of(path);
	struct vmc_diag d;

	(void)fi;
	if (!f)
		return -ENOENT;
	if (off < 0 || (uint64_t)off >= f->len)
		return 0;
	if (len > f->len - (uint64_t)off)
		len = (size_t)(f->len - (uint64_t)off);
	if (len > INT_MAX)
		len = INT_MAX & ~0xfffu;
	if (!f->view) {
		memcpy(buf, f->text + off, len);
		return (int)len;
	}
	vmc_diag_init(&d);
	if (vmc_elf_view_read(f->view, (uint64_t)off, buf, len, &d)) {
		if (mnt_of()->foreground)
			fprintf(stderr, "vmcarve: %s: %s\n", f->name, d.msg);
		return -EIO;
	}
	return (int)len;
}

static const struct fuse_operations fs_ops = {
	.init = fs_init,
	.getattr = fs_getattr,
	.readdir = fs_readdir,
	.open = fs_open,
	.read = fs_read,
};

/* The id of the vmcarve mount at dir (an absolute path) in /proc/self/mountinfo (-1: none), or whether mount id
 * `want` still exists (want >= 0: want or -1). dev: its "major:minor" (may be NULL). */
static long mount_id(const char *dir, long want, char dev[32])
{
	char line[4096], mp[PATH_MAX], mm[32];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	long id, found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%ld %*d %31s %*s %4095s", &id, mm, mp) == 3 && (want >= 0 ? id == want : !strcmp(mp, dir)) &&
		    strstr(line, " - fuse.vmcarve ")) {
			found = id;
			if (dev)
				memcpy(dev, mm, sizeof(mm));
		}
	fclose(f);
	return found;
}

/* Sequential readers get 1 MiB requests: the kernel starts a FUSE mount with 128 KiB of
 * readahead whatever init asks for; the bdi's setting raises it (root only; best effort). */
static void raise_readahead(const char *dev)
{
	char path[80];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/bdi/%s/read_ahead_kb", dev);
	if ((f = fopen(path, "w"))) {
		fputs("1024\n", f);
		fclose(f);
	}
}

/* Mount, daemonise (the parent returns once the file system is mounted), serve. */
static int serve(struct mnt *m, const char *rel)
{
	char dir[PATH_MAX], dev[32];
	char *args[] = { "vmcarve", "-o", "ro,subtype=vmcarve,fsname=vmcarve,max_read=1048576", NULL };
	struct fuse_args fa = FUSE_ARGS_INIT(3, args);
	struct fuse_loop_config *lc;
	struct fuse *fs;
	long id;
	int ex = EXIT_FAIL;

	/* absolute: the daemon works from / and unmounts by path */
	if (!realpath(rel, dir)) {
		fprintf(stderr, "vmcarve: %s: %s\n", rel, strerror(errno));
		return EXIT_FAIL;
	}
	fs = fuse_new(&fa, &fs_ops, sizeof(fs_ops), m);
	fuse_opt_free_args(&fa); /* what fuse_new added to them */
	if (!fs)
		return EXIT_FAIL;
	if (fuse_mount(fs, dir)) {
		fprintf(stderr, "vmcarve: %s: cannot mount (is /dev/fuse there, fuse3 installed?)\n", dir);
		fuse_destroy(fs);
		return EXIT_FAIL;
	}
	if ((id = mount_id(dir, -1, dev)) >= 0)
		raise_readahead(dev);
	if (fuse_daemonize(m->foreground) || fuse_set_signal_handlers(fuse_get_session(fs))) {
		fuse_unmount(fs);
		fuse_destroy(fs);
		return EXIT_FAIL;
	}
	if ((lc = fuse_loop_cfg_create())) {
		fuse_loop_cfg_set_max_threads(lc, 32);
		fuse_loop_cfg_set_idle_threads(lc, 8);
		ex = fuse_loop_mt(fs, lc) ? EXIT_FAIL : EXIT_OK;
		fuse_loop_cfg_destroy(lc);
	}
	fuse_remove_signal_handlers(fuse_get_session(fs));
	/* after `umount DIR` the path may hold a new mount already: leave that one alone */
	if (id < 0 || mount_id(dir, id, NULL) >= 0)
		fuse_unmount(fs);
	fuse_destroy(fs);
	return ex;
}

int cmd_mount(int argc, char **argv)
{
	struct mnt m = { .copts.size = sizeof(m.copts) };
	const char *dir;
	int ex = parse(argc, argv, &m, &dir);

	if (ex >= 0)
		return ex;
	if (!(ex = build(&m)))
		ex = serve(&m, dir);
	release(&m);
	return ex;
}

int cmd_umount(int argc, char **argv)
{
	bool lazy = argc == 3 && (!strcmp(argv[2], "-z") || !strcmp(argv[2], "--lazy"));
	pid_t pid;
	int st;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc != 2 && !lazy) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* fusermount3 knows FUSE mounts, for root and for users alike */
	if ((pid = fork()) == 0) {
		execlp("fusermount3", "fusermount3", lazy ? "-uz" : "-u", "--", argv[1], (char *)NULL);
		fprintf(stderr, "vmcarve: fusermount3: %s\n", strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		fprintf(stderr, "vmcarve: umount %s: %s\n", argv[1], strerror(errno));
		return EXIT_FAIL;
	}
	return WIFEXITED(st) && !WEXITSTATUS(st) ? EXIT_OK : EXIT_FAIL;
}
