"""The schema: migrations, row-level security at the SQL level, constraints."""
import shutil
import subprocess

import psycopg2
import pytest

from test_calls import random_number  # never a number another test drew


def admin(builddir, *args, env=None):
    return subprocess.run([str(builddir / "tools" / "cortana-admin"), *args],
                          capture_output=True, text=True, env=env)


def test_migrations_apply_once_and_are_recorded(pg, builddir, srcdir):
    uri = pg.fresh_database("migrate_twice")
    first = admin(builddir, "migrate", "--database", uri, "--sql-dir", str(srcdir / "sql"))
    assert first.returncode == 0, first.stderr
    count = len(list((srcdir / "sql").glob("[0-9][0-9][0-9]_*.sql")))
    assert f"migrations applied: {count}" in first.stdout
    second = admin(builddir, "migrate", "--database", uri, "--sql-dir", str(srcdir / "sql"))
    assert second.returncode == 0, second.stderr
    assert "migrations applied: 0" in second.stdout
    rows = pg.query("SELECT version, name FROM schema_migrations ORDER BY version", uri=uri)
    assert rows[0] == (1, "schema")


def test_a_failing_migration_is_rolled_back_and_not_recorded(pg, builddir, srcdir, tmp_path):
    sqldir = tmp_path / "sql"
    shutil.copytree(srcdir / "sql", sqldir)
    (sqldir / "999_bad.sql").write_text(
        "CREATE TABLE half_done (x int);\nSELECT no_such_function();\n")
    uri = pg.fresh_database("migrate_bad")
    result = admin(builddir, "migrate", "--database", uri, "--sql-dir", str(sqldir))
    assert result.returncode == 1
    assert "999_bad.sql" in result.stderr and "no_such_function" in result.stderr
    newest = max(int(p.name[:3]) for p in (srcdir / "sql").glob("[0-9][0-9][0-9]_*.sql"))
    assert pg.query("SELECT max(version) FROM schema_migrations", uri=uri)[0][0] == newest
    assert pg.query("SELECT to_regclass('half_done')", uri=uri)[0][0] is None


def test_admin_refuses_bad_usage(builddir):
    assert admin(builddir, "frobnicate", "--database", "x").returncode == 2
    assert admin(builddir, "version").returncode == 0


BUSINESS_TABLES = ["users", "technicians", "appointments", "call_logs", "transcript_lines",
                   "kb_documents", "dispatches", "sms_messages", "blocked_numbers", "voicemails",
                   "sessions", "stripe_events"]


class Tenants(list):
    """The two tenants' business ids, and their numbers in `numbers`."""

    def __init__(self):
        super().__init__()
        self.numbers = []


@pytest.fixture
def two_tenants(pg):
    ids = Tenants()
    for n in (1, 2):
        number = random_number()
        (bid,) = pg.query("INSERT INTO businesses (name, phone_number) VALUES (%s, %s) "
                          "RETURNING id", (f"Tenant {n}", number))[0]
        ids.append(str(bid))
        ids.numbers.append(number)
        pg.execute("DELETE FROM technicians WHERE business_id = %s", (bid,))
        pg.execute("INSERT INTO technicians (business_id, name, phone) VALUES (%s, %s, %s)",
                   (bid, f"Tech {n}", number))
        pg.execute("INSERT INTO kb_documents (business_id, title, content) VALUES (%s, %s, %s)",
                   (bid, f"Doc {n}", "We offer financing on water heaters."))
        pg.execute("INSERT INTO call_logs (business_id, call_sid, from_number, to_number) "
                   "VALUES (%s, %s, '+15550000000', %s) ON CONFLICT DO NOTHING",
                   (bid, "CA" + f"{n:032x}", number))
    return ids


def app_conn(pg, tenant):
    conn = psycopg2.connect(pg.app_uri)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT set_config('cortana.business_id', %s, false)", (tenant or "",))
    return conn


