/* ring.c: placeholder. */
#include "ring.h"
extern int ctn_ring_placeholder;
