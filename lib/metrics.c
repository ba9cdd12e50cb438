/* metrics.c: placeholder. */
#include "metrics.h"
extern int ctn_metrics_placeholder;