def test_rls_shows_only_the_tenants_rows_in_every_table(pg, two_tenants):
    a, b = two_tenants
    conn = app_conn(pg, a)
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM businesses")
        assert [str(r[0]) for r in cur.fetchall()] == [a]
        for table in BUSINESS_TABLES:
            cur.execute(f"SELECT count(*) FROM {table} WHERE business_id <> %s", (a,))
            assert cur.fetchone()[0] == 0, table
        cur.execute("SELECT count(*) FROM technicians")
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT count(*) FROM kb_documents")
        assert cur.fetchone()[0] >= 1
    conn.close()


def test_rls_without_a_tenant_shows_nothing(pg, two_tenants):
    conn = app_conn(pg, None)
    with conn.cursor() as cur:
        for table in ["businesses"] + BUSINESS_TABLES:
            cur.execute(f"SELECT count(*) FROM {table}")
            assert cur.fetchone()[0] == 0, table
    conn.close()


def test_rls_refuses_writing_another_tenants_rows(pg, two_tenants):
    a, b = two_tenants
    conn = app_conn(pg, a)
    with conn.cursor() as cur:
        with pytest.raises(psycopg2.Error) as err:
            cur.execute("INSERT INTO technicians (business_id, name, phone) "
                        "VALUES (%s, 'Intruder', '+13125550199')", (b,))
        assert "row-level security" in str(err.value)
        cur.execute("UPDATE technicians SET name = 'hacked' WHERE business_id = %s", (b,))
        assert cur.rowcount == 0
        cur.execute("DELETE FROM call_logs WHERE business_id = %s", (b,))
        assert cur.rowcount == 0
    conn.close()
    assert pg.query("SELECT count(*) FROM technicians WHERE name = 'hacked'")[0][0] == 0


def test_app_role_cannot_disable_or_bypass_rls(pg, two_tenants):
    conn = app_conn(pg, two_tenants[0])
    with conn.cursor() as cur:
        for sql in ("ALTER TABLE call_logs DISABLE ROW LEVEL SECURITY",
                    "SET row_security = off; SELECT count(*) FROM call_logs",
                    "DROP POLICY tenant ON call_logs"):
            with pytest.raises(psycopg2.Error):
                cur.execute(sql)
    conn.close()
    (bypass,) = pg.query("SELECT rolbypassrls OR rolsuper FROM pg_roles "
                         "WHERE rolname = 'cortana_web'")[0]
    assert bypass is False


def test_security_definer_lookups_work_for_the_app_role(pg, two_tenants):
    conn = app_conn(pg, None)
    with conn.cursor() as cur:
        cur.execute("SELECT cortana_business_by_number(%s)", (two_tenants.numbers[1],))
        assert str(cur.fetchone()[0]) == two_tenants[1]
        cur.execute("SELECT cortana_business_by_number('+19999999999')")
        assert cur.fetchone()[0] is None
    conn.close()


def test_overlapping_appointments_are_impossible(pg, two_tenants):
    a, b = two_tenants
    pg.execute("DELETE FROM appointments")
    pg.execute("INSERT INTO appointments (business_id, starts_at, ends_at) VALUES "
               "(%s, '2026-12-01 10:00Z', '2026-12-01 11:00Z')", (a,))
    with pytest.raises(psycopg2.Error) as err:
        pg.execute("INSERT INTO appointments (business_id, starts_at, ends_at) VALUES "
                   "(%s, '2026-12-01 10:30Z', '2026-12-01 11:30Z')", (a,))
    assert "appointments_no_overlap" in str(err.value)
    # Another business, or a canceled appointment, does not conflict.
    pg.execute("INSERT INTO appointments (business_id, starts_at, ends_at) VALUES "
               "(%s, '2026-12-01 10:30Z', '2026-12-01 11:30Z')", (b,))
    pg.execute("UPDATE appointments SET status = 'canceled' WHERE business_id = %s", (a,))
    pg.execute("INSERT INTO appointments (business_id, starts_at, ends_at) VALUES "
               "(%s, '2026-12-01 10:30Z', '2026-12-01 11:30Z')", (a,))


