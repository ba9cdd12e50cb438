-- 003_turn_path.sql: a caller turn in two statements, each cheaper.
--
-- A /twilio/gather turn used to cost four round trips: reset the pooled
-- connection's tenant, find the business by the dialled number (setting the
-- tenant), load the business and the call, save the turn. cortana_turn_load
-- does the first three in one call: it sets the tenant from the number (the
-- empty tenant when no business has it, so nothing is visible) and then reads
-- the business and the call as the caller — SECURITY INVOKER, row-level
-- security applies to the read exactly as before. PL/pgSQL runs the two steps
-- in order, so the read's policies see the tenant just set.
--
-- Transcript lines referenced their business and their call with two foreign
-- keys, two checks per inserted line. One composite key to the call's
-- (id, business_id) replaces both: one check per line, and a line can no
-- longer name a business other than its call's. Deleting a business still
-- removes its lines (through its calls).

-- The number lookup every webhook starts with, as PL/pgSQL: a SQL-language
-- function that cannot be inlined (SECURITY DEFINER) is parsed and planned
-- again on every call, PL/pgSQL keeps its plan for the session. Same
-- signature, rights and result.
CREATE OR REPLACE FUNCTION cortana_business_by_number(number text) RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    RETURN (SELECT id FROM businesses WHERE phone_number = number);
END
$$;

CREATE FUNCTION cortana_turn_load(number text, sid text)
RETURNS TABLE (
    b_id uuid, b_name text, b_phone_number text, b_timezone text, b_address text,
    b_owner_phone text, b_plan text, b_subscription_status text, b_hours jsonb,
    b_holidays jsonb, b_services jsonb, b_pricing jsonb, b_service_area jsonb,
    b_ai_personality jsonb, b_settings jsonb,
    c_id uuid, c_business_id uuid, c_call_sid text, c_from_number text, c_to_number text,
    c_status text, c_language text, c_engine text, c_route text, c_disposition text,
    c_emergency boolean, c_is_test boolean, c_started_at float8, c_dialog_state jsonb)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public AS $$
DECLARE
    bid uuid := cortana_business_by_number(number);
BEGIN
    PERFORM set_config('cortana.business_id', coalesce(bid::text, ''), false);
    IF bid IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT b.id, b.name, b.phone_number, b.timezone, b.address, b.owner_phone, b.plan,
               b.subscription_status, b.hours, b.holidays, b.services, b.pricing,
               b.service_area, b.ai_personality, b.settings,
               c.id, c.business_id, c.call_sid, c.from_number, c.to_number, c.status,
               c.language, c.engine, c.route, c.disposition, c.emergency, c.is_test,
               extract(epoch FROM c.started_at)::float8, c.dialog_state
        FROM businesses b LEFT JOIN call_logs c ON c.business_id = b.id AND c.call_sid = sid
        WHERE b.id = bid;
END
$$;

REVOKE ALL ON FUNCTION cortana_turn_load(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cortana_turn_load(text, text) TO cortana_app;

CREATE UNIQUE INDEX call_logs_id_business ON call_logs (id, business_id);
ALTER TABLE transcript_lines
    DROP CONSTRAINT transcript_lines_business_id_fkey,
    DROP CONSTRAINT transcript_lines_call_log_id_fkey,
    ADD CONSTRAINT transcript_lines_call_fk FOREIGN KEY (call_log_id, business_id)
        REFERENCES call_logs (id, business_id) ON DELETE CASCADE;

-- The number of the call's last transcript line. A turn numbers its lines
-- from this counter, incremented by the same UPDATE that stores the state:
-- concurrent turns of one call (a webhook retried while the first attempt is
-- still running) queue on the row and get consecutive numbers, where
-- numbering from max(seq) in the statement's snapshot gave both the same
-- numbers, and the second turn's lines and state were lost to a unique
-- violation.
ALTER TABLE call_logs ADD COLUMN transcript_seq integer NOT NULL DEFAULT 0;
UPDATE call_logs c SET transcript_seq = s.n
FROM (SELECT call_log_id, max(seq) AS n FROM transcript_lines GROUP BY call_log_id) s
WHERE s.call_log_id = c.id;
