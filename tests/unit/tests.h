/* The unit test suites, one per module. */
#ifndef GLIA_TESTS_H
#define GLIA_TESTS_H

#include <check.h>

Suite *suite_arena(void);
Suite *suite_auth(void);
Suite *suite_billing(void);
Suite *suite_changes(void);
Suite *suite_conf(void);
Suite *suite_form(void);
Suite *suite_gitlab_schema(void);
Suite *suite_kas(void);
Suite *suite_lfs_key(void);
Suite *suite_repo(void);
Suite *suite_request(void);
Suite *suite_response(void);
Suite *suite_router(void);
Suite *suite_shed(void);
Suite *suite_sshkey(void);
Suite *suite_stmtfn(void);
Suite *suite_totp(void);
Suite *suite_util(void);

#endif
