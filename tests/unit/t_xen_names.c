/* t_xen_names.c: where a Xen host's domain names come from (vmc_hv.name_frames, recorded by the
 * xenstore search) and the host filter keeping those frames (vmc_filter_host_keep_names), on
 * mkxenhost's synthetic hosts: the recorded frames are the ones the generator put the records
 * in, and a host written without dom0's other frames still carves to the same names and
 * handles (and without them, to none: the check can fail). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "bytesink.h"
#include "convert.h"
#include "filter_host.h"
#include "harness.h"
#include "registry.h"

int mkxenhost_main(int argc, char **argv);

struct synth {
	char dir[64], prefix[96], elf[112];
	uint64_t want[8]; /* the generator's name frames */
	unsigned nwant;
	struct vmc_dump *dump;
	struct vmc_carve *cv;
};

static void synth_make(struct synth *s, const char *scen)
{
	char path[128], line[256];
	struct vmc_diag d;
	FILE *f;

	snprintf(s->dir, sizeof(s->dir), "/tmp/t_xen_names.XXXXXX");
	REQUIRE(mkdtemp(s->dir));
	snprintf(s->prefix, sizeof(s->prefix), "%s/h", s->dir);
	snprintf(s->elf, sizeof(s->elf), "%s.elf", s->prefix);
	REQUIRE(mkxenhost_main(3, (char *[]){ "mkxenhost", (char *)scen, s->prefix, NULL }) == 0);
	snprintf(path, sizeof(path), "%s.expected", s->prefix);
	REQUIRE((f = fopen(path, "r")));
	s->nwant = 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "nameframes ", 11))
			for (char *p = line + 11, *e; s->nwant < 8 && (s->want[s->nwant] = strtoull(p, &e, 16), e != p); p = e)
				s->nwant++;
	fclose(f);
	REQUIRE(s->nwant > 0);
	vmc_diag_init(&d);
	REQUIRE(vmc_dump_open((const char *[]){ s->elf }, 1, &s->dump, &d) == VMC_OK);
	REQUIRE(vmc_carve(s->dump, &(struct vmc_carve_options){ .size = sizeof(struct vmc_carve_options), .hypervisor = "xen" },
			  &s->cv, &d) == VMC_OK);
}

static void synth_free(struct synth *s)
{
	char cmd[128];

	vmc_carve_free(s->cv);
	vmc_dump_close(s->dump);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	CHECK(system(cmd) == 0);
}

/* The host as an ELF at path, holding the stored frames but those dom0 owns, plus (when
 * names) the frames vmc_filter_host_keep_names() keeps. */
static void write_without_dom0(struct synth *s, bool names, const char *path)
{
	const struct vmc_hv *hv = &s->cv->hv;
	struct vmc_bitmap keep = { 0 };
	struct vmc_bytesink *sink;
	struct vmc_writer_stats st;
	struct vmc_diag d;
	unsigned dom0 = hv->nguests;
	size_t hint = 0;

	for (unsigned i = 0; i < hv->nguests; i++)
		if (!strcmp(hv->guests[i].id, "0"))
			dom0 = i;
	REQUIRE(dom0 < hv->nguests);
	vmc_diag_init(&d);
	REQUIRE(vmc_bitmap_copy(&keep, &s->dump->stored, &d) == VMC_OK);
	for (uint64_t m = 0; m < keep.nbits; m++)
		if (vmc_hv_frame_owner(hv, m, &hint) == VMC_HV_FRAME_GUEST + dom0)
			vmc_bitmap_clear(&keep, m);
	if (names) {
		/* none of them is kept yet: each is dom0's, and each is set once */
		CHECK_EQ(vmc_filter_host_keep_names(hv, s->dump, &keep), s->nwant);
		CHECK_EQ(vmc_filter_host_keep_names(hv, s->dump, &keep), 0);
	}
	REQUIRE(vmc_bytesink_open_file(path, &sink, &d) == VMC_OK);
	CHECK(vmc_write_dump(s->dump, sink, &(struct vmc_convert_opts){ .writer = &vmc_writer_elf, .wopts = { .threads = 1 }, .select = &keep },
			     &st, &d) == VMC_OK);
	vmc_bytesink_free(sink);
	vmc_bitmap_release(&keep);
}

