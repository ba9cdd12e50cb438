"""Directives: every bad value makes `apache2 -t` fail naming the directive,
the file and the line; every directive is documented."""
import re

import pytest

HEADER = "mod_cortana/mod_cortana_config.h"


def directive_names(srcdir):
    text = (srcdir / HEADER).read_text()
    return sorted(set(re.findall(r'"(Cortana[A-Za-z]+)"', text)))


def test_the_generated_config_passes(httpd_factory):
    instance = httpd_factory(start=False)
    rc, out = instance.configtest()
    assert rc == 0, out
    assert "Syntax OK" in out


BAD_VALUES = [
    ("CortanaPublicURL not-a-url", "has no scheme"),
    ("CortanaPublicURL ftp://example.com/", "scheme 'ftp'"),
    ("CortanaPublicURL https://user:pw@example.com/", "user information"),
    ("CortanaPublicURL https://example.com:99999/", "port"),
    ("CortanaTwilioAPIBase https://exa mple.com", "takes one argument"),
    ("CortanaOpenAIRealtimeURL https://api.openai.com/v1/realtime", "ws:// or wss://"),
    ("CortanaKeyFile /nonexistent/master.key", "cannot read"),
    ("CortanaOpenAIKeyFile /nonexistent/openai.key", "cannot read"),
    ("CortanaOpenAICAFile /nonexistent/ca.pem", "cannot read"),
    ("CortanaEventRingSize 10", "out of range"),
    ("CortanaEventRingSize lots", "not a number"),
    ("CortanaWorkerTick 0", "out of range"),
    ("CortanaMediaChunk 30", "not a multiple of 20"),
    ("CortanaMediaChunk 400", "out of range"),
    ("CortanaOpenAISessionMax 1", "out of range"),
    ("CortanaDatabasePoolMax 5000", "out of range"),
    ("CortanaAPIMaxBody 64M", "out of range"),
    ("CortanaTwilioAccountSID AC123", "not a Twilio account SID"),
    ("CortanaSignup maybe", "must be On or Off"),
    ("CortanaMetricsAllow 10.0.0.0/99", "not an IP address or CIDR block"),
    ("CortanaDatabase \"host=localhost nonsense_option=1\"",
     "not a valid PostgreSQL connection string: invalid connection option \"nonsense_option\""),
]


@pytest.mark.parametrize("line,reason", BAD_VALUES, ids=[b[0].split()[0] + ":" + b[1] for b in BAD_VALUES])
def test_bad_value_fails_configtest_naming_directive_file_and_line(httpd_factory, line, reason):
    instance = httpd_factory(start=False)
    rc, out = instance.configtest(line)
    assert rc != 0, out
    directive = line.split()[0]
    assert directive in out
    assert reason in out
    # httpd names the file and the line of the offending directive.
    lines = (instance.statedir / "configtest.conf").read_text().splitlines()
    lineno = next(i + 1 for i, l in enumerate(lines) if l.strip() == line)
    assert f"line {lineno} of {instance.statedir / 'configtest.conf'}" in out


def test_media_worker_must_be_executable(httpd_factory):
    instance = httpd_factory(start=False)
    plain = instance.statedir / "not-a-program"
    plain.write_text("#!/bin/sh\n")
    plain.chmod(0o644)
    rc, out = instance.configtest(f"CortanaMediaWorker {plain}")
    assert rc != 0
    assert "CortanaMediaWorker" in out and "is not executable" in out
    rc, out = instance.configtest("CortanaMediaWorker /nonexistent/cortana-media")
    assert rc != 0 and "is not a file" in out


def test_key_file_must_hold_32_bytes(httpd_factory):
    instance = httpd_factory(start=False)
    short = instance.statedir / "short.key"
    short.write_bytes(b"0123456789")
    rc, out = instance.configtest(f"CortanaKeyFile {short}")
    assert rc != 0
    assert "does not hold a 32-byte key" in out
    hexkey = instance.statedir / "hex.key"
    hexkey.write_text("ab" * 32 + "\n")
    rc, out = instance.configtest(f"CortanaKeyFile {hexkey}")
    assert rc == 0, out


def test_host_wide_directives_are_refused_in_a_vhost(httpd_factory):
    instance = httpd_factory(start=False)
    rc, out = instance.configtest(
        f"<VirtualHost 127.0.0.1:{instance.port}>\n  CortanaEventRingSize 128\n</VirtualHost>")
    assert rc != 0
    assert "CortanaEventRingSize: only allowed in the main server configuration" in out


def test_per_server_directives_are_accepted_in_a_vhost(httpd_factory):
    instance = httpd_factory(start=False)
    rc, out = instance.configtest(
        f"<VirtualHost 127.0.0.1:{instance.port}>\n  CortanaTwilioAPIBase http://127.0.0.1:1/\n"
        "</VirtualHost>")
    assert rc == 0, out


def test_every_directive_is_documented(srcdir):
    names = directive_names(srcdir)
    assert len(names) >= 19
    conf = (srcdir / "conf" / "cortana.conf").read_text()
    readme = (srcdir / "README.md").read_text()
    undocumented = [n for n in names if not re.search(rf"^#?{n}\b", conf, re.M)]
    assert not undocumented, f"not in conf/cortana.conf: {undocumented}"
    missing = [n for n in names if f"`{n}`" not in readme]
    assert not missing, f"not in README.md's directives table: {missing}"


def test_issue_directives_exist(srcdir):
    required = """CortanaDatabase CortanaPublicURL CortanaKeyFile CortanaMediaWorker
    CortanaMediaSocket CortanaTwilioAccountSID CortanaTwilioAuthToken CortanaTwilioAPIBase
    CortanaOpenAIKeyFile CortanaOpenAIAPIBase CortanaOpenAIRealtimeURL CortanaStripeSecretKeyFile
    CortanaStripeWebhookSecret CortanaStripeAPIBase CortanaGoogleClientID
    CortanaGoogleClientSecretFile CortanaGoogleAPIBase CortanaGoogleTokenURL CortanaQdrantURL""".split()
    assert set(required) <= set(directive_names(srcdir))
