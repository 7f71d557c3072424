/* Runs every unit test suite; automake's harness reads the exit status. */
#include "config.h"
#include "log.h"
#include "tests.h"

#include <stdlib.h>

int main(void)
{
	SRunner *sr = srunner_create(suite_util());
	srunner_add_suite(sr, suite_arena());
	srunner_add_suite(sr, suite_form());
	srunner_add_suite(sr, suite_gitlab_schema());
	srunner_add_suite(sr, suite_request());
	srunner_add_suite(sr, suite_router());
	srunner_add_suite(sr, suite_response());
	srunner_add_suite(sr, suite_auth());
	srunner_add_suite(sr, suite_billing());
	srunner_add_suite(sr, suite_kas());
	srunner_add_suite(sr, suite_lfs_key());
	srunner_add_suite(sr, suite_changes());
	srunner_add_suite(sr, suite_conf());
	srunner_add_suite(sr, suite_sshkey());
	srunner_add_suite(sr, suite_repo());
	srunner_add_suite(sr, suite_stmtfn());
	srunner_add_suite(sr, suite_totp());
	srunner_add_suite(sr, suite_shed());
	log_set_level(LOG_LVL_ERROR);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
