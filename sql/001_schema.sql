-- 001_schema.sql: Cortana's data model.
--
-- Applied by `cortana-admin migrate` as the owner role, in one transaction.
-- Every table that belongs to a business carries business_id and row-level
-- security keyed on the connection setting cortana.business_id: the
-- application role (a LOGIN member of cortana_app, never the tables' owner)
-- sees and writes only the rows of the business its connection is set to.
-- Lookups that must happen before a tenant is known are narrow SECURITY
-- DEFINER functions at the end of this file.

CREATE EXTENSION IF NOT EXISTS btree_gist;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cortana_app') THEN
        CREATE ROLE cortana_app NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;

-- The tenant of the current connection, or NULL (then RLS shows nothing).
CREATE FUNCTION cortana_tenant() RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT NULLIF(current_setting('cortana.business_id', true), '')::uuid
$$;

CREATE TABLE businesses (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id            uuid,
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    phone_number        text NOT NULL UNIQUE CHECK (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
    timezone            text NOT NULL DEFAULT 'America/New_York',
    address             text,
    owner_phone         text CHECK (owner_phone IS NULL OR owner_phone ~ '^\+[1-9][0-9]{6,14}$'),
    service_area        jsonb NOT NULL DEFAULT '{}',
    hours               jsonb NOT NULL DEFAULT '{}',
    holidays            jsonb NOT NULL DEFAULT '[]',
    services            jsonb NOT NULL DEFAULT '[]',
    pricing             jsonb NOT NULL DEFAULT '{}',
    ai_personality      jsonb NOT NULL DEFAULT '{}',
    settings            jsonb NOT NULL DEFAULT '{}',
    vector_index_id     text,
    plan                text NOT NULL DEFAULT 'trial',
    subscription_status text NOT NULL DEFAULT 'trialing',
    stripe_customer_id  text UNIQUE,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id   uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    email         text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    password_hash text NOT NULL,
    role          text NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'staff')),
    locale        text NOT NULL DEFAULT 'en',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

ALTER TABLE businesses ADD CONSTRAINT businesses_owner_fk
    FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    business_id  uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL UNIQUE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ip           inet
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE technicians (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id   uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    phone         text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    role          text NOT NULL DEFAULT 'technician',
    on_call_order integer NOT NULL DEFAULT 0,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX technicians_on_call ON technicians (business_id, on_call_order) WHERE active;

CREATE TABLE appointments (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id       uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    call_log_id       uuid,
    customer_name     text,
    customer_phone    text,
    customer_address  text,
    problem           text,
    service           text,
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz NOT NULL,
    status            text NOT NULL DEFAULT 'booked'
                      CHECK (status IN ('booked', 'confirmed', 'completed', 'canceled')),
    external_event_id text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    -- Double booking is impossible: two live appointments of a business never overlap.
    CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
        business_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status <> 'canceled')
);
CREATE INDEX appointments_business_time ON appointments (business_id, starts_at);

CREATE TABLE call_logs (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id           uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    call_sid              text NOT NULL UNIQUE CHECK (call_sid ~ '^CA[0-9a-fA-F]{32}$'),
    from_number           text NOT NULL,
    to_number             text NOT NULL,
    started_at            timestamptz NOT NULL DEFAULT now(),
    ended_at              timestamptz,
    status                text NOT NULL DEFAULT 'in-progress',
    duration_s            integer,
    transcript            text,
    summary               text,
    sentiment             text CHECK (sentiment IN ('positive', 'neutral', 'negative')),
    disposition           text CHECK (disposition IN ('emergency_dispatched', 'booked',
                              'message_taken', 'question_answered', 'transferred', 'spam',
                              'abandoned')),
    language              text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'es')),
    engine                text NOT NULL DEFAULT 'builtin' CHECK (engine IN ('builtin', 'realtime')),
    route                 text,
    emergency             boolean NOT NULL DEFAULT false,
    is_test               boolean NOT NULL DEFAULT false,
    booked_appointment_id uuid REFERENCES appointments (id) ON DELETE SET NULL,
    assigned_tech_id      uuid REFERENCES technicians (id) ON DELETE SET NULL,
    recording_url         text,
    message               text,
    slots                 jsonb NOT NULL DEFAULT '{}',
    dialog_state          jsonb,
    failover              text
);
CREATE INDEX call_logs_business_started ON call_logs (business_id, started_at DESC);
CREATE INDEX call_logs_live ON call_logs (business_id) WHERE status = 'in-progress';

ALTER TABLE appointments ADD CONSTRAINT appointments_call_fk
    FOREIGN KEY (call_log_id) REFERENCES call_logs (id) ON DELETE SET NULL;

CREATE TABLE transcript_lines (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    call_log_id uuid NOT NULL REFERENCES call_logs (id) ON DELETE CASCADE,
    seq         integer NOT NULL,
    speaker     text NOT NULL CHECK (speaker IN ('caller', 'cortana', 'system')),
    text        text NOT NULL,
    language    text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (call_log_id, seq)
);
CREATE INDEX transcript_lines_fts ON transcript_lines USING gin (to_tsvector('simple', text));

