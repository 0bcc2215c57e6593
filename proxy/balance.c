// SPDX-License-Identifier: MIT
/*
 * balance.c - which backend a new connection goes to
 *
 * Theory of operation: balance_pick() chooses among the listener's *usable*
 * backends: weight > 0 (weight 0 = drain), not marked down by health checks,
 * and below their own max_connections. A retry passes the backends already
 * tried as a bitmask (@tried, bit = index, the first 64 backends); they are
 * avoided while another usable backend exists, else reused.
 *
 *   roundrobin	smooth weighted round-robin (nginx): each pick adds every
 *		candidate's weight to its @current, the largest wins and loses
 *		the sum. Over sum(weights) picks each backend is chosen exactly
 *		weight times, interleaved.
 *   leastconn	smallest connections_active / weight (compared as
 *		products, no division); ties are broken round-robin by starting
 *		each scan one past the previous winner.
 *   source	Maglev consistent hashing (Eisenbud et al., NSDI 2016): a table
 *		of M = 65537 entries filled from each up backend's permutation
 *		(offset, skip) derived from the hash of its "A.B.C.D:PORT" name,
 *		so every tcpgate with the same backends builds the same table
 *		and removing one of N backends remaps about 1/N of the clients.
 *		The client address is hashed into the table. The table is built
 *		lazily after balance_changed() (health transitions). It is
 *		unweighted (weight only excludes at 0). If the chosen backend is
 *		full or already tried, the following entries are probed.
 *   random	power of two choices: two weighted random draws, the less
 *		loaded (connections_active / weight) wins.
 *
 * Several workers: the listener table, and so this state, is shared by
 * every worker. balance_pick_reserve() - what sessions use - takes the
 * listener's balance lock for one pick and counts the connection on the
 * chosen backend before releasing it, so the algorithms keep their exact
 * global behaviour (round-robin weights over all workers' picks, one Maglev
 * table, one leastconn rotation) and a backend's max_connections can never
 * be overshot by two workers picking at once. The lock is taken once per
 * new connection attempt, never per packet; picks are a few dozen
 * nanoseconds, so two workers rarely contend. Health state changes come
 * from other threads: balance_changed() only raises an atomic flag that the
 * next pick consumes, and loads go through relaxed atomics.
 */
#include "proxy/balance.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGLEV_EMPTY	UINT16_MAX

/**
 * mix64() - splitmix64 finaliser: a fixed, well-mixed 64-bit hash step
 * @x:		input
 *
 * Return: hashed value
 */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/**
 * name_hash() - FNV-1a of a backend's "A.B.C.D:PORT" name, seeded, mixed
 * @b:		backend
 * @seed:	distinguishes the offset and skip hashes
 *
 * Return: 64-bit hash, identical on every host
 */
static uint64_t name_hash(const struct backend *b, uint64_t seed)
{
	char name[32];
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	int n = snprintf(name, sizeof(name), "%u.%u.%u.%u:%u", b->addr >> 24,
			 (b->addr >> 16) & 0xff, (b->addr >> 8) & 0xff, b->addr & 0xff,
			 b->port);

	for (int i = 0; i < n; i++) {
		h ^= (uint8_t)name[i];
		h *= 0x100000001b3ULL;
	}
	return mix64(h);
}

/**
 * balance_usable() - whether a backend may take a new connection
 * @b:		backend
 *
 * Return: true if weight > 0, not down, and below its max_connections
 */
bool balance_usable(const struct backend *b)
{
	if (!b->weight || __atomic_load_n(&b->check.down, __ATOMIC_RELAXED))
		return false;
	return !b->max_conns ||
	       __atomic_load_n(&b->stats.connections_active, __ATOMIC_RELAXED) < b->max_conns;
}

/**
 * balance_bit() - a backend's bit in a @tried mask
 * @l:		listener
 * @b:		one of its backends
 *
 * Return: the bit, 0 for backends past the 64th (never excluded)
 */
uint64_t balance_bit(const struct listener *l, const struct backend *b)
{
	size_t i = (size_t)(b - l->backends);

	return i < 64 ? 1ULL << i : 0;
}

/**
 * candidate() - usable and not tried
 * @l:		listener
 * @i:		backend index
 * @tried:	mask of backends to avoid
 *
 * Return: true if backend @i may be picked
 */
static bool candidate(const struct listener *l, size_t i, uint64_t tried)
{
	return balance_usable(&l->backends[i]) && !(i < 64 && (tried >> i) & 1);
}

/**
 * pick_roundrobin() - smooth weighted round-robin
 * @l:		listener
 * @tried:	backends to avoid
 *
 * Return: backend, or NULL if none is a candidate
 */
