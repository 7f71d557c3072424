/* The response body's JSON writer, held byte for byte to json-c's own
 * output with the flags glia answers with, over every byte value, integers
 * at their limits, doubles, nesting and parsed documents. */
#include "config.h"
#include "arena.h"
#include "response.h"
#include "tests.h"

#include <stdint.h>
#include <string.h>

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Asserts glia's text equals json-c's, then releases obj. */
static void same_as_json_c(json_object *obj)
{
	struct arena a;
	size_t len, want_len;
	arena_init(&a, 1 << 24);
	const char *want = json_object_to_json_string_length(obj, FLAGS, &want_len);
	const char *got = response_json_text(&a, obj, &len);
	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(len, want_len);
	ck_assert_mem_eq(got, want, len);
	ck_assert_int_eq(got[len], '\0');
	json_object_put(obj);
	arena_destroy(&a);
}

START_TEST(every_byte_in_strings_and_keys)
{
	char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (char)i;
	/* Each byte alone, so a wrong escape names its byte. */
	for (int i = 0; i < 256; i++)
		same_as_json_c(json_object_new_string_len(all + i, 1));
	same_as_json_c(json_object_new_string_len(all, 256));
	json_object *o = json_object_new_object();
	for (int i = 1; i < 256; i++) {
		char key[3] = { 'k', (char)i, '\0' };
		json_object_object_add(o, key, json_object_new_string_len(all, i));
	}
	same_as_json_c(o);
	same_as_json_c(json_object_new_string("a/b \"quoted\" back\\slash\ttab é 日本 \xff\xfe"));
	same_as_json_c(json_object_new_string(""));
}
END_TEST

START_TEST(integers_booleans_null_and_doubles)
{
	const int64_t ints[] = { 0, 1, -1, 9, 10, -10, 123456789, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN,
				 INT64_MIN + 1, 1000000000000LL };
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		same_as_json_c(json_object_new_int64(ints[i]));
	same_as_json_c(json_object_new_int(-42));
	same_as_json_c(json_object_new_uint64(UINT64_MAX));
	same_as_json_c(json_object_new_uint64((uint64_t)INT64_MAX + 1));
	same_as_json_c(json_object_new_boolean(1));
	same_as_json_c(json_object_new_boolean(0));
	same_as_json_c(NULL);
	const double doubles[] = { 0.0, 1.5, -0.25, 1e300, 3.0, 0.1, 123456.789 };
	for (size_t i = 0; i < sizeof doubles / sizeof doubles[0]; i++)
		same_as_json_c(json_object_new_double(doubles[i]));
}
END_TEST

START_TEST(nested_and_empty_containers)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "empty_object", json_object_new_object());
	json_object_object_add(o, "empty_array", json_object_new_array());
	json_object_object_add(o, "null", NULL);
	json_object *arr = json_object_new_array();
	json_object_array_add(arr, NULL);
	json_object_array_add(arr, json_object_new_int(1));
	json_object_array_add(arr, json_object_new_string("two"));
	json_object *inner = json_object_new_object();
	json_object_object_add(inner, "deep", json_object_new_array());
	json_object_array_add(arr, inner);
	json_object_object_add(o, "list", arr);
	json_object_object_add(o, "status", json_object_new_boolean(1));
	same_as_json_c(o);
	same_as_json_c(json_object_new_object());
	same_as_json_c(json_object_new_array());
}
END_TEST

/* Documents as a request or the database hands them over: parsed numbers
 * keep their spelling, strings their escapes decoded. */
START_TEST(parsed_documents)
{
	static const char *const docs[] = {
		"{\"a\":1.0,\"b\":-0.0,\"c\":1e2,\"d\":12345678901234567890,\"e\":-9223372036854775808}",
		"[\"\\u0000\\u001f\\u007f\\ud83d\\ude00\",\"\\/\",true,false,null,[],{}]",
		"{\"gl_repository\":\"project-1\",\"changes\":\"a b refs/heads/x\\nc d refs/heads/y\"}",
		"[[[[[[[[[[1]]]]]]]]]]",
	};
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		json_object *o = json_tokener_parse(docs[i]);
		ck_assert_msg(o != NULL, "%s", docs[i]);
		same_as_json_c(o);
	}
}
END_TEST

START_TEST(too_deep_or_out_of_memory_is_null)
{
	struct arena a;
	size_t len;
	json_object *root = json_object_new_array(), *at = root;
	for (int i = 0; i < 100; i++) {
		json_object *next = json_object_new_array();
		json_object_array_add(at, next);
		at = next;
	}
	arena_init(&a, 1 << 20);
	ck_assert_ptr_null(response_json_text(&a, root, &len));
	arena_destroy(&a);
	json_object_put(root);

	/* A string larger than the arena may hold. */
	char big[4096];
	memset(big, 'x', sizeof big);
	json_object *s = json_object_new_string_len(big, sizeof big);
	arena_init(&a, 1024);
	ck_assert_ptr_null(response_json_text(&a, s, &len));
	arena_destroy(&a);
	json_object_put(s);
}
END_TEST

Suite *suite_response(void)
{
	Suite *s = suite_create("response");
	TCase *tc = tcase_create("json");
	tcase_add_test(tc, every_byte_in_strings_and_keys);
	tcase_add_test(tc, integers_booleans_null_and_doubles);
	tcase_add_test(tc, nested_and_empty_containers);
	tcase_add_test(tc, parsed_documents);
	tcase_add_test(tc, too_deep_or_out_of_memory_is_null);
	suite_add_tcase(s, tc);
	return s;
}
