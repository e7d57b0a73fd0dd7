// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "lab.h"
#include "util.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fv_err("no command given; try 'flowverify --help'");
		return FV_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "lab"))
		return lab_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version")) {
		printf("flowverify %s\n", FV_VERSION);
		return 0;
	}
	fv_err("unknown command '%s'; try 'flowverify --help'", argv[1]);
	return FV_EXIT_USAGE;
}
