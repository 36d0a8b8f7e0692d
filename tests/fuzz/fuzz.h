/* Shared by the libFuzzer targets of tests/fuzz: the entry point libFuzzer calls, and a check that never compiles
 * out. A failed check aborts: libFuzzer keeps the input that made it fail as a crash. */
#ifndef COMMISSIOND_FUZZ_H
#define COMMISSIOND_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond, ...)                                                                                    \
  do {                                                                                                           \
    if (!(cond)) {                                                                                               \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);                                    \
      fprintf(stderr, __VA_ARGS__);                                                                              \
      fputc('\n', stderr);                                                                                       \
      abort();                                                                                                   \
    }                                                                                                            \
  } while (0)

#endif
