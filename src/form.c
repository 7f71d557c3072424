/* application/x-www-form-urlencoded: strict percent-decoding and splitting. */
#include "config.h"
#include "arena.h"
#include "form.h"
#include "util.h"

#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *percent_decode(struct arena *a, const char *s, size_t len, bool plus_is_space, size_t *out_len)
{
	char *out = arena_alloc(a, len + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			int hi, lo;
			if (len - i < 3)
				return NULL;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c == '\0')
			return NULL;
		out[o++] = c;
	}
	out[o] = '\0';
	if (!utf8_valid(out, o))
		return NULL;
	*out_len = o;
	return out;
}

char *form_decode(struct arena *a, const char *s, size_t len, size_t *out_len)
{
	return percent_decode(a, s, len, true, out_len);
}

int form_parse(struct arena *a, const char *s, size_t len,
	       int (*add)(void *ctx, const char *name, size_t name_len, const char *value, size_t value_len),
	       void *ctx)
{
	size_t i = 0;
	while (i < len) {
		const char *pair = s + i;
		const char *amp = memchr(pair, '&', len - i);
		size_t plen = amp ? (size_t)(amp - pair) : len - i;
		i += plen + 1;
		if (plen == 0)
			continue;
		const char *eq = memchr(pair, '=', plen);
		size_t nlen = eq ? (size_t)(eq - pair) : plen;
		size_t dn, dv;
		char *name = form_decode(a, pair, nlen, &dn);
		/* Rack reads "name" without "=" as nil, "name=" as "". */
		char *value = eq ? form_decode(a, eq + 1, plen - nlen - 1, &dv) : NULL;
		if (!eq)
			dv = 0;
		if (!name || (eq && !value))
			return FORM_BAD;
		int rc = add(ctx, name, dn, value, dv);
		if (rc != FORM_OK)
			return rc;
	}
	return FORM_OK;
}
