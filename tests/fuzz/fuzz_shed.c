/* shed_parse_request_start (src/shed.c): X-Request-Start as the web server
 * writes it. Invariants: an accepted value is an optional "t=", 1 to 16
 * digits and at most one '.' with 1 to 6 digits, nothing else; its result
 * lies in [2000, 2100) and equals an independent reading in long double
 * (seconds with a fraction, or microseconds without one); a refusal leaves
 * the output alone. */
#include "config.h"
#include "shed.h"
#include "fuzz.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	int64_t us = -7;

	if (shed_parse_request_start(s, &us) == 0) {
		const char *p = strncmp(s, "t=", 2) == 0 ? s + 2 : s;
		size_t whole = strspn(p, "0123456789");
		CHECK(whole >= 1 && whole <= 16);
		const char *dot = p + whole;
		size_t frac = 0;
		if (*dot == '.') {
			frac = strspn(dot + 1, "0123456789");
			CHECK(frac >= 1 && frac <= 6);
			CHECK(dot[1 + frac] == '\0');
		} else {
			CHECK(*dot == '\0');
		}
		CHECK(us >= 946684800000000LL && us < 4102444800000000LL);
		long double v = strtold(p, NULL);
		long long ref = frac ? llroundl(v * 1000000.0L) : (long long)v;
		CHECK(ref == us);
	} else {
		CHECK(us == -7);
	}
	free(s);
	return 0;
}
