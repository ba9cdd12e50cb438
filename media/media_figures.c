/* media_figures.c: what the relay counts, records and reports.
 *
 * Per call: OpenAI's usage from response.done, the least rate-limit headroom
 * from rate_limits.updated, time to first audio and per-turn answer latency;
 * written to call_logs.realtime_stats when the stream ends (a job: the loop
 * never waits on the database). For the control socket: the worker's
 * figures (stats, with a turn-latency histogram), the live calls, and
 * hanging one up through Twilio. */
#include "media_relay.h"

#include "json.h"

#include <apr_strings.h>
#include <string.h>

void relay_record_turn_latency(relay_call_t *c, apr_time_t took)
{
    relay_t *r = c->m->relay;
    apr_time_t ms = apr_time_as_msec(took), bound = 50;
    int i = 0;

    c->turns_answered++;
    c->turn_latency_sum += took;
    if (took > c->turn_latency_max) {
        c->turn_latency_max = took;
    }
    while (i < RELAY_HIST_BUCKETS - 1 && ms >= bound) {
        bound *= 2;
        i++;
    }
    r->turn_hist[i]++;
}

static apr_uint64_t member_count(json_object *o, const char *a, const char *b)
{
    json_object *v = NULL;

    if (o == NULL || !json_object_object_get_ex(o, a, &v)) {
        return 0;
    }
    if (b != NULL && !json_object_object_get_ex(v, b, &v)) {
        return 0;
    }
    return json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0
               ? (apr_uint64_t)json_object_get_int64(v)
               : 0;
}

/* response.done's usage, summed over the call (cost per call). */
void relay_record_usage(relay_call_t *c, json_object *o)
{
    json_object *resp = NULL, *usage = NULL;

    json_object_object_get_ex(o, "response", &resp);
    c->responses++;
    if (resp == NULL || !json_object_object_get_ex(resp, "usage", &usage)) {
        return;
    }
    c->input_tokens += member_count(usage, "input_tokens", NULL);
    c->output_tokens += member_count(usage, "output_tokens", NULL);
    c->input_audio_tokens += member_count(usage, "input_token_details", "audio_tokens");
    c->cached_tokens += member_count(usage, "input_token_details", "cached_tokens");
    c->output_audio_tokens += member_count(usage, "output_token_details", "audio_tokens");
}

/* rate_limits.updated: the least headroom seen during the call. */
void relay_record_rate_limits(relay_call_t *c, json_object *o)
{
    json_object *limits = NULL;

    if (!json_object_object_get_ex(o, "rate_limits", &limits) ||
        !json_object_is_type(limits, json_type_array)) {
        return;
    }
    for (size_t i = 0; i < json_object_array_length(limits); i++) {
        json_object *l = json_object_array_get_idx(limits, i), *rem = NULL;
        const char *name = ctn_json_get_string(l, "name", "");
        apr_int64_t *least = strcmp(name, "tokens") == 0     ? &c->least_tokens_left
                             : strcmp(name, "requests") == 0 ? &c->least_requests_left
                                                             : NULL;
        if (least && json_object_object_get_ex(l, "remaining", &rem)) {
            apr_int64_t left = json_object_get_int64(rem);
            if (*least < 0 || left < *least) {
                *least = left;
            }
        }
    }
}

void relay_record_call_stats(relay_call_t *c)
{
    relay_job_t *job;

    if (c->business_id[0] == '\0' || c->call_sid[0] == '\0') {
        return; /* never a verified call */
    }
    job = relay_job(c, relay_job_stats, NULL);
    job->result = apr_psprintf(
        job->pool,
        "{\"first_audio_ms\":%" APR_INT64_T_FMT ",\"turns\":%" APR_UINT64_T_FMT
        ",\"turn_latency_avg_ms\":%" APR_INT64_T_FMT ",\"turn_latency_max_ms\":%" APR_INT64_T_FMT
        ",\"responses\":%" APR_UINT64_T_FMT ",\"input_tokens\":%" APR_UINT64_T_FMT
        ",\"output_tokens\":%" APR_UINT64_T_FMT ",\"input_audio_tokens\":%" APR_UINT64_T_FMT
        ",\"output_audio_tokens\":%" APR_UINT64_T_FMT ",\"cached_tokens\":%" APR_UINT64_T_FMT
        ",\"least_tokens_left\":%" APR_INT64_T_FMT ",\"least_requests_left\":%" APR_INT64_T_FMT
        ",\"sessions\":%u,\"reconnects\":%u,\"barge_ins\":%" APR_UINT64_T_FMT
        ",\"frames_in\":%" APR_UINT64_T_FMT ",\"frames_out\":%" APR_UINT64_T_FMT "}",
        c->first_audio_at ? (apr_int64_t)apr_time_as_msec(c->first_audio_at - c->started_at) : -1,
        c->turns,
        c->turns_answered
            ? (apr_int64_t)apr_time_as_msec(c->turn_latency_sum / (apr_time_t)c->turns_answered)
            : -1,
        c->turns_answered ? (apr_int64_t)apr_time_as_msec(c->turn_latency_max) : -1, c->responses,
        c->input_tokens, c->output_tokens, c->input_audio_tokens, c->output_audio_tokens,
        c->cached_tokens, c->least_tokens_left, c->least_requests_left, c->session_no + 1,
        c->reconnects, c->barge_ins, c->frames_in, c->frames_out);
    relay_submit(job);
}

