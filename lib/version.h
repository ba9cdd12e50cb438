/* version.h: the one place Cortana's version string lives.
 *
 * CTN_VERSION comes from configure's AC_INIT through the compiler's command
 * line (Makefile.am), not config.h, whose PACKAGE_* macros collide with
 * httpd's own. */
#ifndef CTN_VERSION_H
#define CTN_VERSION_H

#ifndef CTN_VERSION
#error "CTN_VERSION must be defined by the build (see Makefile.am)"
#endif

#endif
