#!/usr/bin/env bash
# t_reload_vip_workers: t_reload_vip.sh with interface.workers = 2. A removed VIP
# must stay answered by every worker's stack while any worker still has a
# connection to it (an ARP request may reach either queue), and be withdrawn
# by all of them afterwards.
TG_IFACE_EXTRA="workers = 2;" exec bash "$(dirname "$0")/t_reload_vip.sh" "$@"