static struct backend *pick_roundrobin(struct listener *l, uint64_t tried)
{
	struct backend *best = NULL;
	int64_t total = 0;

	for (size_t i = 0; i < l->n_backends; i++) {
		struct backend *b = &l->backends[i];

		if (!candidate(l, i, tried))
			continue;
		b->current += b->weight;
		total += b->weight;
		if (!best || b->current > best->current)
			best = b;
	}
	if (best)
		best->current -= total;
	return best;
}

/**
 * load_less() - whether @a is less loaded than @b (active / weight)
 * @a:		backend
 * @b:		backend
 *
 * Return: true if a.active / a.weight < b.active / b.weight
 */
static bool load_less(const struct backend *a, const struct backend *b)
{
	return __atomic_load_n(&a->stats.connections_active, __ATOMIC_RELAXED) * b->weight <
	       __atomic_load_n(&b->stats.connections_active, __ATOMIC_RELAXED) * a->weight;
}

/**
 * pick_leastconn() - least active connections per weight, ties round-robin
 * @l:		listener
 * @tried:	backends to avoid
 *
 * Return: backend, or NULL
 */
static struct backend *pick_leastconn(struct listener *l, uint64_t tried)
{
	struct backend *best = NULL;
	size_t n = l->n_backends, at = 0;

	for (size_t k = 0; k < n; k++) {
		size_t i = (l->bal.rr_next + k) % n;

		if (!candidate(l, i, tried))
			continue;
		if (!best || load_less(&l->backends[i], best)) {
			best = &l->backends[i];
			at = i;
		}
	}
	if (best)
		l->bal.rr_next = (at + 1) % n;
	return best;
}

/**
 * rng_next() - xorshift64* step
 * @l:		listener (owns the state)
 *
 * Return: 64 random bits
 */
