/*
 * vectors.h - test helper: load a JSON vector file from $VECTORS (set by
 * make check to tests/vectors) with jansson, and decode its hex fields.
 * Header-only; a missing or unreadable file is a failed test, not a skip.
 */
#ifndef SEALCAT_TEST_VECTORS_H
#define SEALCAT_TEST_VECTORS_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "tap.h"

/* Loads $VECTORS/<name>; NULL after a failed TAP line saying why. */
static inline json_t *
vectors_load(const char *name)
{
	const char *dir = getenv("VECTORS");
	char path[PATH_MAX];
	json_error_t err;
	json_t *root;

	if (dir == NULL)
		dir = "tests/vectors";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	root = json_load_file(path, 0, &err);
	if (root == NULL)
		ok(false, "load %s: %s (line %d)", path, err.text, err.line);
	return root;
}

/* The hex string field name of obj, decoded (free() it); NULL if absent or
 * not hex.  *len gets the byte count. */
static inline uint8_t *
vectors_hex(const json_t *obj, const char *name, size_t *len)
{
	const char *text = json_string_value(json_object_get(obj, name));

	if (text == NULL)
		return NULL;
	return hex_decode(text, len);
}

/* An integer field, or -1. */
static inline long long
vectors_int(const json_t *obj, const char *name)
{
	const json_t *v = json_object_get(obj, name);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* A string field, or "". */
static inline const char *
vectors_str(const json_t *obj, const char *name)
{
	const char *s = json_string_value(json_object_get(obj, name));

	return s != NULL ? s : "";
}

/* True if the test's "flags" list contains flag. */
static inline bool
vectors_has_flag(const json_t *test, const char *flag)
{
	const json_t *flags = json_object_get(test, "flags");
	size_t i;
	json_t *f;

	json_array_foreach(flags, i, f)
		if (json_is_string(f) && strcmp(json_string_value(f), flag) == 0)
			return true;
	return false;
}

#endif
