/* The error registry table (see include/errors.h). */
#include "errors.h"

static const struct error_info registry[ERR__COUNT] = {
#define X(sym, name, status, title) [sym] = {name, status, title},
  ERROR_REGISTRY(X)
#undef X
};

const struct error_info *error_info(enum error_code code) {
  if ((unsigned)code >= ERR__COUNT)
    code = ERR_INTERNAL;
  return &registry[code];
}
