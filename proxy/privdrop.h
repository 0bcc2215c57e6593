/* SPDX-License-Identifier: MIT */
/*
 * privdrop.h - drop root after start (config "user")
 */
#ifndef TCPGATE_PRIVDROP_H
#define TCPGATE_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

int privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen);
int privdrop_to(uid_t uid, gid_t gid, char *err, size_t errlen);

#endif /* TCPGATE_PRIVDROP_H */
