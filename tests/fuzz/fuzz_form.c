/* form_decode and form_parse (src/form.c): the query-string and
 * x-www-form-urlencoded decoder. Invariants: a decoded value holds no NUL,
 * is valid UTF-8 and no longer than its input; it equals what a plain
 * reference decoder gives; re-encoding what was accepted decodes back to
 * the same bytes, pair by pair. */
#include "config.h"
#include "arena.h"
#include "bounds.h"
#include "form.h"
#include "util.h"
#include "fuzz.h"

#include <stdbool.h>

static int hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The reference: malformed escape or NUL → refused (UTF-8 checked apart). */
static bool ref_decode(const uint8_t *s, size_t len, char *out, size_t *olen)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int c = s[i];
		if (c == '%') {
			if (len - i < 3)
				return false;
			int h = hex(s[i + 1]), l = hex(s[i + 2]);
			if (h < 0 || l < 0)
				return false;
			c = h * 16 + l;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == 0)
			return false;
		out[o++] = (char)c;
	}
	*olen = o;
	return true;
}

static size_t encode(const char *s, size_t len, char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~') {
			out[o++] = (char)c;
		} else if (c == ' ') {
			out[o++] = '+';
		} else {
			out[o++] = '%';
			out[o++] = digits[c >> 4];
			out[o++] = digits[c & 15];
		}
	}
	return o;
}

#define MAX_PAIRS 4096

struct pairs {
	struct arena *a;
	size_t n;
	const char *name[MAX_PAIRS], *value[MAX_PAIRS];
	size_t nlen[MAX_PAIRS], vlen[MAX_PAIRS];
	size_t input_len;
};

static int add(void *vctx, const char *name, size_t name_len, const char *value, size_t value_len)
{
	struct pairs *p = vctx;
	/* A pair without "=" has no value; re-encoded below it gets "=". */
	if (!value) {
		CHECK(value_len == 0);
		value = "";
	}
	CHECK(strlen(name) == name_len && strlen(value) == value_len);
	CHECK(name_len + value_len <= p->input_len);
	CHECK(utf8_valid(name, name_len) && utf8_valid(value, value_len));
	if (p->n >= MAX_PAIRS)
		return FORM_TOO_MANY;
	p->name[p->n] = name;
	p->nlen[p->n] = name_len;
	p->value[p->n] = value;
	p->vlen[p->n] = value_len;
	p->n++;
	return FORM_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	size_t dlen = 0, rlen = 0;
	char *ref = malloc(size + 1);

	arena_init(&a, ARENA_MAX);
	/* The whole input as one value. */
	char *d = form_decode(&a, (const char *)data, size, &dlen);
	bool ref_ok = ref_decode(data, size, ref, &rlen) && utf8_valid(ref, rlen);
	CHECK((d != NULL) == ref_ok);
	if (d) {
		CHECK(dlen <= size && strlen(d) == dlen);
		CHECK(rlen == dlen && memcmp(ref, d, dlen) == 0);
		char *enc = malloc(3 * dlen + 1);
		size_t elen = encode(d, dlen, enc), d2len = 0;
		char *d2 = form_decode(&a, enc, elen, &d2len);
		CHECK(d2 && d2len == dlen && memcmp(d2, d, dlen) == 0);
		free(enc);
	}

	/* The whole input as a query string or form body. */
	static struct pairs pairs[2];
	struct pairs *p = &pairs[0], *q = &pairs[1];
	p->n = q->n = 0;
	p->a = q->a = &a;
	p->input_len = size;
	int rc = form_parse(&a, (const char *)data, size, add, p);
	CHECK(rc == FORM_OK || rc == FORM_BAD || rc == FORM_TOO_MANY);
	if (rc == FORM_OK) {
		/* Re-encode the pairs; parsing that gives the same pairs. */
		size_t cap = 1;
		for (size_t i = 0; i < p->n; i++)
			cap += 3 * (p->nlen[i] + p->vlen[i]) + 2;
		char *enc = malloc(cap);
		size_t o = 0;
		for (size_t i = 0; i < p->n; i++) {
			if (i)
				enc[o++] = '&';
			o += encode(p->name[i], p->nlen[i], enc + o);
			enc[o++] = '=';
			o += encode(p->value[i], p->vlen[i], enc + o);
		}
		q->input_len = o;
		CHECK(form_parse(&a, enc, o, add, q) == FORM_OK);
		/* "=" alone is an empty name and value: form_parse still reports
		 * it, so the counts agree exactly. */
		CHECK(q->n == p->n);
		for (size_t i = 0; i < p->n; i++)
			CHECK(q->nlen[i] == p->nlen[i] && memcmp(q->name[i], p->name[i], p->nlen[i]) == 0 &&
			      q->vlen[i] == p->vlen[i] && memcmp(q->value[i], p->value[i], p->vlen[i]) == 0);
		free(enc);
	}
	free(ref);
	arena_destroy(&a);
	return 0;
}
