/* pgc_keysets.h: the struct page keys of VMCOREINFO for three kernel generations, for the
 * dump-level classifier's unit tests and fuzz seeds. 6.1: the values of a Debian 12 note;
 * 6.6 and 6.12: the keys those kernels export (kernel/crash_core.c, kernel/vmcore_info.c)
 * with x86_64 values. */
#ifndef VMC_PGC_KEYSETS_H
#define VMC_PGC_KEYSETS_H

#define PGC_KEYS_COMMON                                                                                   \
	"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\nOFFSET(page.mapping)=24\n"      \
	"OFFSET(page.lru)=8\nOFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"                       \
	"OFFSET(page.compound_head)=8\nLENGTH(zone.free_area)=11\nNUMBER(PG_swapbacked)=19\n"

/* 4.16-6.2: order and destructor bytes in the first tail page */
#define PGC_KEYS_61                                                                                       \
	"OSRELEASE=6.1.0-test\n" PGC_KEYS_COMMON "OFFSET(page.compound_dtor)=16\n"                        \
	"OFFSET(page.compound_order)=17\nNUMBER(PG_lru)=4\nNUMBER(PG_slab)=9\nNUMBER(PG_private)=13\n"     \
	"NUMBER(PG_swapcache)=10\nNUMBER(PG_hwpoison)=23\nNUMBER(PG_head_mask)=65536\n"                 \
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nNUMBER(HUGETLB_PAGE_DTOR)=2\n"                          \
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n"

/* 6.6-6.8: order in the low byte of the first tail's flags (folio._flags_1), PG_hugetlb
 * (= PG_active) there; PG_head moved into the low byte of the head's flags */
#define PGC_KEYS_66                                                                                       \
	"OSRELEASE=6.6.0-test\n" PGC_KEYS_COMMON "NUMBER(PG_lru)=5\nNUMBER(PG_slab)=11\n"                \
	"NUMBER(PG_private)=15\nNUMBER(PG_swapcache)=12\nNUMBER(PG_hwpoison)=22\nNUMBER(PG_head_mask)=64\n" \
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nNUMBER(PG_hugetlb)=8\n"                                 \
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n"

/* 6.12+: one page type per page, a value in the top byte of _mapcount (PGTY_x << 24) */
#define PGC_KEYS_612                                                                                      \
	"OSRELEASE=6.12.0-test\n" PGC_KEYS_COMMON "NUMBER(PG_lru)=5\nNUMBER(PG_private)=15\n"             \
	"NUMBER(PG_swapcache)=12\nNUMBER(PG_hwpoison)=21\nNUMBER(PG_head_mask)=64\n"                     \
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456\nNUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-251658240\n" \
	"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-201326592\nNUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-184549376\n"

#endif
