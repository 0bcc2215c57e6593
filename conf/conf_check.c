// SPDX-License-Identifier: MIT
/*
 * conf_check.c - checks across listeners: unique names, no overlapping ports
 *
 * Theory of operation: runs after every listener was parsed on its own.
 * Names are compared for every listener whose name was valid; overlaps only
 * between listeners that parsed without any problem, so one typo does not
 * cascade into conflicts that are not real. Two listeners conflict when
 * they share a port and their addresses are equal or either is "*" (a
 * wildcard listener would take the other's connections). Each problem is
 * reported at the later listener and names the earlier one with its line.
 *
 * Cost: O(L^2 * P) in the worst case with L listeners of P ports each,
 * ports being sorted so each pair is one merge; fine for config sizes.
 */
#include <string.h>

#include "conf/conf_int.h"

/**
 * conf_common_port() - first port two sorted port lists share
 * @a:		first listener
 * @b:		second listener
 * @port:	the shared port
 *
 * Return: true if the lists intersect
 */
static bool conf_common_port(const struct conf_listener *a,
			     const struct conf_listener *b, uint16_t *port)
{
	size_t i = 0, j = 0;

	while (i < a->n_ports && j < b->n_ports) {
		if (a->ports[i] == b->ports[j]) {
			*port = a->ports[i];
			return true;
		}
		if (a->ports[i] < b->ports[j])
			i++;
		else
			j++;
	}
	return false;
}

/**
 * conf_addr_overlap() - whether two listeners can see the same destination
 * @a:		first listener
 * @b:		second listener
 *
 * Return: true if the addresses are equal or either is "*"
 */
static bool conf_addr_overlap(const struct conf_listener *a,
			      const struct conf_listener *b)
{
	return a->any_addr || b->any_addr || a->addr == b->addr;
}

/**
 * conf_check_conflict() - report if listener @b overlaps earlier @a
 * @r:		report
 * @s:		@b's setting
 * @a:		earlier listener
 * @b:		later listener
 */
static void conf_check_conflict(struct conf_report *r, const config_setting_t *s,
				const struct conf_listener *a,
				const struct conf_listener *b)
{
	const struct conf_listener *specific = a->any_addr ? b : a;
	char addr[16];
	uint16_t port;

	if (!conf_addr_overlap(a, b) || !conf_common_port(a, b, &port))
		return;
	if (specific->any_addr)
		strcpy(addr, "*");
	else
		conf_ipv4_str(specific->addr, addr, sizeof(addr));
	conf_report(r, s, "listener '%s' conflicts with listener '%s' (line %d): "
		    "both accept port %u on %s%s", b->name, a->name, a->line,
		    port, addr, a->any_addr != b->any_addr ?
		    " ('*' matches any address)" : "");
}

/**
 * conf_check_name() - report if listener @j reuses an earlier name
 * @r:		report
 * @s:		@j's setting
 * @ls:		all listeners
 * @j:		index of the listener to check
 */
static void conf_check_name(struct conf_report *r, const config_setting_t *s,
			    const struct conf_listener *ls, size_t j)
{
	const config_setting_t *name = config_setting_get_member(s, "name");
	size_t i;

	if (!ls[j].name[0])
		return;
	for (i = 0; i < j; i++) {
		if (strcmp(ls[i].name, ls[j].name))
			continue;
		conf_report(r, name ? name : s, "duplicate listener name '%s' "
			    "(first defined at line %d)", ls[j].name, ls[i].line);
		return;
	}
}

/**
 * conf_check_listeners() - every check that needs more than one listener
 * @r:		report
 * @list:	the "listeners" setting
 * @ls:		parsed listeners
 * @ok:		per listener: parsed without any problem
 * @n:		number of listeners
 */
void conf_check_listeners(struct conf_report *r, const config_setting_t *list,
			  const struct conf_listener *ls, const bool *ok,
			  size_t n)
{
	size_t i, j;

	for (j = 0; j < n; j++) {
		const config_setting_t *s = config_setting_get_elem(list,
								    (unsigned)j);

		conf_check_name(r, s, ls, j);
		if (!ok[j])
			continue;
		for (i = 0; i < j; i++)
			if (ok[i])
				conf_check_conflict(r, s, &ls[i], &ls[j]);
	}
}