/* Carve path and compare each domain's name and handle with the whole host's. */
static unsigned names_equal(struct synth *s, const char *path, bool note, unsigned *named)
{
	struct vmc_dump *dump = NULL;
	struct vmc_carve *cv = NULL;
	struct vmc_diag d;
	unsigned same = 0;

	vmc_diag_init(&d);
	REQUIRE(vmc_dump_open((const char *[]){ path }, 1, &dump, &d) == VMC_OK);
	REQUIRE(vmc_carve(dump, &(struct vmc_carve_options){ .size = sizeof(struct vmc_carve_options), .hypervisor = "xen" }, &cv,
			  &d) == VMC_OK);
	REQUIRE(cv->hv.nguests == s->cv->hv.nguests);
	*named = 0;
	for (unsigned i = 0; i < cv->hv.nguests; i++) {
		const struct vmc_guest *a = &s->cv->hv.guests[i], *b = &cv->hv.guests[i];
		CHECK(!strcmp(a->id, b->id));
		*named += a->name[0] && strcmp(a->id, "0");
		if (!strcmp(a->name, b->name) && !strcmp(a->uuid, b->uuid))
			same++;
		else if (note)
			harness_note("domain %s: '%s' %s on the whole host, '%s' %s without dom0", a->id, a->name, a->uuid,
				     b->name, b->uuid);
	}
	vmc_carve_free(cv);
	vmc_dump_close(dump);
	return same;
}

static void names_kept(const char *scen)
{
	struct synth s;
	char with[160], without[160];
	unsigned named, n = 0;

	synth_make(&s, scen);
	/* the recorded frames: the generator's, ascending */
	CHECK_EQ(s.cv->hv.nname_frames, s.nwant);
	for (unsigned i = 0; i < s.nwant && i < s.cv->hv.nname_frames; i++)
		CHECK_EQ(s.cv->hv.name_frames[i], s.want[i]);
	snprintf(with, sizeof(with), "%s/names.elf", s.dir);
	snprintf(without, sizeof(without), "%s/none.elf", s.dir);
	write_without_dom0(&s, true, with);
	write_without_dom0(&s, false, without);
	CHECK_EQ(names_equal(&s, with, true, &named), s.cv->hv.nguests);
	CHECK(named > 0);
	/* control: without those frames the domUs lose their names */
	CHECK(names_equal(&s, without, false, &named) < s.cv->hv.nguests);
	for (unsigned i = 0; i < s.cv->hv.nguests; i++)
		n += s.cv->hv.guests[i].name[0] != 0;
	CHECK(n > 0);
	synth_free(&s);
}

TEST(xen_name_frames_pv)
{
	names_kept("pv");
}

/* conflicting copies in two frames, unknown ids, refused names: the names come from both */
TEST(xen_name_frames_hostile)
{
	names_kept("hostile");
}

/* ---- names_late: the xenstore search made as dom0 is written ---- */

#define CHECK_STR_EQ(a, b) CHECK(!strcmp((a), (b)))

static unsigned guest_index(const struct vmc_hv *hv, const char *id)
{
	for (unsigned i = 0; i < hv->nguests; i++)
		if (!strcmp(hv->guests[i].id, id))
			return i;
	return hv->nguests;
}

/* The number after key in report ("key=N ..."), or ~0 when absent. */
static uint64_t report_num(const char *report, const char *key)
{
	const char *p = report ? strstr(report, key) : NULL;
	return p ? strtoull(p + strlen(key), NULL, 10) : ~0ull;
}

static bool has_warning(const struct vmc_msgs *m, const char *w)
{
	for (unsigned i = 0; i < m->nwarnings; i++)
		if (!strcmp(m->warnings[i], w))
			return true;
	return false;
}

/* Every guest's name, handle and xenstore warnings, the name frames and the hypervisor's
 * warnings: as the up-front search has them. */
static void names_match(const struct vmc_hv *ref, const struct vmc_hv *late)
{
	REQUIRE(ref->nguests == late->nguests);
	for (unsigned i = 0; i < ref->nguests; i++) {
		const struct vmc_guest *a = &ref->guests[i], *b = &late->guests[i];
		CHECK_STR_EQ(a->name, b->name);
		CHECK_STR_EQ(a->uuid, b->uuid);
		/* (opening a guest adds warnings of its own: only xenstore's must be the same) */
		for (unsigned k = 0; k < a->nwarnings; k++)
			CHECK(has_warning(&b->msgs, a->warnings[k]));
		for (unsigned k = 0; k < b->nwarnings; k++)
			if (strstr(b->warnings[k], "xenstore"))
				CHECK(has_warning(&a->msgs, b->warnings[k]));
		/* and in the scan's order, but for dom0 when its stream found them (they follow) */
		for (unsigned k = 0; strcmp(a->id, "0") && k < a->nwarnings && k < b->nwarnings; k++)
			CHECK_STR_EQ(a->warnings[k], b->warnings[k]);
	}
	CHECK_EQ(late->nname_frames, ref->nname_frames);
	for (size_t k = 0; k < ref->nname_frames && k < late->nname_frames; k++)
		CHECK_EQ(late->name_frames[k], ref->name_frames[k]);
	CHECK_EQ(late->nwarnings, ref->nwarnings);
}

