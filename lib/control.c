/* control.c: placeholder. */
#include "control.h"
extern int ctn_control_placeholder;
