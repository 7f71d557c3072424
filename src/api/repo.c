/* Which repository a git call is about. Being written. */
#include "config.h"
#include "api/repo.h"
