// SPDX-License-Identifier: MIT
/*
 * conf_get.c - typed access to libconfig settings, reporting every misuse
 *
 * Theory of operation: each section parser asks for its keys through these
 * getters, giving a description of the section ("interface", "listener
 * 'web'") that goes into the messages. A getter returns 0 when the key is
 * absent (the caller keeps its default), 1 when *@out was set, and -1 when
 * the key is present but wrong, after reporting it at the key's own line.
 * Wrong values never touch *@out, so a failed key leaves the default in
 * place and validation carries on to find the next problem.
 *
 * libconfig gives integers as INT or INT64 depending on their size, so both
 * are accepted and range-checked as 64-bit; floats are never integers
 * (conf_get_double() takes either).
 */
#include <stdio.h>
#include <string.h>

#include "conf/conf_int.h"

/**
 * conf_type_name() - a libconfig type as the user writes about it
 * @type:	CONFIG_TYPE_*
 *
 * Return: "an integer", "a string", ... (with article, for messages)
 */
const char *conf_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:		return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:		return "an integer";
	case CONFIG_TYPE_FLOAT:		return "a float";
	case CONFIG_TYPE_STRING:	return "a string";
	case CONFIG_TYPE_BOOL:		return "a boolean";
	case CONFIG_TYPE_ARRAY:		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:		return "a list ( ... )";
	default:			return "an unknown type";
	}
}

/**
 * conf_key_known() - whether a name is in a NULL-terminated key list
 * @keys:	allowed keys
 * @name:	key to look up
 *
 * Return: true if @name is in @keys
 */
static bool conf_key_known(const char *const *keys, const char *name)
{
	for (; *keys; keys++)
		if (!strcmp(*keys, name))
			return true;
	return false;
}

/**
 * conf_keys_join() - the allowed keys as "a, b, c" for a hint
 * @keys:	allowed keys, NULL-terminated
 * @buf:	destination
 * @len:	size of @buf
 */
static void conf_keys_join(const char *const *keys, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (; *keys && used < len; keys++) {
		int n = snprintf(buf + used, len - used, "%s%s",
				 used ? ", " : "", *keys);

		if (n < 0)
			return;
		used += (size_t)n;
	}
}

/**
 * conf_check_keys() - report every member of a group that is not allowed
 * @r:		report
 * @group:	the group to check
 * @what:	section description, NULL for the top level
 * @keys:	allowed keys, NULL-terminated
 *
 * Return: true if every key is known
 */
bool conf_check_keys(struct conf_report *r, const config_setting_t *group,
		     const char *what, const char *const *keys)
{
	char valid[256];
	bool ok = true;
	int i, n = config_setting_length(group);

	conf_keys_join(keys, valid, sizeof(valid));
	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, i);
		const char *name = config_setting_name(s);

		if (!name || conf_key_known(keys, name))
			continue;
		ok = false;
		if (what)
			conf_report(r, s, "unknown key '%s' in %s (valid: %s)",
				    name, what, valid);
		else
			conf_report(r, s, "unknown top-level key '%s' (valid: %s)",
				    name, valid);
	}
	return ok;
}

/**
 * conf_member_typed() - look a key up and check its type
 * @r:		report
 * @group:	group holding the key
 * @what:	section description for messages
 * @key:	key name
 * @want:	libconfig type wanted; CONFIG_TYPE_INT also accepts INT64
 * @out:	the setting, when present with the right type
 *
 * Return: 0 absent, 1 found, -1 present with the wrong type (reported)
 */
static int conf_member_typed(struct conf_report *r,
			     const config_setting_t *group, const char *what,
			     const char *key, int want,
			     const config_setting_t **out)
{
	const config_setting_t *s = config_setting_get_member(group, key);
	int type;

	if (!s)
		return 0;
	type = config_setting_type(s);
	if (type == want || (want == CONFIG_TYPE_INT && type == CONFIG_TYPE_INT64)) {
		*out = s;
		return 1;
	}
	conf_report(r, s, "'%s' in %s must be %s, not %s", key, what,
		    conf_type_name(want), conf_type_name(type));
	return -1;
}

/**
 * conf_get_uint() - an integer key within [@min, @max]
 * @r:		report
 * @group:	group holding the key
 * @what:	section description for messages
 * @key:	key name
 * @min:	smallest allowed value
 * @max:	largest allowed value
 * @out:	set only on success
 *
 * Return: 0 absent, 1 set, -1 wrong (reported)
 */
int conf_get_uint(struct conf_report *r, const config_setting_t *group,
		  const char *what, const char *key, unsigned min, unsigned max,
		  unsigned *out)
{
	const config_setting_t *s;
	long long v;
	int rc = conf_member_typed(r, group, what, key, CONFIG_TYPE_INT, &s);

	if (rc <= 0)
		return rc;
	v = config_setting_get_int64(s);
	if (v < (long long)min || v > (long long)max) {
		conf_report(r, s, "'%s' in %s must be between %u and %u (got %lld)",
			    key, what, min, max, v);
		return -1;
	}
	*out = (unsigned)v;
	return 1;
}

