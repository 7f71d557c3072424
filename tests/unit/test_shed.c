/* Load shedding: X-Request-Start's parser and the decision. */
#include "config.h"
#include "shed.h"
#include "tests.h"

#include <stdint.h>

static const struct {
	const char *in;
	int rc;
	int64_t us;
} starts[] = {
	/* nginx: t=${msec} */
	{ "t=1733467012.345", 0, 1733467012345000LL },
	{ "1733467012.345", 0, 1733467012345000LL },
	{ "t=1733467012.5", 0, 1733467012500000LL },
	{ "t=1733467012.123456", 0, 1733467012123456LL },
	/* Apache: %t, microseconds */
	{ "t=1733467012345678", 0, 1733467012345678LL },
	{ "1733467012345678", 0, 1733467012345678LL },
	/* the range: 2000-01-01 to before 2100-01-01 */
	{ "946684800.000", 0, 946684800000000LL },
	{ "946684799.999", -1, 0 },
	{ "4102444799.999999", 0, 4102444799999999LL },
	{ "4102444800.000", -1, 0 },
	{ "t=1733467012", -1, 0 },	/* seconds read as microseconds: 1970 */
	{ "t=1733467012345", -1, 0 },	/* milliseconds read as microseconds: 1970 */
	/* malformed */
	{ "", -1, 0 },
	{ "t=", -1, 0 },
	{ "t=.5", -1, 0 },
	{ "t=1733467012.", -1, 0 },
	{ "t=1733467012.1234567", -1, 0 },
	{ "t=1733467012.345.6", -1, 0 },
	{ "t=-1733467012.345", -1, 0 },
	{ "-1733467012345678", -1, 0 },
	{ "+1733467012.345", -1, 0 },
	{ "t= 1733467012.345", -1, 0 },
	{ "t=1733467012.345 ", -1, 0 },
	{ "T=1733467012.345", -1, 0 },
	{ "t=t=1733467012.345", -1, 0 },
	{ "t=1733467012,345", -1, 0 },
	{ "t=0x67530000", -1, 0 },
	{ "t=1.7e9", -1, 0 },
	/* overflow: no digit count may wrap */
	{ "t=99999999999999999", -1, 0 },
	{ "t=9223372036854775807", -1, 0 },
	{ "t=18446744073709551617", -1, 0 },
	{ "t=9999999999999999.5", -1, 0 },
	{ "t=99999999999999999999999999.5", -1, 0 },
	{ "t=0000000001733467012345678", -1, 0 },
};

START_TEST(request_start_parsing)
{
	int64_t us = -7;
	int rc = shed_parse_request_start(starts[_i].in, &us);
	ck_assert_msg(rc == starts[_i].rc, "\"%s\": rc %d, expected %d", starts[_i].in, rc, starts[_i].rc);
	if (rc == 0)
		ck_assert_msg(us == starts[_i].us, "\"%s\": %lld, expected %lld", starts[_i].in, (long long)us,
			      (long long)starts[_i].us);
	else
		ck_assert_msg(us == -7, "\"%s\": the output was written on failure", starts[_i].in);
}
END_TEST

START_TEST(shedding_off_or_unknown)
{
	struct shed_state s;
	shed_init(&s, 0);
	ck_assert(!shed_request(&s, 100000, 60000, 0));	/* max_queue_wait = 0: off */
	ck_assert(!shed_request(&s, 100000, -1, 200));	/* no X-Request-Start */
}
END_TEST

START_TEST(shedding_standing_queue)
{
	struct shed_state s;
	shed_init(&s, 0);
	ck_assert(!shed_request(&s, 10, 99, 200));	/* short: nothing changes */
	/* A long wait starts a long queue at 100: for a second, 1.2 s. */
	ck_assert(!shed_request(&s, 100, 900, 200));
	ck_assert(!shed_request(&s, 1100, 1200, 200));
	ck_assert(shed_request(&s, 1100, 1201, 200));
	/* Past that second it is standing: 200 ms. */
	ck_assert(!shed_request(&s, 1101, 200, 200));
	ck_assert(shed_request(&s, 1101, 201, 200));
	/* Short waits in between (a dip) do not end it... */
	ck_assert(!shed_request(&s, 1500, 10, 200));
	ck_assert(!shed_request(&s, 2000, 10, 200));
	ck_assert(shed_request(&s, 2100, 300, 200));
	/* ...a second without a long wait does: a new burst at 3101. */
	ck_assert(!shed_request(&s, 3101, 1000, 200));
	ck_assert(!shed_request(&s, 4101, 1100, 200));
	ck_assert(shed_request(&s, 4102, 300, 200));
}
END_TEST

START_TEST(shedding_fresh_worker)
{
	/* A new worker takes the queue for short: its first long wait
	 * starts a burst. */
	struct shed_state s;
	shed_init(&s, 1000);
	ck_assert(!shed_request(&s, 1000, 1000, 200));
	ck_assert(!shed_request(&s, 1500, 150, 200));
	ck_assert(shed_request(&s, 2001, 300, 200));
}
END_TEST

Suite *suite_shed(void)
{
	Suite *s = suite_create("shed");
	TCase *tc = tcase_create("shed");
	tcase_add_loop_test(tc, request_start_parsing, 0, sizeof starts / sizeof starts[0]);
	tcase_add_test(tc, shedding_off_or_unknown);
	tcase_add_test(tc, shedding_standing_queue);
	tcase_add_test(tc, shedding_fresh_worker);
	suite_add_tcase(s, tc);
	return s;
}