CREATE TABLE kb_documents (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    content     text NOT NULL CHECK (length(content) <= 20000),
    language    text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'es')),
    vector_id   text,
    search      tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('english', title), 'A') ||
                    setweight(to_tsvector('spanish', title), 'A') ||
                    to_tsvector('english', content) || to_tsvector('spanish', content)) STORED,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kb_documents_search ON kb_documents USING gin (search);

CREATE TABLE dispatches (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id    uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    call_log_id    uuid UNIQUE REFERENCES call_logs (id) ON DELETE CASCADE,
    technician_id  uuid REFERENCES technicians (id) ON DELETE SET NULL,
    category       text,
    message        text,
    step           integer NOT NULL DEFAULT 0,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'notified',
                       'acknowledged', 'declined', 'escalated', 'exhausted', 'failed')),
    notified_phone text,
    ack_window_s   integer NOT NULL DEFAULT 300 CHECK (ack_window_s > 0),
    notified_at    timestamptz,
    ack_at         timestamptz,
    due_at         timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dispatches_due ON dispatches (due_at) WHERE status = 'notified';

CREATE TABLE sms_messages (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id     uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    direction       text NOT NULL CHECK (direction IN ('outbound', 'inbound')),
    to_number       text NOT NULL,
    from_number     text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'failed',
                        'simulated', 'received')),
    purpose         text,
    provider_sid    text,
    call_log_id     uuid REFERENCES call_logs (id) ON DELETE SET NULL,
    dispatch_id     uuid REFERENCES dispatches (id) ON DELETE SET NULL,
    error           text,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_messages_due ON sms_messages (next_attempt_at) WHERE status = 'queued';
CREATE INDEX sms_messages_business ON sms_messages (business_id, created_at DESC);

CREATE TABLE blocked_numbers (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    phone       text NOT NULL,
    reason      text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (business_id, phone)
);

CREATE TABLE voicemails (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id   uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    call_log_id   uuid REFERENCES call_logs (id) ON DELETE CASCADE,
    recording_sid text UNIQUE,
    recording_url text,
    duration_s    integer,
    transcription text,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stripe_events (
    id          text PRIMARY KEY,
    type        text NOT NULL,
    business_id uuid REFERENCES businesses (id) ON DELETE SET NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    payload     jsonb NOT NULL
);

-- ------------------------------------------------------------ row-level security
ALTER TABLE businesses ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON businesses TO cortana_app
    USING (id = cortana_tenant()) WITH CHECK (id = cortana_tenant());

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'sessions', 'technicians', 'appointments', 'call_logs',
        'transcript_lines', 'kb_documents', 'dispatches', 'sms_messages', 'blocked_numbers',
        'voicemails', 'stripe_events']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I TO cortana_app USING (business_id = '
                       'cortana_tenant()) WITH CHECK (business_id = cortana_tenant())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO cortana_app', t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON businesses TO cortana_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO cortana_app;

-- ------------------------------------------------ lookups before a tenant is known
CREATE FUNCTION cortana_business_by_number(number text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT id FROM businesses WHERE phone_number = number
$$;

CREATE FUNCTION cortana_user_for_login(login_email text)
RETURNS TABLE (user_id uuid, business_id uuid, password_hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT id, business_id, password_hash FROM users WHERE lower(email) = lower(login_email)
$$;

CREATE FUNCTION cortana_session_lookup(hash bytea)
RETURNS TABLE (session_id uuid, user_id uuid, business_id uuid, csrf_token text,
               expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT id, user_id, business_id, csrf_token, expires_at FROM sessions
    WHERE token_hash = hash AND expires_at > now()
$$;

CREATE FUNCTION cortana_business_by_stripe_customer(customer text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT id FROM businesses WHERE stripe_customer_id = customer
$$;

-- The worker's tick: due work across businesses, locked so hosts share it.
CREATE FUNCTION cortana_claim_due_dispatches(max_rows int)
RETURNS TABLE (id uuid, business_id uuid, step int)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT id, business_id, step FROM dispatches
    WHERE status = 'notified' AND due_at <= now()
    ORDER BY due_at LIMIT max_rows FOR UPDATE SKIP LOCKED
$$;

CREATE FUNCTION cortana_claim_due_sms(max_rows int)
RETURNS TABLE (id uuid, to_number text, from_number text, body text, attempts int,
               business_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT id, to_number, from_number, body, attempts, business_id FROM sms_messages
    WHERE status = 'queued' AND next_attempt_at <= now()
    ORDER BY next_attempt_at LIMIT max_rows FOR UPDATE SKIP LOCKED
$$;

REVOKE ALL ON FUNCTION cortana_business_by_number(text), cortana_user_for_login(text),
    cortana_session_lookup(bytea), cortana_business_by_stripe_customer(text),
    cortana_claim_due_dispatches(int), cortana_claim_due_sms(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cortana_business_by_number(text), cortana_user_for_login(text),
    cortana_session_lookup(bytea), cortana_business_by_stripe_customer(text),
    cortana_claim_due_dispatches(int), cortana_claim_due_sms(int), cortana_tenant()
    TO cortana_app;

-- /healthz reports the schema version through the application role.
GRANT SELECT ON schema_migrations TO cortana_app;
