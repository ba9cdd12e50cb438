-- 005_turn_load_plain.sql: cortana_turn_load (003) without a SET clause.
--
-- A function with a SET clause runs through fmgr_security_definer, which
-- saves and restores the GUC state on every call; each caller turn paid it.
-- The function runs with the caller's rights (SECURITY INVOKER, row-level
-- security applies), so it needs no search_path of its own: it names its
-- objects in full instead. Same signature, result and grants.
CREATE OR REPLACE FUNCTION cortana_turn_load(number text, sid text)
RETURNS TABLE (
    b_id uuid, b_name text, b_phone_number text, b_timezone text, b_address text,
    b_owner_phone text, b_plan text, b_subscription_status text, b_hours jsonb,
    b_holidays jsonb, b_services jsonb, b_pricing jsonb, b_service_area jsonb,
    b_ai_personality jsonb, b_settings jsonb,
    c_id uuid, c_business_id uuid, c_call_sid text, c_from_number text, c_to_number text,
    c_status text, c_language text, c_engine text, c_route text, c_disposition text,
    c_emergency boolean, c_is_test boolean, c_started_at float8, c_dialog_state jsonb)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    bid uuid := public.cortana_business_by_number(number);
BEGIN
    PERFORM pg_catalog.set_config('cortana.business_id', coalesce(bid::text, ''), false);
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
        FROM public.businesses b
        LEFT JOIN public.call_logs c ON c.business_id = b.id AND c.call_sid = sid
        WHERE b.id = bid;
END
$$;
