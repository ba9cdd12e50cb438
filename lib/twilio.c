/* twilio.c: the Twilio REST client (see twilio.h). */
#include "twilio.h"

#include "form.h"
#include "json.h"
#include "url.h"

#include <apr_strings.h>
#include <curl/curl.h>
#include <string.h>

#define MAX_RESPONSE (256 * 1024)

typedef struct buffer_t {
    apr_pool_t *pool;
    char *data;
    apr_size_t len, cap;
} buffer_t;

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    buffer_t *b = userdata;
    apr_size_t n = size * nmemb;

    if (b->len + n > MAX_RESPONSE) {
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        apr_size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
        char *bigger = apr_palloc(b->pool, cap);
        if (b->len) {
            memcpy(bigger, b->data, b->len);
        }
        b->data = bigger, b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static apr_status_t curl_status(CURLcode cc)
{
    switch (cc) {
    case CURLE_OK:
        return APR_SUCCESS;
    case CURLE_OPERATION_TIMEDOUT:
        return APR_TIMEUP;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        return APR_ECONNREFUSED;
    case CURLE_OUT_OF_MEMORY:
        return APR_ENOMEM;
    default:
        return APR_EGENERAL;
    }
}

/* POST `form` to `path` under the API base with Basic auth; fills `result`
 * from Twilio's answer (sid, status or its error JSON). */
static apr_status_t post(ctn_twilio_result_t *result, apr_pool_t *pool,
                         const ctn_twilio_client_t *client, const char *path,
                         const apr_array_header_t *form)
{
    const char *url = ctn_url_join(pool, client->api_base, path);
    buffer_t buf = {pool, NULL, 0, 0};
    CURL *curl = curl_easy_init();
    CURLcode cc;
    long status = 0;
    json_object *doc;
    const char *why;

    memset(result, 0, sizeof(*result));
    if (curl == NULL) {
        return APR_ENOMEM;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, ctn_form_encode(pool, form));
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, client->account_sid);
    curl_easy_setopt(curl, CURLOPT_PASSWORD, client->auth_token);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     (long)(client->timeout_ms > 0 ? client->timeout_ms : 10000));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    cc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    result->http_status = (int)status;
    if (cc != CURLE_OK) {
        result->retryable = 1;
        result->error_message = apr_pstrdup(pool, curl_easy_strerror(cc));
        return curl_status(cc);
    }
    doc = buf.data ? ctn_json_parse(pool, buf.data, buf.len, &why) : NULL;
    if (status >= 200 && status < 300) {
        result->sid = ctn_json_get_string(doc, "sid", NULL);
        result->status = ctn_json_get_string(doc, "status", "queued");
        return APR_SUCCESS;
    }
    {
        long long code = 0;
        ctn_json_get_int64(doc, "code", &code);
        result->error_code = (int)code;
    }
    result->error_message = apr_psprintf(pool, "HTTP %ld: %s", status,
                                         ctn_json_get_string(doc, "message", "no error message"));
    result->retryable = status >= 500 || status == 429;
    return APR_EGENERAL;
}

apr_status_t ctn_twilio_send_sms(ctn_twilio_result_t *result, apr_pool_t *pool,
                                 const ctn_twilio_client_t *client, const char *from,
                                 const char *to, const char *body, const char *status_callback)
{
    apr_array_header_t *form = apr_array_make(pool, 4, sizeof(ctn_form_pair_t));

    ctn_form_add(form, "To", to);
    ctn_form_add(form, "From", from);
    ctn_form_add(form, "Body", body);
    if (status_callback) {
        ctn_form_add(form, "StatusCallback", status_callback);
    }
    return post(result, pool, client,
                apr_psprintf(pool, "/2010-04-01/Accounts/%s/Messages.json",
                             ctn_url_escape(pool, client->account_sid)),
                form);
}

apr_status_t ctn_twilio_update_call(ctn_twilio_result_t *result, apr_pool_t *pool,
                                    const ctn_twilio_client_t *client, const char *call_sid,
                                    const char *twiml)
{
    apr_array_header_t *form = apr_array_make(pool, 1, sizeof(ctn_form_pair_t));

    ctn_form_add(form, "Twiml", twiml);
    return post(result, pool, client,
                apr_psprintf(pool, "/2010-04-01/Accounts/%s/Calls/%s.json",
                             ctn_url_escape(pool, client->account_sid),
                             ctn_url_escape(pool, call_sid)),
                form);
}
