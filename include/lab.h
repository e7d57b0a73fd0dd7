/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef FV_LAB_H
#define FV_LAB_H

/* `flowverify lab ...`; argv[0] is "lab". Returns an exit status. */
int lab_main(int argc, char **argv);

#endif
