/* mod_cortana_config.c: placeholder. */
extern int mod_cortana_config_placeholder;
