/* twiml_reader.h: reads a TwiML document into a tree of verbs.
 *
 * The call simulator (cortana-call, and the owner's test calls) plays Twilio
 * against a running server, so it must read the TwiML the server answers
 * with. This is a small, strict XML reader for that purpose: elements,
 * attributes, text and the predefined and numeric character references. It
 * refuses DTDs and processing instructions other than the XML declaration,
 * so it cannot be made to expand entities or fetch anything. */
#ifndef CTN_TWIML_READER_H
#define CTN_TWIML_READER_H

#include <apr_pools.h>
#include <apr_tables.h>

typedef struct ctn_xml_node_t ctn_xml_node_t;

struct ctn_xml_node_t {
    const char *name;             /* element name, e.g. "Say" */
    apr_array_header_t *attrs;    /* of ctn_xml_attr_t, in document order */
    const char *text;             /* concatenated character data, trimmed */
    apr_array_header_t *children; /* of ctn_xml_node_t * */
};

typedef struct ctn_xml_attr_t {
    const char *name;
    const char *value;
} ctn_xml_attr_t;

/* Parse `doc` (`len` bytes). On success `*root` is the document element
 * (allocated in `pool`). On failure returns APR_EINVAL and sets `*why` to
 * a reason with the byte offset. */
apr_status_t ctn_xml_parse(ctn_xml_node_t **root, apr_pool_t *pool, const char *doc, apr_size_t len,
                           const char **why);

/* The value of attribute `name` of `node`, or `dflt`. */
const char *ctn_xml_attr(const ctn_xml_node_t *node, const char *name, const char *dflt);

/* The `i`th child element, or NULL. */
const ctn_xml_node_t *ctn_xml_child(const ctn_xml_node_t *node, int i);

#endif
