/* test_simulator_media.c: Twilio's side of a media stream
 * (lib/simulator_media.c), driven by the test's clock. */
#include "unit.h"

#include "form.h"
#include "json.h"
#include "simulator_media.h"

#include <apr_strings.h>
#include <sodium.h>
#include <string.h>

CTN_UNIT_POOL_FIXTURE

#define T0    ((apr_time_t)1000000000) /* the socket opened */
#define MS(n) ((apr_time_t)(n)*1000)

typedef struct sim_t {
    ctn_sim_media_t media;
    ctn_sim_media_stats_t stats;
    ctn_sim_stream_t *s;
} sim_t;

static sim_t *sim_new(const unsigned char *audio, apr_size_t audio_len, int seconds)
{
    sim_t *t = apr_pcalloc(unit_pool, sizeof(*t));
    apr_array_header_t *params = apr_array_make(unit_pool, 2, sizeof(ctn_form_pair_t));

    ck_assert_int_ge(sodium_init(), 0);
    ctn_form_add(params, "token", "tok\"en.1");
    ctn_form_add(params, "lang", "es");
    t->media.audio = audio;
    t->media.audio_len = audio_len;
    t->media.seconds = seconds;
    t->s = ctn_sim_stream_create(unit_pool, &t->media, "AC123", "CAabc", params, &t->stats);
    return t;
}

/* The next message at `now` as JSON, or NULL (then `*wake` is set). */
static json_object *next(sim_t *t, apr_time_t now, apr_time_t *wake)
{
    apr_size_t len = 0;
    apr_time_t w = 0;
    const char *msg = ctn_sim_stream_next(t->s, now, &len, &w);
    const char *why = NULL;
    json_object *o;

    if (wake) {
        *wake = w;
    }
    if (msg == NULL) {
        return NULL;
    }
    ck_assert_uint_eq(len, strlen(msg));
    o = ctn_json_parse(unit_pool, msg, len, &why);
    ck_assert_msg(o != NULL, "not JSON (%s): %s", why, msg);
    return o;
}

static const char *event_of(json_object *o)
{
    return o ? ctn_json_get_string(o, "event", "?") : "(none)";
}

static const char *member(json_object *o, const char *part, const char *key)
{
    json_object *p = NULL;

    json_object_object_get_ex(o, part, &p);
    return ctn_json_get_string(p, key, NULL);
}

/* Past connected and start, at T0. */
static sim_t *streaming(const unsigned char *audio, apr_size_t audio_len, int seconds)
{
    sim_t *t = sim_new(audio, audio_len, seconds);

    ck_assert_str_eq(event_of(next(t, T0, NULL)), "connected");
    ck_assert_str_eq(event_of(next(t, T0, NULL)), "start");
    return t;
}

static void receive(sim_t *t, const char *json, apr_time_t now)
{
    ctn_sim_stream_receive(t->s, json, strlen(json), now);
}

/* A media message from the server carrying `n` bytes of `byte`. */
static void receive_audio(sim_t *t, unsigned char byte, apr_size_t n, apr_time_t now)
{
    unsigned char *raw = apr_palloc(unit_pool, n);
    apr_size_t b64 = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    char *enc = apr_palloc(unit_pool, b64);

    memset(raw, byte, n);
    sodium_bin2base64(enc, b64, raw, n, sodium_base64_VARIANT_ORIGINAL);
    receive(t,
            apr_psprintf(
                unit_pool,
                "{\"event\":\"media\",\"streamSid\":\"MZ1\",\"media\":{\"payload\":\"%s\"}}", enc),
            now);
}

