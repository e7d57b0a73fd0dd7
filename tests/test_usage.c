// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Every long option a command takes appears in its --help: the usage text
 * is written apart from the option table, so this keeps the two together.
 * Each command is run in this process with --help, its stdout captured. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmd.h"
#include "lab.h"
#include "util.h"

/* What run(argc, argv) prints on stdout (malloc'd), and its status. */
static char *output_of(int (*run)(int, char **), int argc, char **argv,
		       int *status)
{
	FILE *mem = tmpfile();
	char *out;
	int saved;
	long len;

	assert_non_null(mem);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(dup2(fileno(mem), STDOUT_FILENO) >= 0);
	*status = run(argc, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	len = ftell(mem);
	rewind(mem);
	out = calloc(1, len + 1);
	assert_non_null(out);
	assert_int_equal(fread(out, 1, len, mem), (size_t)len);
	fclose(mem);
	return out;
}

/* The command's --help (of its subcommand sub, when given). */
static char *help_of(const struct fv_command *c, const char *sub, int *status)
{
	char *argv[] = { (char *)c->name, sub ? (char *)sub : "--help",
			 "--help", NULL };

	return output_of(c->run, sub ? 3 : 2, argv, status);
}

/* Every option of opts (but --help itself) is named in text as --NAME. */
static int missing_options(const char *who, const struct option *opts,
			   const char *text)
{
	char want[64];
	int i, missing = 0;

	for (i = 0; opts[i].name; i++) {
		if (!strcmp(opts[i].name, "help"))
			continue;
		snprintf(want, sizeof(want), "--%s", opts[i].name);
		if (!strstr(text, want)) {
			print_message("# %s --help does not name %s\n", who,
				      want);
			missing++;
		}
	}
	return missing;
}

static void test_commands(void **state)
{
	int i, status, missing = 0;
	char *text;

	(void)state;
	assert_true(fv_commands_n >= 8);
	for (i = 0; i < fv_commands_n; i++) {
		const struct fv_command *c = &fv_commands[i];

		assert_non_null(c->opts);
		text = help_of(c, NULL, &status);
		assert_int_equal(status, FV_EXIT_OK);
		assert_non_null(strstr(text, "Usage: flowverify "));
		missing += missing_options(c->name, c->opts, text);
		free(text);
	}
	assert_int_equal(missing, 0);
}

/* verify, watch and trace say their exit statuses and --color; the top
 * level names cleanup --filters (issue 16). */
static void test_observe_help(void **state)
{
	static const char *const names[] = { "verify", "watch", "trace" };
	const struct fv_command *c;
	char *text;
	int i, status;

	(void)state;
	for (i = 0; i < 3; i++) {
		c = fv_command_find(fv_commands, fv_commands_n, names[i]);
		assert_non_null(c);
		text = help_of(c, NULL, &status);
		assert_non_null(strstr(text, "Exit status:"));
		assert_non_null(strstr(text, "--color"));
		assert_non_null(strstr(text, "--duration"));
		free(text);
	}
	c = fv_command_find(fv_commands, fv_commands_n, "cleanup");
	assert_non_null(c);
	assert_non_null(strstr(c->help, "--filters"));
}

/* verify --agent URL hands over to the remote join, with its own help. */
static void test_verify_agent(void **state)
{
	const struct fv_command *verify =
		fv_command_find(fv_commands, fv_commands_n, "verify");
	char *text;
	int status;

	(void)state;
	assert_non_null(verify);
	{
		char *argv[] = { "verify", "--agent", "http://127.0.0.1:1",
				 "--help", NULL };

		text = output_of(verify->run, 4, argv, &status);
	}
	assert_int_equal(status, FV_EXIT_OK);
	assert_non_null(strstr(text, "--agent URL"));
	assert_int_equal(missing_options("verify --agent", fv_remote_options,
					 text),
			 0);
	free(text);
}

static void test_lab_commands(void **state)
{
	const struct fv_command *lab =
		fv_command_find(fv_commands, fv_commands_n, "lab");
	int i, status, missing = 0;
	char who[64], *text;

	(void)state;
	assert_non_null(lab);
	assert_int_equal(fv_lab_commands_n, 5);
	for (i = 0; i < fv_lab_commands_n; i++) {
		const struct fv_command *c = &fv_lab_commands[i];

		text = help_of(lab, c->name, &status);
		assert_int_equal(status, FV_EXIT_OK);
		snprintf(who, sizeof(who), "lab %s", c->name);
		assert_non_null(strstr(text, "Usage: flowverify lab "));
		missing += missing_options(who, c->opts, text);
		free(text);
	}
	assert_int_equal(missing, 0);
}

/* The top-level list is printed from the table: each command is in it. */
static void test_main_list(void **state)
{
	const struct fv_command *lab =
		fv_command_find(fv_commands, fv_commands_n, "lab");
	char *text;
	int i, status;

	(void)state;
	text = help_of(lab, NULL, &status);
	for (i = 0; i < fv_lab_commands_n; i++)
		assert_non_null(strstr(text, fv_lab_commands[i].name));
	free(text);
	for (i = 0; i < fv_commands_n; i++)
		assert_null(fv_command_find(fv_commands, i, fv_commands[i].name));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_verify_agent),
		cmocka_unit_test(test_observe_help),
		cmocka_unit_test(test_lab_commands),
		cmocka_unit_test(test_main_list),
	};

	return cmocka_run_group_tests_name("usage", tests, NULL, NULL);
}