/**
 * conf_get_double() - a number key (integer or float) within [@min, @max]
 * @r:		report
 * @group:	group holding the key
 * @what:	section description for messages
 * @key:	key name
 * @min:	smallest allowed value
 * @max:	largest allowed value
 * @out:	set only on success
 *
 * Return: 0 absent, 1 set, -1 wrong (reported)
 */
int conf_get_double(struct conf_report *r, const config_setting_t *group,
		    const char *what, const char *key, double min, double max,
		    double *out)
{
	const config_setting_t *s = config_setting_get_member(group, key);
	double v;
	int type;

	if (!s)
		return 0;
	type = config_setting_type(s);
	if (type == CONFIG_TYPE_FLOAT) {
		v = config_setting_get_float(s);
	} else if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
		v = (double)config_setting_get_int64(s);
	} else {
		conf_report(r, s, "'%s' in %s must be a number, not %s", key, what,
			    conf_type_name(type));
		return -1;
	}
	if (!(v >= min && v <= max)) {
		conf_report(r, s, "'%s' in %s must be between %g and %g (got %g)",
			    key, what, min, max, v);
		return -1;
	}
	*out = v;
	return 1;
}

/**
 * conf_get_bool() - a boolean key
 * @r:		report
 * @group:	group holding the key
 * @what:	section description for messages
 * @key:	key name
 * @out:	set only on success
 *
 * Return: 0 absent, 1 set, -1 wrong (reported)
 */
int conf_get_bool(struct conf_report *r, const config_setting_t *group,
		  const char *what, const char *key, bool *out)
{
	const config_setting_t *s;
	int rc = conf_member_typed(r, group, what, key, CONFIG_TYPE_BOOL, &s);

	if (rc > 0)
		*out = config_setting_get_bool(s);
	return rc;
}

/**
 * conf_get_string() - a string key
 * @r:		report
 * @group:	group holding the key
 * @what:	section description for messages
 * @key:	key name
 * @out:	set only on success; owned by the config_t
 *
 * Return: 0 absent, 1 set, -1 wrong (reported)
 */
int conf_get_string(struct conf_report *r, const config_setting_t *group,
		    const char *what, const char *key, const char **out)
{
	const config_setting_t *s;
	int rc = conf_member_typed(r, group, what, key, CONFIG_TYPE_STRING, &s);

	if (rc > 0)
		*out = config_setting_get_string(s);
	return rc;
}

/**
 * conf_get_enum() - a string key that must be one of @names
 * @r:		report
 * @group:	group holding the key
 * @what:	section description for messages
 * @key:	key name
 * @names:	allowed values, indexed by enum value
 * @n:		number of @names
 * @out:	index of the value, set only on success
 *
 * Return: 0 absent, 1 set, -1 wrong (reported)
 */
int conf_get_enum(struct conf_report *r, const config_setting_t *group,
		  const char *what, const char *key, const char *const *names,
		  unsigned n, unsigned *out)
{
	char valid[256];
	const char *v;
	size_t used = 0;
	unsigned i;
	int rc = conf_get_string(r, group, what, key, &v);

	if (rc <= 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (!strcmp(v, names[i])) {
			*out = i;
			return 1;
		}
	}
	valid[0] = '\0';
	for (i = 0; i < n && used < sizeof(valid); i++) {
		int k = snprintf(valid + used, sizeof(valid) - used, "%s%s",
				 i ? ", " : "", names[i]);

		if (k < 0)
			break;
		used += (size_t)k;
	}
	conf_report(r, config_setting_get_member(group, key),
		    "'%s' in %s must be one of %s (got '%s')", key, what, valid, v);
	return -1;
}

/**
 * conf_get_group() - a key that must be a group
 * @r:		report
 * @parent:	group holding the key
 * @what:	section description for messages
 * @key:	key name
 * @out:	the group, set only on success
 *
 * Return: 0 absent, 1 set, -1 wrong type (reported)
 */
int conf_get_group(struct conf_report *r, const config_setting_t *parent,
		   const char *what, const char *key,
		   const config_setting_t **out)
{
	return conf_member_typed(r, parent, what, key, CONFIG_TYPE_GROUP, out);
}

/**
 * conf_elem_uint() - an integer element of an array or list, in a range
 * @r:		report
 * @elem:	the element
 * @desc:	what the element is, for messages ("port in 'ports' of ...")
 * @min:	smallest allowed value
 * @max:	largest allowed value
 * @out:	set only on success
 *
 * Return: 1 set, -1 wrong (reported)
 */
int conf_elem_uint(struct conf_report *r, const config_setting_t *elem,
		   const char *desc, long long min, long long max,
		   unsigned *out)
{
	int type = config_setting_type(elem);
	long long v;

	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
		conf_report(r, elem, "%s must be an integer, not %s", desc,
			    conf_type_name(type));
		return -1;
	}
	v = config_setting_get_int64(elem);
	if (v < min || v > max) {
		conf_report(r, elem, "%s must be between %lld and %lld (got %lld)",
			    desc, min, max, v);
		return -1;
	}
	*out = (unsigned)v;
	return 1;
}
