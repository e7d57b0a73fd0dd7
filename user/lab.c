// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "lab.h"
#include "util.h"

int lab_main(int argc, char **argv)
{
	fv_err("lab: not built yet");
	return FV_EXIT_USAGE;
}
