-- 008_free_slots_across_midnight.sql: a slot may run across local midnight.
--
-- cortana_free_slots (002) cut every day's open hours at the day's end, so a
-- business open around the clock could not offer 23:30-00:30, and late in
-- the evening its soonest slot was tomorrow's 00:00. Open intervals that
-- touch or overlap now form one stretch, cut into slots on one grid; each
-- slot belongs to the local date it starts on (day offset, weekday, part of
-- day). Everything else is as in 002.

CREATE OR REPLACE FUNCTION cortana_free_slots(
    business uuid, duration_min int, buffer_min int, lead_min int, horizon_days int,
    granularity_min int, max_slots int, day_offset int, weekday int, day_part int,
    not_before timestamptz, now_ts timestamptz)
RETURNS TABLE (starts_at timestamptz, ends_at timestamptz)
LANGUAGE sql STABLE AS $$
WITH b AS (SELECT timezone AS tz, hours, holidays FROM businesses WHERE id = business),
days AS (SELECT ((now_ts AT TIME ZONE b.tz)::date + d) AS day, d
         FROM b, generate_series(0, horizon_days) AS d),
iv AS (SELECT days.day, days.d, (i->>'open')::time AS open_t, i->>'close' AS close_s
       FROM days, b,
            jsonb_array_elements(coalesce(b.hours -> trim(to_char(days.day, 'day')), '[]')) AS i
       WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(b.holidays) h
                         WHERE (h->>'date')::date = days.day)),
spans AS (SELECT day, d, day + open_t AS open_l,
                 CASE WHEN close_s = '24:00' OR close_s::time <= open_t
                      THEN day + 1 + (CASE WHEN close_s = '24:00' THEN '00:00'
                                           ELSE close_s END)::time
                      ELSE day + close_s::time END AS close_l
          FROM iv),
-- Intervals that touch or overlap (a 24-hour day and the next, an evening
-- shift and an overnight one) are one stretch of open time: a slot may run
-- across local midnight.
marked AS (SELECT open_l, close_l,
                  CASE WHEN open_l <= max(close_l) OVER (ORDER BY open_l, close_l
                                                         ROWS BETWEEN UNBOUNDED PRECEDING
                                                         AND 1 PRECEDING)
                       THEN 0 ELSE 1 END AS starts_island
           FROM spans),
islands AS (SELECT open_l, close_l,
                   sum(starts_island) OVER (ORDER BY open_l, close_l) AS island
            FROM marked),
stretches AS (SELECT min(open_l) AS open_l, max(close_l) AS close_l FROM islands
              GROUP BY island),
starts AS (SELECT s::date - (now_ts AT TIME ZONE b.tz)::date AS d, s::date AS day, s AS start_l
           FROM stretches, b,
                generate_series(open_l, close_l - make_interval(mins => duration_min),
                                make_interval(mins => granularity_min)) AS s),
cand AS (SELECT d, day, start_l, start_l AT TIME ZONE b.tz AS start_at,
                (start_l AT TIME ZONE b.tz) + make_interval(mins => duration_min) AS end_at,
                b.tz
         FROM starts, b)
SELECT start_at, end_at FROM cand
WHERE (start_at AT TIME ZONE tz) = start_l           -- not in a DST gap
  AND start_at >= now_ts + make_interval(mins => lead_min)
  AND start_at >= coalesce(not_before, '-infinity')
  AND (day_offset < 0 OR d = day_offset)
  AND (weekday < 0 OR extract(dow FROM day) = weekday)
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
