/* migrate.c: placeholder. */
#include "migrate.h"
extern int ctn_migrate_placeholder;
