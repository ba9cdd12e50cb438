-- 009_api_speed.sql: what the owner API's hottest requests need to be cheap.
--
-- 1. An API request's session and tenant in one cheap call.
--
-- Every API request looked its session up through cortana_session_lookup
-- (001): a SQL function with a SET clause, which PostgreSQL cannot inline,
-- so each call parsed and planned its body afresh and saved and restored
-- the GUC state (a fifth of the database's time per request), after the
-- pool had already spent a round trip setting the empty tenant.
-- cortana_api_session is PL/pgSQL, whose plan stays cached for the
-- connection's life, and it always sets the connection's tenant: to the
-- session's business, or to the empty tenant (which shows nothing) when
-- the session is unknown or expired. So a request needs no statement
-- before it, and whatever tenant the connection's last user left is gone.
-- No SET clause (see 005): it names its objects and operators in full, so
-- the caller's search_path cannot redirect anything it runs as the owner.
-- One row, all NULL when there is no such session.
CREATE FUNCTION cortana_api_session(hash bytea, OUT session_id uuid, OUT user_id uuid,
                                    OUT business_id uuid, OUT csrf_token text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    SELECT s.id, s.user_id, s.business_id, s.csrf_token
      INTO session_id, user_id, business_id, csrf_token
      FROM public.sessions s
     WHERE s.token_hash OPERATOR(pg_catalog.=) hash
       AND s.expires_at OPERATOR(pg_catalog.>) pg_catalog.now();
    PERFORM pg_catalog.set_config('cortana.business_id',
                                  coalesce(pg_catalog.text(business_id), ''), false);
END
$$;

REVOKE ALL ON FUNCTION cortana_api_session(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cortana_api_session(bytea) TO cortana_app;

-- 2. The call log filtered to emergencies (the dashboard's "Emergencies"
-- view, GET /api/calls?emergency=true). Emergencies are a few calls in a
-- hundred, so walking call_logs_business_started_id and filtering read
-- dozens of rows for each one shown; this index holds only emergencies, in
-- the list's order, and is only written when a call is or becomes one
-- (other calls' updates stay HOT). The list names the condition as
-- `c.emergency` (not a parameter) so its generic plan can use the index.
CREATE INDEX call_logs_business_emergency ON call_logs (business_id, started_at DESC, id DESC)
    WHERE emergency;

-- 3. Date filters (004) without parsing and planning a function per call.
-- cortana_local_bound's body has a sub-SELECT (the business's time zone),
-- so PostgreSQL cannot inline the SQL function: every list or schedule
-- request with from/to parsed and planned it afresh (~75 us of a ~210 us
-- list query). The same function in PL/pgSQL keeps its plan for the
-- connection's life; same signature, result and rights.
CREATE OR REPLACE FUNCTION cortana_local_bound(bound text, upper boolean) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF bound IS NULL THEN
        RETURN NULL;
    ELSIF length(bound) = 10 THEN
        RETURN (bound::date + CASE WHEN upper THEN 1 ELSE 0 END)::timestamp
               AT TIME ZONE (SELECT timezone FROM businesses WHERE id = cortana_tenant());
    END IF;
    RETURN bound::timestamptz;
END
$$;

-- cortana_session_lookup (001) is replaced by cortana_api_session above and
-- has no caller left: a SECURITY DEFINER function nobody needs is one more
-- way around row-level security to keep safe, so it goes.
DROP FUNCTION cortana_session_lookup(bytea);