def test_create_business_and_reset_password_use_argon2id(pg, builddir, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("correct horse battery\n")
    result = admin(builddir, "create-business", "--database", pg.owner_uri, "--name", "Admin Co",
                   "--phone", random_number(), "--timezone", "America/Chicago",
                   "--owner-email", "Owner@Admin.example", "--owner-password-file", str(pw))
    assert result.returncode == 0, result.stderr
    business_id = result.stdout.strip()
    (hash1, owner_matches) = pg.query(
        "SELECT u.password_hash, b.owner_id = u.id FROM users u JOIN businesses b "
        "ON b.id = u.business_id WHERE b.id = %s", (business_id,))[0]
    assert hash1.startswith("$argon2id$") and owner_matches
    pw.write_text("another long password\n")
    result = admin(builddir, "reset-password", "--database", pg.owner_uri,
                   "--email", "owner@admin.example", "--password-file", str(pw))
    assert result.returncode == 0, result.stderr
    (hash2,) = pg.query("SELECT password_hash FROM users WHERE business_id = %s",
                        (business_id,))[0]
    assert hash2.startswith("$argon2id$") and hash2 != hash1
    missing = admin(builddir, "reset-password", "--database", pg.owner_uri,
                    "--email", "nobody@x.example", "--password-file", str(pw))
    assert missing.returncode == 1 and "no user" in missing.stderr
    pw.write_text("short\n")
    short = admin(builddir, "create-business", "--database", pg.owner_uri, "--name", "X",
                  "--phone", random_number(), "--owner-email", "x@x.example",
                  "--owner-password-file", str(pw))
    assert short.returncode == 1 and "10 to 256 characters" in short.stderr


def test_admin_errors_say_what_is_wrong_and_print_no_secret(pg, builddir, tmp_path):
    """cortana-admin's failures: exit 1 with a sentence on stderr, 2 for bad usage, and
    never the password, its hash or the conninfo's password on either stream."""
    secret = "correct horse battery staple"
    pw = tmp_path / "pw"
    pw.write_text(secret + "\n")
    number = random_number()
    email = f"admin-{number[-6:]}@errors.example"

    def run(*args, database=pg.owner_uri):
        result = admin(builddir, *args, "--database", database)
        for stream in (result.stdout, result.stderr):
            assert secret not in stream and "$argon2id$" not in stream, stream
            assert pg.owner_password not in stream, stream
        return result

    def create(phone, mail, password_file=str(pw), **kw):
        return run("create-business", "--name", "Errors Co", "--phone", phone,
                   "--owner-email", mail, "--owner-password-file", password_file, **kw)

    assert create(number, email).returncode == 0
    taken = create(number, "other-" + email)
    assert taken.returncode == 1 and f"the phone number {number} already has a business" in \
        taken.stderr, taken.stderr
    again = create(random_number(), email.upper())
    assert again.returncode == 1 and f"the e-mail {email.upper()} already has an account" in \
        again.stderr, again.stderr
    # the same password rules as sign-up: 10 to 256 characters (not bytes)
    for text, ok in [("é" * 9, False), ("é" * 10, True), ("x" * 256, True), ("x" * 257, False)]:
        pw.write_text(text + "\n")
        result = run("reset-password", "--email", email, "--password-file", str(pw))
        assert (result.returncode == 0) == ok, (len(text), result.stderr)
        if not ok:
            assert "10 to 256 characters" in result.stderr, result.stderr
    pw.write_text(secret + "\n")
    gone = run("reset-password", "--email", email, "--password-file", str(tmp_path / "none"))
    assert gone.returncode == 1 and "cannot read" in gone.stderr and "none" in gone.stderr
    unknown = run("reset-password", "--email", "nobody@errors.example", "--password-file", str(pw))
    assert unknown.returncode == 1 and "no user has the e-mail nobody@errors.example" in \
        unknown.stderr, unknown.stderr
    down = pg.owner_uri.replace(f":{pg.port}/", ":1/")
    result = run("reset-password", "--email", email, "--password-file", str(pw), database=down)
    assert result.returncode == 1 and "cannot connect" in result.stderr, result.stderr
    assert admin(builddir, "reset-password", "--database", pg.owner_uri).returncode == 2
    helped = admin(builddir, "--help")
    assert helped.returncode == 0 and "reset-password" in helped.stdout
    helped = admin(builddir, "reset-password", "--help")
    assert helped.returncode == 0 and "reset-password" in helped.stdout, helped.stderr
