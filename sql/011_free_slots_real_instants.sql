-- 011_free_slots_real_instants.sql: free slots are real instants, on a DST day too.
--
-- cortana_free_slots (002, 008) laid its grid on local wall time and then
-- converted each start to an instant. On a fall-back day the repeated hour
-- has two instants for every wall time, and the conversion picked one: a
-- business open through 01:00-02:00 (an around-the-clock plumber, Chicago on
-- 2026-11-01) lost half of that hour's slots. On a spring-forward day a slot
-- was cut to its local length, not its real one, so a slot could run past
-- closing (open 00:00-03:00: 01:30 CST + 60 min = 03:30 CDT). Opening and
-- closing wall times are now turned into instants first, and the grid and
-- the slot lengths are laid on real time between them: no start in a gap
-- (there is no such instant), each instant of the repeated hour once, a slot
-- always inside the hours. A slot still belongs to the local date it starts
-- on (day offset, weekday, part of day). Everything else is as in 008.

CREATE OR REPLACE FUNCTION cortana_free_slots(
    business uuid, duration_min int, buffer_min int, lead_min int, horizon_days int,
    granularity_min int, max_slots int, day_offset int, weekday int, day_part int,
    not_before timestamptz, now_ts timestamptz)
RETURNS TABLE (starts_at timestamptz, ends_at timestamptz)
LANGUAGE sql STABLE AS $$
WITH b AS (SELECT timezone AS tz, hours, holidays, (now_ts AT TIME ZONE timezone)::date AS today
           FROM businesses WHERE id = business),
days AS (SELECT b.today + d AS day, d FROM b, generate_series(0, horizon_days) AS d),
iv AS (SELECT days.day, (i->>'open')::time AS open_t, i->>'close' AS close_s
       FROM days, b,
            jsonb_array_elements(coalesce(b.hours -> trim(to_char(days.day, 'day')), '[]')) AS i
       WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(b.holidays) h
                         WHERE (h->>'date')::date = days.day)),
local_spans AS (SELECT day + open_t AS open_l,
                       CASE WHEN close_s = '24:00' OR close_s::time <= open_t
                            THEN day + 1 + (CASE WHEN close_s = '24:00' THEN '00:00'
                                                 ELSE close_s END)::time
                            ELSE day + close_s::time END AS close_l
                FROM iv),
-- Wall times to instants. A wall time in a gap is read as PostgreSQL reads
-- it (with the offset in force before it: 02:30 on a spring-forward day is
-- 03:30 after the jump); an opening time in the repeated hour is its first
-- instant and a closing time its last (the instant an hour away, moved back
-- an hour, shows the same wall time), so the hours hold every instant the
-- clock shows them for. Shifts of an hour, as nearly every zone has.
spans AS (SELECT CASE WHEN (((open_l - interval '1 hour') AT TIME ZONE b.tz) + interval '1 hour')
                           AT TIME ZONE b.tz = open_l
                      THEN least(((open_l - interval '1 hour') AT TIME ZONE b.tz) + interval '1 hour',
                                 open_l AT TIME ZONE b.tz)
                      ELSE open_l AT TIME ZONE b.tz END AS open_at,
                 CASE WHEN (((close_l + interval '1 hour') AT TIME ZONE b.tz) - interval '1 hour')
                           AT TIME ZONE b.tz = close_l
                      THEN greatest(((close_l + interval '1 hour') AT TIME ZONE b.tz)
                                    - interval '1 hour', close_l AT TIME ZONE b.tz)
                      ELSE close_l AT TIME ZONE b.tz END AS close_at
          FROM local_spans, b),
-- Intervals that touch or overlap (a 24-hour day and the next, an evening
-- shift and an overnight one) are one stretch of open time: a slot may run
-- across local midnight.
marked AS (SELECT open_at, close_at,
                  CASE WHEN open_at <= max(close_at) OVER (ORDER BY open_at, close_at
                                                           ROWS BETWEEN UNBOUNDED PRECEDING
                                                           AND 1 PRECEDING)
                       THEN 0 ELSE 1 END AS starts_island
           FROM spans),
islands AS (SELECT open_at, close_at,
                   sum(starts_island) OVER (ORDER BY open_at, close_at) AS island
            FROM marked),
stretches AS (SELECT min(open_at) AS open_at, max(close_at) AS close_at FROM islands
              GROUP BY island),
cand AS (SELECT s AS start_at, s + make_interval(mins => duration_min) AS end_at,
                s AT TIME ZONE b.tz AS start_l, b.today
         FROM stretches, b,
              generate_series(open_at, close_at - make_interval(mins => duration_min),
                              make_interval(mins => granularity_min)) AS s)
SELECT start_at, end_at FROM cand
WHERE start_at >= now_ts + make_interval(mins => lead_min)
  AND start_at >= coalesce(not_before, '-infinity')
  AND (day_offset < 0 OR start_l::date - today = day_offset)
  AND (weekday < 0 OR extract(dow FROM start_l) = weekday)
  AND (day_part = 0
       OR (day_part = 1 AND start_l::time < '12:00')
       OR (day_part = 2 AND start_l::time >= '12:00' AND start_l::time < '17:00')
       OR (day_part = 3 AND start_l::time >= '17:00'))
  AND NOT EXISTS (SELECT 1 FROM appointments a
                  WHERE a.business_id = business AND a.status <> 'canceled'
                    AND tstzrange(a.starts_at - make_interval(mins => buffer_min),
                                  a.ends_at + make_interval(mins => buffer_min))
                        && tstzrange(cand.start_at, cand.end_at))
ORDER BY start_at
LIMIT max_slots
$$;
