/* mod_cortana_events.c: placeholder. */
extern int mod_cortana_events_placeholder;
