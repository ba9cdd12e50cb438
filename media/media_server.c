/* media_server.c: placeholder. */
extern int media_server_placeholder;
