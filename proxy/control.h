/* SPDX-License-Identifier: MIT */
/*
 * control.h - the control socket tcpgatectl talks to (DESIGN.md §4)
 */
#ifndef TCPGATE_CONTROL_H
#define TCPGATE_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

#include "proxy/runtime.h"

struct control;

struct control *control_start(struct runtime *rt, const char *path, char *err,
			      size_t errlen);
int control_chown(struct control *c, uid_t uid, gid_t gid);
void control_stop(struct control *c);
char *control_status_text(struct runtime *rt);
char *control_connections_text(struct runtime *rt);

#endif /* TCPGATE_CONTROL_H */