const char *media_relay_stats(media_t *m, apr_pool_t *pool)
{
    relay_t *r = m->relay;
    int configured = r && r->api_key;
    /* Healthy unless the last connection attempts failed within a minute. */
    int healthy = configured && !(r->connect_failures >= 1 &&
                                  apr_time_now() - r->last_failure_at < apr_time_from_sec(60));
    apr_uint64_t in = 0, out = 0, dropped = 0, barge_ins = 0, live = 0;
    const char *hist = "";

    if (r == NULL) {
        return "\"openai_configured\":false,\"openai_healthy\":false,\"realtime_calls_total\":0";
    }
    in = r->frames_in, out = r->frames_out, dropped = r->frames_dropped, barge_ins = r->barge_ins;
    for (relay_call_t *c = r->calls; c; c = c->next) {
        in += c->frames_in, out += c->frames_out, dropped += c->frames_dropped;
        barge_ins += c->barge_ins;
        live++;
    }
    for (int i = 0, bound = 50; i < RELAY_HIST_BUCKETS; i++, bound *= 2) {
        hist = apr_psprintf(pool, "%s%s{\"%s\":%d,\"count\":%" APR_UINT64_T_FMT "}", hist,
                            i ? "," : "", i < RELAY_HIST_BUCKETS - 1 ? "below_ms" : "from_ms",
                            i < RELAY_HIST_BUCKETS - 1 ? bound : bound / 2, r->turn_hist[i]);
    }
    return apr_psprintf(pool,
                        "\"openai_configured\":%s,\"openai_healthy\":%s,\"realtime_calls_total\":"
                        "%" APR_UINT64_T_FMT ",\"realtime_calls\":%" APR_UINT64_T_FMT
                        ",\"chunk_ms\":%d,"
                        "\"frames_in\":%" APR_UINT64_T_FMT ",\"frames_out\":%" APR_UINT64_T_FMT
                        ",\"frames_dropped\":%" APR_UINT64_T_FMT ",\"barge_ins\":%" APR_UINT64_T_FMT
                        ",\"turn_latency\":[%s]",
                        configured ? "true" : "false", healthy ? "true" : "false", r->calls_total,
                        live, (int)(r->chunk_bytes / 8), in, out, dropped, barge_ins, hist);
}

const char *media_relay_calls(media_t *m, apr_pool_t *pool)
{
    const char *list = "";
    apr_time_t now = apr_time_now();

    for (relay_call_t *c = m->relay ? m->relay->calls : NULL; c; c = c->next) {
        list = apr_psprintf(
            pool,
            "%s%s{\"call_sid\":%s,\"stream_sid\":%s,\"business_id\":%s,\"seconds\":%" APR_TIME_T_FMT
            ",\"state\":\"%s\",\"session\":%u,\"reconnects\":%u,\"frames_in\":%" APR_UINT64_T_FMT
            ",\"frames_out\":%" APR_UINT64_T_FMT ",\"barge_ins\":%" APR_UINT64_T_FMT
            ",\"turns\":%" APR_UINT64_T_FMT "}",
            list, *list ? "," : "", ctn_json_quote(pool, c->call_sid),
            ctn_json_quote(pool, c->stream_sid), ctn_json_quote(pool, c->business_id),
            apr_time_sec(now - c->started_at),
            c->stopping ? "ending"
                        : (c->prewarmed ? "prewarmed" : (c->session_ready ? "live" : "connecting")),
            c->session_no, c->reconnects, c->frames_in, c->frames_out, c->barge_ins, c->turns);
    }
    return apr_psprintf(pool, "[%s]", list);
}

const char *media_relay_hangup(media_t *m, apr_pool_t *pool, const char *call_sid)
{
    relay_call_t *c = NULL;

    for (c = m->relay ? m->relay->calls : NULL; c; c = c->next) {
        if (call_sid && strcmp(c->call_sid, call_sid) == 0 && c->twilio != NULL) {
            break;
        }
    }
    if (c == NULL) {
        return "{\"ok\":false,\"error\":\"no such call\"}";
    }
    if (!relay_tools_can_update_calls()) {
        return "{\"ok\":false,\"error\":\"no Twilio credentials: the call cannot be ended "
               "from here\"}";
    }
    relay_submit(relay_job(c, relay_job_hangup, NULL));
    return apr_psprintf(pool, "{\"ok\":true,\"call_sid\":%s}", ctn_json_quote(pool, call_sid));
}
