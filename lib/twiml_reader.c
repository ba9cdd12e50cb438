/* twiml_reader.c: a small, strict XML reader for TwiML (see twiml_reader.h).
 *
 * Recursive descent over the bytes of the document. Depth is bounded
 * (TwiML nests three levels at most; MAX_DEPTH leaves room) so a hostile
 * document cannot exhaust the stack. */
#include "twiml_reader.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <string.h>

#define MAX_DEPTH 16

typedef struct reader_t {
    apr_pool_t *pool;
    const char *doc, *p, *end;
    const char *why;
} reader_t;

static apr_status_t fail(reader_t *r, const char *what)
{
    r->why = apr_psprintf(r->pool, "%s at byte %ld", what, (long)(r->p - r->doc));
    return APR_EINVAL;
}

static void skip_space(reader_t *r)
{
    while (r->p < r->end && apr_isspace(*r->p)) {
        r->p++;
    }
}

static int starts(reader_t *r, const char *s)
{
    apr_size_t n = strlen(s);

    return (apr_size_t)(r->end - r->p) >= n && memcmp(r->p, s, n) == 0;
}

static int name_char(char c, int first)
{
    return apr_isalpha(c) || c == '_' || c == ':' ||
           (!first && (apr_isdigit(c) || c == '-' || c == '.'));
}

static const char *read_name(reader_t *r)
{
    const char *start = r->p;

    if (r->p >= r->end || !name_char(*r->p, 1)) {
        return NULL;
    }
    while (r->p < r->end && name_char(*r->p, 0)) {
        r->p++;
    }
    return apr_pstrmemdup(r->pool, start, (apr_size_t)(r->p - start));
}

/* Append the UTF-8 encoding of `cp` to `out`. */
static int put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decode character data in [start, stop) with its references. */
static apr_status_t decode_text(reader_t *r, const char *start, const char *stop, const char **out)
{
    char *buf = apr_palloc(r->pool, (apr_size_t)(stop - start) + 1), *o = buf;
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};

    for (const char *c = start; c < stop;) {
        if (*c != '&') {
            *o++ = *c++;
            continue;
        }
        c++;
        if (c < stop && *c == '#') {
            unsigned long cp = 0;
            int hex = (c + 1 < stop && (c[1] == 'x' || c[1] == 'X'));
            const char *d = c + (hex ? 2 : 1);
            const char *digits = d;
            while (d < stop && (hex ? apr_isxdigit(*d) : apr_isdigit(*d)) && cp <= 0x10FFFF) {
                cp = cp * (hex ? 16 : 10) +
                     (unsigned long)(apr_isdigit(*d) ? *d - '0' : (apr_tolower(*d) - 'a' + 10));
                d++;
            }
            if (d == digits || d >= stop || *d != ';' || cp == 0 || cp > 0x10FFFF ||
                (cp >= 0xD800 && cp <= 0xDFFF)) {
                return fail(r, "bad character reference");
            }
            o += put_utf8(o, cp);
            c = d + 1;
            continue;
        }
        {
            int found = 0;
            for (apr_size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
                apr_size_t n = strlen(named[i].name);
                if ((apr_size_t)(stop - c) >= n && memcmp(c, named[i].name, n) == 0) {
                    *o++ = named[i].c;
                    c += n;
                    found = 1;
                    break;
                }
            }
            if (!found) {
                return fail(r, "unknown entity reference");
            }
        }
    }
    *o = '\0';
    *out = buf;
    return APR_SUCCESS;
}

static apr_status_t skip_misc(reader_t *r)
{
    for (;;) {
        skip_space(r);
        if (starts(r, "<!--")) {
            const char *close = NULL;
            for (const char *c = r->p + 4; c + 3 <= r->end; c++) {
                if (memcmp(c, "-->", 3) == 0) {
                    close = c;
                    break;
                }
            }
            if (close == NULL) {
                return fail(r, "unterminated comment");
            }
            r->p = close + 3;
        } else if (starts(r, "<!")) {
            return fail(r, "DTDs and declarations are not accepted");
        } else if (starts(r, "<?")) {
            return fail(r, "processing instructions are not accepted");
        } else {
            return APR_SUCCESS;
        }
    }
}

static apr_status_t read_attrs(reader_t *r, ctn_xml_node_t *node)
{
    for (;;) {
        const char *name, *vstart;
        char quote;
        ctn_xml_attr_t *attr;
        apr_status_t rv;

        skip_space(r);
        if (r->p >= r->end) {
            return fail(r, "unterminated start tag");
        }
        if (*r->p == '>' || *r->p == '/') {
            return APR_SUCCESS;
        }
        if ((name = read_name(r)) == NULL) {
            return fail(r, "bad attribute name");
        }
        skip_space(r);
        if (r->p >= r->end || *r->p != '=') {
            return fail(r, "attribute without a value");
        }
        r->p++;
        skip_space(r);
        if (r->p >= r->end || (*r->p != '"' && *r->p != '\'')) {
            return fail(r, "attribute value not quoted");
        }
        quote = *r->p++;
        vstart = r->p;
        while (r->p < r->end && *r->p != quote) {
            if (*r->p == '<') {
                return fail(r, "'<' in an attribute value");
            }
            r->p++;
        }
        if (r->p >= r->end) {
            return fail(r, "unterminated attribute value");
        }
        if (ctn_xml_attr(node, name, NULL) != NULL) {
            return fail(r, "duplicate attribute");
        }
        attr = apr_array_push(node->attrs);
        attr->name = name;
        if ((rv = decode_text(r, vstart, r->p, &attr->value)) != APR_SUCCESS) {
            return rv;
        }
        r->p++;
    }
}

