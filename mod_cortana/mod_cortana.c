#include "httpd.h"
#include "http_config.h"
static void register_hooks(apr_pool_t *p) { (void)p; }
AP_DECLARE_MODULE(cortana) = { STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, register_hooks, 0 };
