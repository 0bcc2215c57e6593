#!/usr/bin/env bash
# t_packet_workers: t_packet.sh with interface.workers = 2 - two AF_PACKET sockets
# in one PACKET_FANOUT_HASH group, one worker each.
PACKET_WORKERS=2 exec bash "$(dirname "$0")/t_packet.sh" "$@"
