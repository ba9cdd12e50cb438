/* version.h: the one place Cortana's version string lives (from configure). */
#ifndef CTN_VERSION_H
#define CTN_VERSION_H

#include "config.h"

#define CTN_VERSION PACKAGE_VERSION

#endif
