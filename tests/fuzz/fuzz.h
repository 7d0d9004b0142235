/*
 * fuzz.h - the libFuzzer entry point every tests/fuzz/fuzz_<parser>.c
 * defines.  Built with -DINTAKE_FUZZ=ON it is driven by libFuzzer;
 * otherwise replay.c feeds it each file of the target's corpus.
 *
 * A target must never crash, leak or trip a sanitizer on any input, and
 * returns 0.  It may abort() on purpose when a property of its parser
 * does not hold, so the fuzzer reports it.
 */
#ifndef INTAKE_FUZZ_H
#define INTAKE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
