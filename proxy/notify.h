/* SPDX-License-Identifier: MIT */
/*
 * notify.h - systemd service notifications (sd_notify protocol, Type=notify)
 * without libsystemd. All calls are no-ops when NOTIFY_SOCKET is unset.
 */
#ifndef TCPGATE_NOTIFY_H
#define TCPGATE_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

void notify_init(void);
void notify_ready(size_t conns);
void notify_reloading(void);
void notify_stopping(void);
void notify_tick(size_t conns, uint64_t now_us);

#endif /* TCPGATE_NOTIFY_H */