static void payload_of(json_object *o, unsigned char *out)
{
    const char *b64 = member(o, "media", "payload");
    apr_size_t n = 0;

    ck_assert_ptr_nonnull(b64);
    ck_assert_int_eq(sodium_base642bin(out, CTN_SIM_FRAME_BYTES, b64, strlen(b64), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    ck_assert_uint_eq(n, CTN_SIM_FRAME_BYTES);
}

START_TEST(opens_with_connected_then_start_carrying_the_parameters)
{
    sim_t *t = sim_new(NULL, 0, 5);
    json_object *connected = next(t, T0, NULL), *start = next(t, T0, NULL), *st = NULL, *cp = NULL,
                *fmt = NULL;

    ck_assert_str_eq(event_of(connected), "connected");
    ck_assert_str_eq(ctn_json_get_string(connected, "protocol", ""), "Call");
    ck_assert_ptr_null(ctn_json_get_string(connected, "sequenceNumber", NULL));
    ck_assert_str_eq(event_of(start), "start");
    ck_assert_str_eq(ctn_json_get_string(start, "sequenceNumber", ""), "1");
    json_object_object_get_ex(start, "start", &st);
    ck_assert_str_eq(ctn_json_get_string(st, "accountSid", ""), "AC123");
    ck_assert_str_eq(ctn_json_get_string(st, "callSid", ""), "CAabc");
    ck_assert_int_eq(strlen(ctn_json_get_string(st, "streamSid", "")), 34);
    ck_assert_str_eq(ctn_json_get_string(st, "streamSid", ""),
                     ctn_json_get_string(start, "streamSid", "?"));
    json_object_object_get_ex(st, "customParameters", &cp);
    ck_assert_str_eq(ctn_json_get_string(cp, "token", ""), "tok\"en.1");
    ck_assert_str_eq(ctn_json_get_string(cp, "lang", ""), "es");
    json_object_object_get_ex(st, "mediaFormat", &fmt);
    ck_assert_str_eq(ctn_json_get_string(fmt, "encoding", ""), "audio/x-mulaw");
    ck_assert_int_eq(json_object_get_int(json_object_object_get(fmt, "sampleRate")), 8000);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(fmt, "channels")), 1);
    ck_assert_int_eq(t->stats.streams, 1);
}
END_TEST

START_TEST(a_frame_every_20_ms_numbered_and_timed)
{
    sim_t *t = streaming(NULL, 0, 5);
    apr_time_t wake = 0;
    unsigned char frame[CTN_SIM_FRAME_BYTES], silence[CTN_SIM_FRAME_BYTES];
    json_object *m;

    memset(silence, 0xFF, sizeof(silence));
    for (int k = 0; k < 3; k++) {
        m = next(t, T0 + MS(20 * k), NULL);
        ck_assert_str_eq(event_of(m), "media");
        ck_assert_str_eq(ctn_json_get_string(m, "sequenceNumber", ""), apr_itoa(unit_pool, 2 + k));
        ck_assert_str_eq(member(m, "media", "chunk"), apr_itoa(unit_pool, 1 + k));
        ck_assert_str_eq(member(m, "media", "timestamp"), apr_itoa(unit_pool, 20 * k));
        ck_assert_str_eq(member(m, "media", "track"), "inbound");
        payload_of(m, frame);
        ck_assert_mem_eq(frame, silence, sizeof(frame));
        ck_assert_ptr_null(next(t, T0 + MS(20 * k), &wake));
        ck_assert_int_eq(wake, T0 + MS(20 * (k + 1)));
    }
    ck_assert_uint_eq(t->stats.frames_sent, 3);
}
END_TEST

START_TEST(a_late_loop_sends_the_missed_frames_back_to_back)
{
    sim_t *t = streaming(NULL, 0, 5);
    apr_time_t wake = 0;

    for (int k = 0; k < 5; k++) {
        json_object *m = next(t, T0 + MS(95), NULL);
        ck_assert_str_eq(event_of(m), "media");
        ck_assert_str_eq(member(m, "media", "timestamp"), apr_itoa(unit_pool, 20 * k));
    }
    ck_assert_ptr_null(next(t, T0 + MS(95), &wake));
    ck_assert_int_eq(wake, T0 + MS(100));
}
END_TEST

