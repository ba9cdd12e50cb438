/* ring.h: placeholder, written by the foundation work. */
