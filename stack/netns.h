/* SPDX-License-Identifier: MIT */
/*
 * netns.h - run a piece of set-up inside a named network namespace
 */
#ifndef TCPGATE_NETNS_H
#define TCPGATE_NETNS_H

#include <stddef.h>

/* Move the calling thread into /run/netns/@name. Return: a handle on the
 * thread's own namespace for netns_leave(), or -1 with @err filled. */
int netns_enter(const char *name, char *err, size_t errlen);
/* Move the thread back (and close @self). Return: 0, or -1 with @err filled:
 * the thread is then still in the other namespace. */
int netns_leave(int self, const char *name, char *err, size_t errlen);

#endif /* TCPGATE_NETNS_H */