START_TEST(the_callers_audio_starts_once_the_first_audio_has_played)
{
    unsigned char audio[200], frame[CTN_SIM_FRAME_BYTES];
    sim_t *t;

    memset(audio, 0x55, sizeof(audio));
    t = streaming(audio, sizeof(audio), 5);
    payload_of(next(t, T0, NULL), frame); /* nothing heard yet: silence */
    ck_assert_int_eq(frame[0], 0xFF);
    receive_audio(t, 0x10, 320, T0 + MS(10)); /* 40 ms of greeting: played by T0+50 ms */
    payload_of(next(t, T0 + MS(20), NULL), frame);
    ck_assert_int_eq(frame[0], 0xFF);
    payload_of(next(t, T0 + MS(40), NULL), frame);
    ck_assert_int_eq(frame[0], 0xFF);
    payload_of(next(t, T0 + MS(60), NULL), frame); /* the greeting is over: the caller talks */
    ck_assert_int_eq(frame[0], 0x55);
    ck_assert_int_eq(frame[159], 0x55);
    payload_of(next(t, T0 + MS(80), NULL), frame); /* the last 40 bytes, padded with silence */
    ck_assert_int_eq(frame[39], 0x55);
    ck_assert_int_eq(frame[40], 0xFF);
    payload_of(next(t, T0 + MS(100), NULL), frame); /* played once */
    ck_assert_int_eq(frame[0], 0xFF);
    ck_assert_uint_eq(t->stats.audio_frames, 2);
    ck_assert_int_eq(t->stats.audio_after_greeting, 1);
}
END_TEST

START_TEST(the_callers_audio_starts_after_3_s_when_nothing_is_heard)
{
    unsigned char audio[160], frame[CTN_SIM_FRAME_BYTES];
    sim_t *t;
    int k;

    memset(audio, 0x55, sizeof(audio));
    t = streaming(audio, sizeof(audio), 10);
    for (k = 0; k < 150; k++) {
        payload_of(next(t, T0 + MS(20 * k), NULL), frame);
        ck_assert_int_eq(frame[0], 0xFF);
    }
    payload_of(next(t, T0 + MS(20 * k), NULL), frame);
    ck_assert_int_eq(frame[0], 0x55);
    ck_assert_int_eq(t->stats.audio_after_greeting, 0);
}
END_TEST

START_TEST(a_mark_is_answered_when_the_audio_before_it_has_played)
{
    sim_t *t = streaming(NULL, 0, 5);
    apr_time_t wake = 0;
    json_object *m;

    next(t, T0, NULL);                       /* frame 1 */
    receive_audio(t, 0x10, 800, T0 + MS(5)); /* 100 ms: plays until T0+105 ms */
    receive(t, "{\"event\":\"mark\",\"streamSid\":\"MZ1\",\"mark\":{\"name\":\"m0\"}}", T0 + MS(6));
    for (int k = 1; k <= 5; k++) {
        ck_assert_str_eq(event_of(next(t, T0 + MS(20 * k), NULL)), "media");
    }
    ck_assert_ptr_null(next(t, T0 + MS(100), &wake));
    ck_assert_int_eq(wake, T0 + MS(105));
    m = next(t, T0 + MS(105), NULL);
    ck_assert_str_eq(event_of(m), "mark");
    ck_assert_str_eq(member(m, "mark", "name"), "m0");
    ck_assert_str_eq(ctn_json_get_string(m, "sequenceNumber", ""), "8"); /* start, 6 media */
    ck_assert_uint_eq(t->stats.marks_received, 1);
    ck_assert_uint_eq(t->stats.marks_answered, 1);
    ck_assert_uint_eq(t->stats.bytes_received, 800);
}
END_TEST

