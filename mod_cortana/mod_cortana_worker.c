/* mod_cortana_worker.c: placeholder. */
extern int mod_cortana_worker_placeholder;
