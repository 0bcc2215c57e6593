/* SPDX-License-Identifier: MIT */
/*
 * status_page.h - GET /: a self-contained HTML status page
 */
#ifndef TCPGATE_STATUS_PAGE_H
#define TCPGATE_STATUS_PAGE_H

#include "proxy/runtime.h"

char *status_page_html(struct runtime *rt);

#endif /* TCPGATE_STATUS_PAGE_H */