START_TEST(a_mark_with_nothing_queued_is_answered_at_once_with_its_name_escaped)
{
    sim_t *t = streaming(NULL, 0, 5);
    json_object *m;
    char long_name[300];

    receive(t, "{\"event\":\"mark\",\"mark\":{\"name\":\"say \\\"hi\\\"\\n\"}}", T0 + MS(1));
    m = next(t, T0 + MS(1), NULL);
    ck_assert_str_eq(event_of(m), "mark");
    ck_assert_str_eq(member(m, "mark", "name"), "say \"hi\"\n");
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    receive(t,
            apr_psprintf(unit_pool, "{\"event\":\"mark\",\"mark\":{\"name\":\"%s\"}}", long_name),
            T0 + MS(2));
    m = next(t, T0 + MS(2), NULL);
    ck_assert_str_eq(member(m, "mark", "name"), long_name);
}
END_TEST

START_TEST(clear_returns_every_outstanding_mark_at_once_in_order)
{
    sim_t *t = streaming(NULL, 0, 5);
    json_object *m;

    for (int i = 0; i < 100; i++) { /* more than the ring holds at first */
        receive_audio(t, 0x20, 160, T0 + MS(1));
        receive(t, apr_psprintf(unit_pool, "{\"event\":\"mark\",\"mark\":{\"name\":\"m%d\"}}", i),
                T0 + MS(1));
    }
    ck_assert_str_eq(event_of(next(t, T0 + MS(1), NULL)), "media");
    ck_assert_str_eq(event_of(next(t, T0 + MS(1), NULL)), "(none)"); /* all still playing */
    receive(t, "{\"event\":\"clear\",\"streamSid\":\"MZ1\"}", T0 + MS(30));
    for (int i = 0; i < 100; i++) {
        m = next(t, T0 + MS(30), NULL);
        ck_assert_str_eq(event_of(m), "mark");
        ck_assert_str_eq(member(m, "mark", "name"), apr_psprintf(unit_pool, "m%d", i));
    }
    ck_assert_str_eq(event_of(next(t, T0 + MS(30), NULL)), "media"); /* frame 2, late */
    ck_assert_uint_eq(t->stats.clears, 1);
    ck_assert_uint_eq(t->stats.marks_answered, 100);
    /* after a clear, new audio plays from now */
    receive_audio(t, 0x20, 160, T0 + MS(31));
    receive(t, "{\"event\":\"mark\",\"mark\":{\"name\":\"after\"}}", T0 + MS(31));
    ck_assert_str_eq(event_of(next(t, T0 + MS(40), NULL)), "media");
    ck_assert_str_eq(event_of(next(t, T0 + MS(50), NULL)), "(none)"); /* plays until +51 ms */
    ck_assert_str_eq(event_of(next(t, T0 + MS(51), NULL)), "mark");
}
END_TEST

START_TEST(stop_ends_the_stream_after_its_seconds)
{
    sim_t *t = streaming(NULL, 0, 1);
    apr_time_t wake = 0;
    json_object *m = NULL, *stop = NULL;
    int frames = 0;

    while ((m = next(t, T0 + MS(2000), &wake)) != NULL && strcmp(event_of(m), "media") == 0) {
        frames++;
    }
    ck_assert_int_eq(frames, 50); /* the frames due before the end, then stop */
    ck_assert_str_eq(event_of(m), "stop");
    ck_assert_str_eq(ctn_json_get_string(m, "sequenceNumber", ""), "52");
    json_object_object_get_ex(m, "stop", &stop);
    ck_assert_str_eq(ctn_json_get_string(stop, "callSid", ""), "CAabc");
    ck_assert_int_eq(ctn_sim_stream_done(t->s), 1);
    ck_assert_int_eq(ctn_sim_stream_closed_by_server(t->s), 0);
    ck_assert_ptr_null(next(t, T0 + MS(3000), &wake));
    ck_assert_int_eq(wake, 0);
    ck_assert_int_eq(t->stats.last_duration, MS(2000));
}
END_TEST

START_TEST(the_server_closing_ends_the_stream_without_stop)
{
    sim_t *t = streaming(NULL, 0, 5);
    apr_time_t wake = 1;

    next(t, T0, NULL);
    ctn_sim_stream_closed(t->s, T0 + MS(700));
    ck_assert_int_eq(ctn_sim_stream_done(t->s), 1);
    ck_assert_int_eq(ctn_sim_stream_closed_by_server(t->s), 1);
    ck_assert_ptr_null(next(t, T0 + MS(800), &wake));
    ck_assert_int_eq(wake, 0);
    ck_assert_int_eq(t->stats.closed_by_server, 1);
    ck_assert_int_eq(t->stats.last_duration, MS(700));
}
END_TEST

