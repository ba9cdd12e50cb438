/* db.c: placeholder. */
#include "db.h"
extern int ctn_db_placeholder;
