-- 004_api.sql: what the owner REST API relies on.
--
-- A business's time zone must be one PostgreSQL knows (the API names the
-- field when it is not), and the lookups the API makes before it knows a
-- tenant stay narrow SECURITY DEFINER functions, as in 001.

CREATE FUNCTION cortana_valid_timezone(tz text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF tz IS NULL OR tz !~ '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$' THEN
        RETURN false;
    END IF;
    PERFORM now() AT TIME ZONE tz;
    RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END
$$;

ALTER TABLE businesses ADD CONSTRAINT businesses_timezone_check
    CHECK (cortana_valid_timezone(timezone));

-- Free-text search over a business's calls: caller number and transcript.
CREATE INDEX call_logs_business_started_id ON call_logs (business_id, started_at DESC, id DESC);

-- Expired sessions are removed on log-in; this keeps that cheap.
CREATE INDEX sessions_user ON sessions (user_id);

-- A date filter of the API ("2026-11-24") is a day in the business's own
-- time zone; a full timestamp is taken as given. `upper`: the day's end.
CREATE FUNCTION cortana_local_bound(bound text, upper boolean) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN bound IS NULL THEN NULL
        WHEN length(bound) = 10 THEN
            ((bound::date + CASE WHEN upper THEN 1 ELSE 0 END)::timestamp
             AT TIME ZONE (SELECT timezone FROM businesses WHERE id = cortana_tenant()))
        ELSE bound::timestamptz
    END
$$;

-- Row-level security evaluated once per statement: comparing with a scalar
-- subquery makes the tenant an InitPlan parameter, where the bare STABLE
-- function call was evaluated for every row a scan looked at (a year of
-- calls for analytics: 100,000 current_setting() calls and uuid casts).
DROP POLICY tenant ON businesses;
CREATE POLICY tenant ON businesses TO cortana_app
    USING (id = (SELECT cortana_tenant())) WITH CHECK (id = (SELECT cortana_tenant()));

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'sessions', 'technicians', 'appointments', 'call_logs',
        'transcript_lines', 'kb_documents', 'dispatches', 'sms_messages', 'blocked_numbers',
        'voicemails', 'stripe_events']
    LOOP
        EXECUTE format('DROP POLICY tenant ON %I', t);
        EXECUTE format('CREATE POLICY tenant ON %I TO cortana_app USING (business_id = '
                       '(SELECT cortana_tenant())) WITH CHECK (business_id = '
                       '(SELECT cortana_tenant()))', t);
    END LOOP;
END
$$;

-- Every turn of a call updates its call_logs row (dialog state): with free
-- room in the page the update is HOT and touches none of the table's six
-- indexes; packed full, each turn wrote a new index entry in all of them.
ALTER TABLE call_logs SET (fillfactor = 50);