START_TEST(received_audio_is_recorded_and_junk_is_counted)
{
    sim_t *t = sim_new(NULL, 0, 5);
    char path[] = "/tmp/ctn-sim-record-XXXXXX";
    apr_file_t *f;
    apr_finfo_t info;

    ck_assert_int_eq(apr_file_mktemp(&f, path, 0, unit_pool), APR_SUCCESS);
    t->media.record = f;
    next(t, T0, NULL);
    next(t, T0, NULL);
    receive_audio(t, 0x33, 480, T0);
    receive(t, "not json", T0);
    receive(t, "{\"event\":\"media\",\"media\":{\"payload\":\"***\"}}", T0);
    receive(t, "{\"event\":\"dance\"}", T0);
    ck_assert_int_eq(apr_file_info_get(&info, APR_FINFO_SIZE, f), APR_SUCCESS);
    ck_assert_int_eq(info.size, 480);
    ck_assert_uint_eq(t->stats.media_received, 1);
    ck_assert_uint_eq(t->stats.bad_messages, 3);
    apr_file_close(f);
    apr_file_remove(path, unit_pool);
}
END_TEST

static const struct {
    const char *server, *stream, *want;
} url_cases[] = {
    {"http://127.0.0.1:8080", "wss://cortana.example.com/twilio/media",
     "ws://127.0.0.1:8080/twilio/media"},
    {"http://127.0.0.1:8080/", "ws://127.0.0.1:8080/twilio/media",
     "ws://127.0.0.1:8080/twilio/media"},
    {"https://voice.example.com", "wss://voice.example.com/twilio/media",
     "wss://voice.example.com/twilio/media"},
    {"http://10.0.0.5:81/cortana", "wss://pub.example/cortana/twilio/media",
     "ws://10.0.0.5:81/cortana/twilio/media"},
    {"http://127.0.0.1:8080", "/twilio/media", "ws://127.0.0.1:8080/twilio/media"},
    {"http://127.0.0.1:8080", "twilio/media", "ws://127.0.0.1:8080/twilio/media"},
    {"http://127.0.0.1:8080", "wss://host.example", "ws://127.0.0.1:8080/"},
};

START_TEST(a_stream_url_is_its_path_on_the_servers_origin)
{
    ck_assert_str_eq(ctn_sim_stream_url(unit_pool, url_cases[_i].server, url_cases[_i].stream),
                     url_cases[_i].want);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("simulator_media");
    TCase *tc = tcase_create("stream");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, opens_with_connected_then_start_carrying_the_parameters);
    tcase_add_test(tc, a_frame_every_20_ms_numbered_and_timed);
    tcase_add_test(tc, a_late_loop_sends_the_missed_frames_back_to_back);
    tcase_add_test(tc, the_callers_audio_starts_once_the_first_audio_has_played);
    tcase_add_test(tc, the_callers_audio_starts_after_3_s_when_nothing_is_heard);
    tcase_add_test(tc, a_mark_is_answered_when_the_audio_before_it_has_played);
    tcase_add_test(tc, a_mark_with_nothing_queued_is_answered_at_once_with_its_name_escaped);
    tcase_add_test(tc, clear_returns_every_outstanding_mark_at_once_in_order);
    tcase_add_test(tc, stop_ends_the_stream_after_its_seconds);
    tcase_add_test(tc, the_server_closing_ends_the_stream_without_stop);
    tcase_add_test(tc, received_audio_is_recorded_and_junk_is_counted);
    tcase_add_loop_test(tc, a_stream_url_is_its_path_on_the_servers_origin, 0,
                        (int)(sizeof(url_cases) / sizeof(url_cases[0])));
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
