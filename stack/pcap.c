/* SPDX-License-Identifier: MIT */
/*
 * pcap.c - classic pcap file writer
 *
 * Theory of operation
 * -------------------
 * Writes the classic libpcap format: a 24-byte global header (magic
 * 0xa1b2c3d4 in host byte order, so readers detect the byte order; version
 * 2.4; snaplen 65535; LINKTYPE_ETHERNET) followed by a 16-byte record header
 * and the frame bytes for every frame. Output goes through a stdio buffer of
 * PCAP_BUF bytes allocated at open, so a frame costs a memcpy; pcap_flush()
 * pushes it to the file once per event-loop wake-up. After a write error the
 * writer goes quiet rather than filling the log on the data path.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stack/pcap.h"

#define PCAP_MAGIC		0xa1b2c3d4u
#define PCAP_SNAPLEN		65535u
#define LINKTYPE_ETHERNET	1u
#define PCAP_BUF		(1u << 20)

/**
 * struct pcap_file_hdr - the global header
 */
struct pcap_file_hdr {
	uint32_t magic;
	uint16_t version_major, version_minor;
	int32_t thiszone;
	uint32_t sigfigs, snaplen, network;
};

/**
 * struct pcap_rec_hdr - the per-frame record header
 */
struct pcap_rec_hdr {
	uint32_t ts_sec, ts_usec, incl_len, orig_len;
};

/**
 * struct pcap_writer - an open capture file
 * @f:		the stdio stream
 * @buf:	its buffer
 * @failed:	a write failed; stop writing
 */
struct pcap_writer {
	FILE *f;
	char *buf;
	bool failed;
};

/**
 * pcap_open() - create (truncate) a capture file and write its header
 * @path:	file name
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: the writer, or NULL with @err filled
 */
struct pcap_writer *pcap_open(const char *path, char *err, size_t errlen)
{
	const struct pcap_file_hdr h = {
		.magic = PCAP_MAGIC, .version_major = 2, .version_minor = 4,
		.snaplen = PCAP_SNAPLEN, .network = LINKTYPE_ETHERNET,
	};
	struct pcap_writer *p = calloc(1, sizeof(*p));

	if (!p || !(p->buf = malloc(PCAP_BUF))) {
		snprintf(err, errlen, "pcap: out of memory");
		goto fail;
	}
	p->f = fopen(path, "wbe");
	if (!p->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	setvbuf(p->f, p->buf, _IOFBF, PCAP_BUF);
	if (fwrite(&h, sizeof(h), 1, p->f) != 1 || fflush(p->f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	return p;
fail:
	pcap_close(p);
	return NULL;
}

/**
 * pcap_write() - append one frame, timestamped now (CLOCK_REALTIME)
 * @p:		the writer
 * @frame:	frame bytes
 * @len:	length; more than the snaplen is truncated in the file
 */
void pcap_write(struct pcap_writer *p, const uint8_t *frame, size_t len)
{
	struct pcap_rec_hdr r;
	struct timespec ts;

	if (p->failed)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.ts_sec = (uint32_t)ts.tv_sec;
	r.ts_usec = (uint32_t)(ts.tv_nsec / 1000);
	r.incl_len = (uint32_t)(len < PCAP_SNAPLEN ? len : PCAP_SNAPLEN);
	r.orig_len = (uint32_t)len;
	if (fwrite(&r, sizeof(r), 1, p->f) != 1 ||
	    fwrite(frame, 1, r.incl_len, p->f) != r.incl_len)
		p->failed = true;
}

/**
 * pcap_flush() - push buffered records to the file
 * @p:	the writer
 */
void pcap_flush(struct pcap_writer *p)
{
	if (!p->failed && fflush(p->f))
		p->failed = true;
}

/**
 * pcap_close() - flush and close
 * @p:	the writer, or NULL
 */
void pcap_close(struct pcap_writer *p)
{
	if (!p)
		return;
	if (p->f)
		fclose(p->f);	/* flushes; must precede freeing the buffer */
	free(p->buf);
	free(p);
}