static struct vmc_carve *carve_late(struct vmc_dump *dump, bool on_request)
{
	struct vmc_carve *cv = NULL;
	struct vmc_diag d;

	vmc_diag_init(&d);
	REQUIRE(vmc_carve(dump, &(struct vmc_carve_options){ .size = sizeof(struct vmc_carve_options), .hypervisor = "xen", .names_late = true, .names_on_request = on_request },
			  &cv, &d) == VMC_OK);
	return cv;
}

/* No name but dom0's default, no handle, no search reported. */
static void names_unsearched(const struct vmc_carve *cv)
{
	for (unsigned i = 0; i < cv->hv.nguests; i++) {
		const struct vmc_guest *g = &cv->hv.guests[i];
		CHECK_STR_EQ(g->name, strcmp(g->id, "0") ? "" : "Domain-0");
		CHECK_STR_EQ(g->uuid, "");
	}
	CHECK(!strstr(cv->hv.report, "xenstore"));
}

/* Guest id of cv streamed through a writer (two threads) into path. */
static void write_guest(struct vmc_carve *cv, const char *id, const char *path)
{
	struct vmc_dump *g = NULL;
	struct vmc_bytesink *sink;
	struct vmc_writer_stats st;
	struct vmc_diag d;

	vmc_diag_init(&d);
	REQUIRE(vmc_guest_open_stream(cv, guest_index(&cv->hv, id), &g, &d) == VMC_OK);
	REQUIRE(vmc_bytesink_open_file(path, &sink, &d) == VMC_OK);
	CHECK(vmc_write_dump(g, sink, &(struct vmc_convert_opts){ .writer = &vmc_writer_elf, .wopts = { .threads = 2 } }, &st, &d) == VMC_OK);
	vmc_bytesink_free(sink);
	vmc_dump_close(g);
}

static void names_late(const char *scen)
{
	struct synth s;
	struct vmc_carve *cv;
	uint64_t frames, fused, reread;
	char out[160];
	unsigned named = 0;

	synth_make(&s, scen);
	snprintf(out, sizeof(out), "%s/g.elf", s.dir);
	frames = report_num(s.cv->hv.report, "records of /local/domain/<id>/{name,vm} in ");
	REQUIRE(frames != ~0ull && frames > 0);
	/* nothing searched by the carve: no domU name, no handle, dom0 the default */
	cv = carve_late(s.dump, false);
	names_unsearched(cv);
	for (unsigned i = 0; i < cv->hv.nguests; i++)
		named += s.cv->hv.guests[i].name[0] && strcmp(s.cv->hv.guests[i].id, "0");
	CHECK(named > 0); /* (the control: the up-front carve names domUs) */
	/* dom0 written: the search rode on the writer's reads; every frame once */
	write_guest(cv, "0", out);
	names_match(&s.cv->hv, &cv->hv);
	fused = report_num(cv->hv.report, "xenstore.fused=");
	reread = report_num(cv->hv.report, " of those frames searched as dom0 was written, ");
	CHECK_EQ(report_num(cv->hv.report, "records of /local/domain/<id>/{name,vm} in "), frames);
	CHECK(fused != ~0ull && fused > 0);
	CHECK_EQ(fused + reread, frames);
	CHECK(reread < fused); /* only what the output does not hold as the host has it is read again */
	harness_note("%s: %llu dom0 frames searched as written, %llu read for the search", scen, (unsigned long long)fused,
		     (unsigned long long)reread);
	vmc_carve_free(cv);
	/* a domU first: the names are found before it is written, by a whole search */
	cv = carve_late(s.dump, false);
	write_guest(cv, "1", out);
	names_match(&s.cv->hv, &cv->hv);
	CHECK(!strstr(cv->hv.report, "xenstore.fused="));
	CHECK_EQ(report_num(cv->hv.report, "records of /local/domain/<id>/{name,vm} in "), frames);
	vmc_carve_free(cv);
	/* asked for */
	cv = carve_late(s.dump, false);
	CHECK(vmc_carve_names(cv, &(struct vmc_diag){ 0 }) == VMC_OK);
	names_match(&s.cv->hv, &cv->hv);
	vmc_carve_free(cv);
	/* names_on_request: writing dom0 and a domU searches nothing; asking still does */
	cv = carve_late(s.dump, true);
	write_guest(cv, "0", out);
	write_guest(cv, "1", out);
	names_unsearched(cv);
	CHECK(vmc_carve_names(cv, &(struct vmc_diag){ 0 }) == VMC_OK);
	names_match(&s.cv->hv, &cv->hv);
	vmc_carve_free(cv);
	synth_free(&s);
}

TEST(xen_names_late_pv)
{
	names_late("pv");
}

TEST(xen_names_late_hostile)
{
	names_late("hostile");
}
