/* mod_cortana_health.c: placeholder. */
extern int mod_cortana_health_placeholder;
