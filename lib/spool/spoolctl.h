/*
 * spoolctl.h - the intake-spool command: list, show, retry and purge
 * spooled and held submissions.
 *
 *   intake-spool [-c FILE] list [queued|held|all]
 *   intake-spool [-c FILE] show REF
 *   intake-spool [-c FILE] retry REF...|--all-held
 *   intake-spool [-c FILE] purge [-f] REF...
 */
#ifndef INTAKE_SPOOLCTL_H
#define INTAKE_SPOOLCTL_H

/* The whole command; returns its exit status (0 ok, 1 failure, 2 usage). */
int	intake_spoolctl_main(int argc, char *argv[]);

#endif
