/* SPDX-License-Identifier: MIT */
/*
 * worker_link.h - a worker's frame link: a TAP queue or an AF_PACKET socket,
 * chosen by interface.type
 */
#ifndef TCPGATE_WORKER_LINK_H
#define TCPGATE_WORKER_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "stack/link_packet.h"
#include "stack/link_tap.h"
#include "stack/stack.h"

/**
 * struct worker_link - one worker's link (exactly one of @tap, @pkt is set)
 * @type:	interface.type
 * @tap:	TAP queue
 * @pkt:	AF_PACKET socket
 */
struct worker_link {
	enum conf_link_type type;
	struct link_tap *tap;
	struct link_packet *pkt;
};

/**
 * struct worker_link_group - what the links of several workers share
 * @fanout_id:	the PACKET_FANOUT group the first packet link created
 */
struct worker_link_group {
	uint16_t fanout_id;
};

int worker_link_open(struct worker_link *wl, const struct conf_interface *ifc,
		     struct worker_link_group *g, char *err, size_t errlen);
void worker_link_close(struct worker_link *wl);
int worker_link_fd(const struct worker_link *wl);
void worker_link_mac(const struct worker_link *wl, const struct conf_interface *ifc,
		     uint8_t mac[6]);
struct stack_link worker_link_output(struct worker_link *wl);
int worker_link_read_batch(struct worker_link *wl, unsigned max,
			   void (*fn)(void *arg, uint8_t *frame, size_t len,
				      const struct stack_offload *off),
			   void *arg);
void worker_link_flush(struct worker_link *wl);
void worker_link_set_pcap(struct worker_link *wl, struct pcap_writer *p);
const struct link_packet_stats *worker_link_stats(struct worker_link *wl);

#endif /* TCPGATE_WORKER_LINK_H */
