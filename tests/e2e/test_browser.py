"""The dashboard in a real browser: tests/browser/run.mjs (playwright-core
driving Debian's Chromium) against this suite's httpd and PostgreSQL.

Needs `npm install` in the checkout (tools/dev does it) and /usr/bin/chromium
(tools/dev test installs it); without them this test fails and says so."""
import os
import shutil
import subprocess

import pytest

from conftest import SRCDIR
from owner import Owner
from test_api import new_email


def test_the_dashboard_in_chromium(httpd_factory, pg):
    node = shutil.which("node")
    if node is None or not (SRCDIR / "node_modules" / "playwright-core").is_dir():
        pytest.fail("browser tests need Node.js and `npm install` in the checkout (tools/dev test)")
    if not os.path.exists(os.environ.get("CHROMIUM", "/usr/bin/chromium")):
        pytest.fail("browser tests need Debian's chromium package (tools/dev test installs it)")
    web = httpd_factory()
    owner = Owner(web)
    email = new_email()
    assert owner.signup(email, name="Chart Plumbing").status == 201
    pg.execute(
        "INSERT INTO call_logs (business_id, call_sid, from_number, to_number, started_at, "
        "status, duration_s, disposition, language, emergency) "
        "SELECT %s, 'CA' || md5(random()::text), '+13125550000', '+13125550001', "
        "now() - make_interval(hours => g * 7), 'completed', 60 + g, "
        "(ARRAY['booked','message_taken','emergency_dispatched'])[1 + g %% 3], "
        "CASE WHEN g %% 4 = 0 THEN 'es' ELSE 'en' END, g %% 3 = 2 "
        "FROM generate_series(1, 60) g", (owner.me["business"]["id"],))
    # a realtime call the worker measured and handed to the built-in engine
    pg.execute(
        "INSERT INTO call_logs (business_id, call_sid, from_number, to_number, started_at, "
        "status, duration_s, disposition, language, engine, failover, realtime_stats) "
        "VALUES (%s, 'CA' || md5(random()::text), '+13125550777', '+13125550001', "
        "now() - interval '1 hour', 'completed', 95, 'booked', 'es', 'realtime', "
        "'realtime_to_builtin', %s)",
        (owner.me["business"]["id"],
         '{"first_audio_ms": 640, "turns": 4, "turn_latency_avg_ms": 820, '
         '"turn_latency_max_ms": 1310, "input_tokens": 5120, "output_tokens": 2048, '
         '"reconnects": 1, "barge_ins": 2, "least_tokens_left": -1}'))
    # a voicemail the caller left on that call
    pg.execute(
        "INSERT INTO voicemails (business_id, call_log_id, recording_url, duration_s, transcription) "
        "SELECT business_id, id, 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1', 34, "
        "'Please call me back about the water heater' FROM call_logs "
        "WHERE business_id = %s AND from_number = '+13125550777'", (owner.me["business"]["id"],))
    # an emergency call with everything a call's page shows: sentiment, an acknowledged
    # dispatch, a delivered text and a confirmed appointment
    pg.execute(
        "WITH a AS (INSERT INTO appointments (business_id, customer_name, customer_phone, "
        "customer_address, problem, service, starts_at, ends_at, status) VALUES (%(b)s, "
        "'Robin Vega', '+13125550888', '42 Lake Shore Dr', 'Water under the sink', "
        "'Leak repair', date_trunc('day', now()) + interval '1 day 10 hours', "
        "date_trunc('day', now()) + interval '1 day 11 hours', 'confirmed') RETURNING id), "
        "c AS (INSERT INTO call_logs (business_id, call_sid, from_number, to_number, "
        "started_at, status, duration_s, disposition, language, emergency, sentiment, "
        "booked_appointment_id) SELECT %(b)s, 'CA' || md5(random()::text), '+13125550888', "
        "'+13125550001', now() - interval '30 hours', 'completed', 130, 'booked', 'en', true, "
        "'negative', id FROM a RETURNING id), "
        "d AS (INSERT INTO dispatches (business_id, call_log_id, category, status, "
        "notified_phone, notified_at, ack_at) SELECT %(b)s, id, 'flooding', 'acknowledged', "
        "'+13125550199', now() - interval '1798 minutes', now() - interval '1795 minutes' FROM c "
        "RETURNING id) "
        "INSERT INTO sms_messages (business_id, direction, to_number, from_number, body, status, "
        "call_log_id) SELECT %(b)s, 'outbound', '+13125550199', '+13125550001', "
        "'Emergency at 42 Lake Shore Dr: call +13125550888', 'delivered', id FROM c", {"b": owner.me["business"]["id"]})
    env = dict(os.environ, CORTANA_URL=web.url, CORTANA_EMAIL=email,
               CORTANA_PASSWORD="correct horse battery",
               ARTIFACTS=str(SRCDIR / "tests" / "browser" / "artifacts"))
    proc = subprocess.run([node, str(SRCDIR / "tests" / "browser" / "run.mjs")], env=env,
                          capture_output=True, text=True, timeout=600)
    print(proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
