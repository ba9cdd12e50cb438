/* media_control.c: placeholder. */
extern int media_control_placeholder;