static apr_status_t read_element(reader_t *r, ctn_xml_node_t **out, int depth)
{
    ctn_xml_node_t *node;
    apr_array_header_t *texts;
    apr_status_t rv;

    if (depth > MAX_DEPTH) {
        return fail(r, "elements nested too deeply");
    }
    if (!starts(r, "<")) {
        return fail(r, "expected an element");
    }
    r->p++;
    node = apr_pcalloc(r->pool, sizeof(*node));
    node->attrs = apr_array_make(r->pool, 4, sizeof(ctn_xml_attr_t));
    node->children = apr_array_make(r->pool, 4, sizeof(ctn_xml_node_t *));
    texts = apr_array_make(r->pool, 2, sizeof(const char *));
    if ((node->name = read_name(r)) == NULL) {
        return fail(r, "bad element name");
    }
    if ((rv = read_attrs(r, node)) != APR_SUCCESS) {
        return rv;
    }
    if (starts(r, "/>")) {
        r->p += 2;
        node->text = "";
        *out = node;
        return APR_SUCCESS;
    }
    if (!starts(r, ">")) {
        return fail(r, "malformed start tag");
    }
    r->p++;
    for (;;) {
        const char *start = r->p;
        const char *text;

        while (r->p < r->end && *r->p != '<') {
            r->p++;
        }
        if (r->p >= r->end) {
            return fail(r, apr_psprintf(r->pool, "element <%s> not closed", node->name));
        }
        if ((rv = decode_text(r, start, r->p, &text)) != APR_SUCCESS) {
            return rv;
        }
        APR_ARRAY_PUSH(texts, const char *) = text;
        if (starts(r, "</")) {
            const char *name;
            r->p += 2;
            name = read_name(r);
            if (name == NULL || strcmp(name, node->name) != 0) {
                return fail(r, apr_psprintf(r->pool, "</%s> does not close <%s>", name ? name : "?",
                                            node->name));
            }
            skip_space(r);
            if (!starts(r, ">")) {
                return fail(r, "malformed end tag");
            }
            r->p++;
            break;
        }
        if (starts(r, "<!--")) {
            if ((rv = skip_misc(r)) != APR_SUCCESS) {
                return rv;
            }
            continue;
        }
        if (starts(r, "<!") || starts(r, "<?")) {
            return fail(r, "declarations are not accepted inside elements");
        }
        {
            ctn_xml_node_t *child;
            if ((rv = read_element(r, &child, depth + 1)) != APR_SUCCESS) {
                return rv;
            }
            APR_ARRAY_PUSH(node->children, ctn_xml_node_t *) = child;
        }
    }
    {
        char *joined = apr_array_pstrcat(r->pool, texts, 0);
        apr_size_t n = strlen(joined);
        while (n > 0 && apr_isspace(joined[n - 1])) {
            joined[--n] = '\0';
        }
        while (*joined && apr_isspace(*joined)) {
            joined++;
        }
        node->text = joined;
    }
    *out = node;
    return APR_SUCCESS;
}

apr_status_t ctn_xml_parse(ctn_xml_node_t **root, apr_pool_t *pool, const char *doc, apr_size_t len,
                           const char **why)
{
    reader_t r = {pool, doc, doc, doc + len, NULL};
    apr_status_t rv;

    /* A UTF-8 byte-order mark is allowed before the declaration. */
    if (len >= 3 && memcmp(doc, "\xEF\xBB\xBF", 3) == 0) {
        r.p += 3;
    }
    skip_space(&r);
    if (starts(&r, "<?xml")) {
        const char *close = NULL;
        for (const char *c = r.p; c + 2 <= r.end; c++) {
            if (c[0] == '?' && c[1] == '>') {
                close = c;
                break;
            }
        }
        if (close == NULL) {
            rv = fail(&r, "unterminated XML declaration");
            goto leave;
        }
        r.p = close + 2;
    }
    if ((rv = skip_misc(&r)) != APR_SUCCESS || (rv = read_element(&r, root, 0)) != APR_SUCCESS ||
        (rv = skip_misc(&r)) != APR_SUCCESS) {
        goto leave;
    }
    if (r.p != r.end) {
        rv = fail(&r, "content after the document element");
    }
leave:
    if (rv != APR_SUCCESS) {
        *why = r.why;
    }
    return rv;
}

const char *ctn_xml_attr(const ctn_xml_node_t *node, const char *name, const char *dflt)
{
    const ctn_xml_attr_t *attrs = (const ctn_xml_attr_t *)node->attrs->elts;

    for (int i = 0; i < node->attrs->nelts; i++) {
        if (strcmp(attrs[i].name, name) == 0) {
            return attrs[i].value;
        }
    }
    return dflt;
}

const ctn_xml_node_t *ctn_xml_child(const ctn_xml_node_t *node, int i)
{
    if (i < 0 || i >= node->children->nelts) {
        return NULL;
    }
    return APR_ARRAY_IDX(node->children, i, ctn_xml_node_t *);
}
