/*
 * intake-spool - look after the submission spool (spoolctl.h).
 */
#include "spool/spoolctl.h"

int
main(int argc, char *argv[])
{
	return intake_spoolctl_main(argc, argv);
}
