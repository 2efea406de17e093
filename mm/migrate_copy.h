/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The contents step of the migration engine, shared by the files of
 * mm/migrate*.c: copy the pages of many src folios to their dst, on
 * several CPUs near the target node when there is enough to copy.
 */
#ifndef _MM_MIGRATE_COPY_H
#define _MM_MIGRATE_COPY_H

#include <linux/list.h>

struct folio;

/* A src folio and its dst, in a batch kept in an array. */
struct migrate_copy_pair {
	struct folio *dst;
	struct folio *src;
};

void migrate_copy_folios(struct folio *dst, struct folio *src,
			 unsigned long nr_pages);
void migrate_copy_pairs(const struct migrate_copy_pair *pairs,
			unsigned int nr);

#endif /* _MM_MIGRATE_COPY_H */
