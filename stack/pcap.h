/* SPDX-License-Identifier: MIT */
/*
 * pcap.h - write frames to a classic pcap file (LINKTYPE_ETHERNET)
 */
#ifndef TCPGATE_PCAP_H
#define TCPGATE_PCAP_H

#include <stddef.h>
#include <stdint.h>

struct pcap_writer;

struct pcap_writer *pcap_open(const char *path, char *err, size_t errlen);
/* Append one frame, timestamped with CLOCK_REALTIME. Buffered. */
void pcap_write(struct pcap_writer *p, const uint8_t *frame, size_t len);
/* Push buffered frames to the file (the event loop calls it once per wake-up). */
void pcap_flush(struct pcap_writer *p);
void pcap_close(struct pcap_writer *p);

#endif /* TCPGATE_PCAP_H */