static uint64_t rng_next(struct listener *l)
{
	uint64_t x = l->bal.rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	l->bal.rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/**
 * pick_weighted_random() - one weighted random draw among candidates
 * @l:		listener
 * @tried:	backends to avoid
 * @total:	sum of the candidates' weights (> 0)
 *
 * Return: backend
 */
static struct backend *pick_weighted_random(struct listener *l, uint64_t tried,
					    uint64_t total)
{
	uint64_t r = rng_next(l) % total;

	for (size_t i = 0; i < l->n_backends; i++) {
		if (!candidate(l, i, tried))
			continue;
		if (r < l->backends[i].weight)
			return &l->backends[i];
		r -= l->backends[i].weight;
	}
	return NULL;
}

/**
 * pick_random() - power of two choices on weighted load
 * @l:		listener
 * @tried:	backends to avoid
 *
 * Return: backend, or NULL
 */
static struct backend *pick_random(struct listener *l, uint64_t tried)
{
	struct backend *a, *b;
	uint64_t total = 0;

	for (size_t i = 0; i < l->n_backends; i++)
		if (candidate(l, i, tried))
			total += l->backends[i].weight;
	if (!total)
		return NULL;
	a = pick_weighted_random(l, tried, total);
	b = pick_weighted_random(l, tried, total);
	return load_less(b, a) ? b : a;
}

/**
 * maglev_build() - fill the lookup table from the backends that are up
 * @l:		listener (@l->bal.maglev allocated)
 *
 * Backends with weight 0 or down take no entries; the others take turns, each
 * claiming the next free entry of its permutation (Maglev §3.4, Pseudocode 1).
 */
static void maglev_build(struct listener *l)
{
	const uint32_t m = BALANCE_MAGLEV_M;
	uint16_t *t = l->bal.maglev;
	uint32_t *off = l->bal.perm, *skip = off + l->n_backends;
	uint32_t *next = skip + l->n_backends;
	uint32_t filled = 0;
	bool any = false;

	memset(t, 0xff, m * sizeof(*t));
	for (size_t i = 0; i < l->n_backends; i++) {
		off[i] = (uint32_t)(name_hash(&l->backends[i], 0x6d61676c) % m);
		skip[i] = (uint32_t)(name_hash(&l->backends[i], 0x736b6970) % (m - 1)) + 1;
		next[i] = 0;
		any |= l->backends[i].weight &&
		       !__atomic_load_n(&l->backends[i].check.down, __ATOMIC_RELAXED);
	}
	while (any && filled < m) {
		for (size_t i = 0; i < l->n_backends && filled < m; i++) {
			uint32_t c;

			if (!l->backends[i].weight ||
			    __atomic_load_n(&l->backends[i].check.down, __ATOMIC_RELAXED))
				continue;
			do {
				c = (uint32_t)((off[i] + (uint64_t)next[i] * skip[i]) % m);
				next[i]++;
			} while (t[c] != MAGLEV_EMPTY);
			t[c] = (uint16_t)i;
			filled++;
		}
	}
}

/**
 * pick_source() - Maglev lookup of the client address
 * @l:		listener
 * @client:	client address
 * @tried:	backends to avoid
 *
 * Return: backend, or NULL
 */
static struct backend *pick_source(struct listener *l, uint32_t client, uint64_t tried)
{
	const uint32_t m = BALANCE_MAGLEV_M;
	uint32_t e = (uint32_t)(mix64(client) % m);

	/* consume the flag before building: a change during the build is seen
	 * by the next pick */
	if (__atomic_exchange_n(&l->bal.maglev_stale, false, __ATOMIC_ACQ_REL))
		maglev_build(l);
	for (uint32_t k = 0; k < m; k++, e = e + 1 == m ? 0 : e + 1) {
		uint16_t i = l->bal.maglev[e];

		if (i == MAGLEV_EMPTY)
			return NULL;
		if (candidate(l, i, tried))
			return &l->backends[i];
	}
	return NULL;
}

/**
 * pick_once() - one pick with the listener's algorithm
 * @l:		listener
 * @client:	client address (source)
 * @tried:	backends to avoid
 *
 * Return: backend, or NULL
 */
static struct backend *pick_once(struct listener *l, uint32_t client, uint64_t tried)
{
	switch (l->conf->balance) {
	case CONF_BALANCE_LEASTCONN:
		return pick_leastconn(l, tried);
	case CONF_BALANCE_SOURCE:
		return pick_source(l, client, tried);
	case CONF_BALANCE_RANDOM:
		return pick_random(l, tried);
	case CONF_BALANCE_ROUNDROBIN:
	case CONF_BALANCE__COUNT:
		break;
	}
	return pick_roundrobin(l, tried);
}

/**
 * balance_pick() - choose a backend for a new connection
 * @l:		listener (not forward = "original")
 * @client_addr: the client's address (for source)
 * @tried:	backends already tried for this connection (bit = index)
 *
 * Return: a usable backend, preferring one not in @tried; NULL if none is
 *	   usable (all down, drained or full)
 */
struct backend *balance_pick(struct listener *l, uint32_t client_addr, uint64_t tried)
{
	struct backend *b = pick_once(l, client_addr, tried);

	if (!b && tried)
		b = pick_once(l, client_addr, 0);
	return b;
}

/**
 * balance_pick_reserve() - balance_pick() and count the connection on the
 *			    chosen backend, atomically with respect to other
 *			    workers (see the file comment)
 * @l:		listener (not forward = "original")
 * @client_addr: the client's address (for source)
 * @tried:	backends already tried for this connection
 *
 * Return: the backend, its connections_active already incremented (the
 *	   caller decrements it when the connection ends), or NULL
 */
struct backend *balance_pick_reserve(struct listener *l, uint32_t client_addr, uint64_t tried)
{
	struct backend *b;

	pthread_mutex_lock(&l->bal.lock);
	b = balance_pick(l, client_addr, tried);
	if (b)
		LSTAT_INC(b, connections_active);
	pthread_mutex_unlock(&l->bal.lock);
	return b;
}

/**
 * balance_changed() - the set of up backends changed: rebuild lazily
 * @l:		listener
 *
 * May be called from any thread.
 */
void balance_changed(struct listener *l)
{
	__atomic_store_n(&l->bal.maglev_stale, true, __ATOMIC_RELEASE);
}

/**
 * balance_init() - allocate a listener's balancing state
 * @l:		listener with its backends set
 *
 * Return: 0, or -ENOMEM
 */
int balance_init(struct listener *l)
{
	l->bal.rng = mix64((uint64_t)(uintptr_t)l ^ 0x9e3779b97f4a7c15ULL) | 1;
	l->bal.maglev_stale = true;
	pthread_mutex_init(&l->bal.lock, NULL);
	if (l->conf->balance != CONF_BALANCE_SOURCE || l->conf->forward_original)
		return 0;
	l->bal.maglev = malloc(BALANCE_MAGLEV_M * sizeof(*l->bal.maglev));
	l->bal.perm = calloc(3 * l->n_backends + 1, sizeof(*l->bal.perm));
	return l->bal.maglev && l->bal.perm ? 0 : -ENOMEM;
}

/**
 * balance_free() - release a listener's balancing state
 * @l:		listener
 */
void balance_free(struct listener *l)
{
	free(l->bal.maglev);
	free(l->bal.perm);
	l->bal.maglev = NULL;
	l->bal.perm = NULL;
	pthread_mutex_destroy(&l->bal.lock);
}
