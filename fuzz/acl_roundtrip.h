/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by the ACL targets (fuzz/acl_roundtrip.c). */
#ifndef FZ_ACL_ROUNDTRIP_H
#define FZ_ACL_ROUNDTRIP_H

#include <stddef.h>
#include <stdint.h>
#include "acl.h"

typedef int (*fz_acl_loader)(const char *name, const char *text,
			     struct acl_set *set, char *err, size_t errlen);

int fz_acl_load_one(const uint8_t *data, size_t size, const char *name,
		    fz_acl_loader load);

#endif
