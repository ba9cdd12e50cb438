"""Free slots in the business's local time, across DST (sql/002_free_slots.sql, 008, 011),
as the RLS-bound application role."""
import json
from datetime import datetime, timedelta, timezone

import psycopg2
import pytest

ALL_DAY = {d: [{"open": "00:00", "close": "24:00"}] for d in
           ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}


@pytest.fixture
def business(pg):
    def make(hours, tz="America/Chicago", holidays=()):
        (bid,) = pg.query("INSERT INTO businesses (name, phone_number, timezone, hours, holidays) "
                          "VALUES ('Cal Co', '+1312556' || lpad((random() * 9999)::int::text, 4, "
                          "'0'), %s, %s, %s) RETURNING id",
                          (tz, json.dumps(hours),
                           json.dumps([{"date": d, "name": "h"} for d in holidays])))[0]
        return str(bid)
    return make


def slots(pg, bid, now, duration=60, lead=0, horizon=1, granularity=30, max_slots=48,
          day_offset=-1, weekday=-1, part=0, buffer=30):
    conn = psycopg2.connect(pg.app_uri)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT set_config('cortana.business_id', %s, false)", (bid,))
            cur.execute("SELECT starts_at, ends_at FROM cortana_free_slots(%s, %s, %s, %s, %s, "
                        "%s, %s, %s, %s, %s, NULL, %s)",
                        (bid, duration, buffer, lead, horizon, granularity, max_slots,
                         day_offset, weekday, part, now))
            return cur.fetchall()
    finally:
        conn.close()


def utc(s):
    return datetime.fromisoformat(s).replace(tzinfo=timezone.utc)


def test_spring_forward_has_no_slot_in_the_gap(pg, business):
    bid = business({"sunday": [{"open": "00:00", "close": "06:00"}]})
    got = slots(pg, bid, utc("2026-03-08 06:00"), horizon=0)  # midnight CST
    starts = [s for s, _ in got]
    # 00:00 .. 05:00 local, one hour long each; 02:00-02:59 does not exist on 2026-03-08.
    assert utc("2026-03-08 06:00") in starts                 # 00:00 CST
    assert utc("2026-03-08 07:30") in starts                 # 01:30 CST
    assert utc("2026-03-08 08:00") in starts                 # 03:00 CDT (the clock jumped)
    assert len(starts) == len(set(starts)), "a gap time mapped onto an existing instant"
    assert [s for s in starts if utc("2026-03-08 08:00") > s > utc("2026-03-08 07:30")] == []
    assert max(starts) == utc("2026-03-08 10:00")            # 05:00 CDT, ends 06:00


def test_business_hours_follow_local_time_across_dst(pg, business):
    bid = business({d: [{"open": "08:00", "close": "17:00"}] for d in ("friday", "monday")})
    before = slots(pg, bid, utc("2026-03-06 12:00"), horizon=0)[0][0]   # Friday, CST
    after = slots(pg, bid, utc("2026-03-09 05:00"), horizon=0)[0][0]    # Monday, CDT
    assert before == utc("2026-03-06 14:00")   # 08:00 CST = 14:00Z (lead 0, from 06:00 local)
    assert after == utc("2026-03-09 13:00")    # 08:00 CDT = 13:00Z


def test_fall_back_day_offers_each_local_time_once(pg, business):
    bid = business({"sunday": [{"open": "00:00", "close": "04:00"}]})
    starts = [s for s, _ in slots(pg, bid, utc("2026-11-01 05:00"), horizon=0)]
    assert len(starts) == len(set(starts))
    assert starts == sorted(starts)


def test_fall_back_day_offers_each_instant_of_the_repeated_hour(pg, business):
    bid = business({"sunday": [{"open": "00:00", "close": "04:00"}]})
    got = slots(pg, bid, utc("2026-11-01 05:00"), horizon=0)  # midnight CDT
    # 00:00 CDT .. 04:00 CST is five real hours: 01:00 and 01:30 come twice, as
    # 01:00 CDT (06:00Z) and 01:00 CST (07:00Z); every slot is an hour long.
    assert [s for s, _ in got] == [utc("2026-11-01 05:00") + timedelta(minutes=30 * i)
                                   for i in range(9)]
    assert all(e - s == timedelta(hours=1) for s, e in got)
    # the same with opening in the repeated hour: it opens at its first 01:00
    late = business({"sunday": [{"open": "01:00", "close": "03:00"}]})
    starts = [s for s, _ in slots(pg, late, utc("2026-11-01 05:00"), horizon=0)]
    assert starts[0] == utc("2026-11-01 06:00") and starts[-1] == utc("2026-11-01 08:00")
    assert len(starts) == 5
    # a slot in the second 01:30 is on the same local day and in the morning
    assert utc("2026-11-01 07:30") in [s for s, _ in slots(pg, bid, utc("2026-11-01 05:00"),
                                                          horizon=1, day_offset=0, part=1)]


def test_spring_forward_slots_end_by_closing_time(pg, business):
    bid = business({"sunday": [{"open": "00:00", "close": "03:00"}]})
    got = slots(pg, bid, utc("2026-03-08 06:00"), horizon=0)
    # 00:00 CST .. 03:00 CDT is two real hours: 01:30 CST + 1 h would be 03:30 CDT.
    assert got == [(utc("2026-03-08 06:00"), utc("2026-03-08 07:00")),
                   (utc("2026-03-08 06:30"), utc("2026-03-08 07:30")),
                   (utc("2026-03-08 07:00"), utc("2026-03-08 08:00"))]


@pytest.mark.parametrize("day,start,end", [("2026-03-08", "2026-03-08 06:00", "2026-03-09 05:00"),
                                           ("2026-11-01", "2026-11-01 05:00", "2026-11-02 06:00")])
def test_a_holiday_on_a_dst_day_closes_that_whole_local_day(pg, business, day, start, end):
    bid = business(ALL_DAY, holidays=[day])
    got = [s for s, _ in slots(pg, bid, utc(start) - timedelta(hours=2), horizon=2,
                               max_slots=200)]
    assert not [s for s in got if utc(start) <= s < utc(end)]
    assert utc(start) - timedelta(hours=1) in got and utc(end) in got


def test_holidays_lead_time_buffer_and_preferences(pg, business):
    bid = business(ALL_DAY, holidays=["2026-12-25"])
    now = utc("2026-12-24 18:00")  # 12:00 CST on the 24th
    got = slots(pg, bid, now, lead=60, horizon=2)
    assert got[0][0] == utc("2026-12-24 19:00")
    assert not [s for s, _ in got if utc("2026-12-25 06:00") <= s < utc("2026-12-26 06:00")]
    # An appointment 14:00-15:00 local with a 30 min buffer blocks 12:30 .. 15:00 starts.
    pg.execute("INSERT INTO appointments (business_id, starts_at, ends_at) VALUES "
               "(%s, '2026-12-24 20:00Z', '2026-12-24 21:00Z')", (bid,))
    starts = [s for s, _ in slots(pg, bid, now, lead=60, horizon=0)]
    assert utc("2026-12-24 19:00") not in starts and utc("2026-12-24 21:30") in starts
    assert utc("2026-12-24 21:00") not in starts
    # Tomorrow morning (day 1 is the holiday): nothing; day 2 morning: before noon only.
    assert slots(pg, bid, now, day_offset=1, part=1, horizon=3) == []
    morning = slots(pg, bid, now, day_offset=2, part=1, horizon=3)
    assert morning and all(s.astimezone().hour >= 0 for s, _ in morning)
    assert max(s for s, _ in morning) < utc("2026-12-26 18:00")


def test_a_slot_runs_across_midnight_when_the_business_is_open(pg, business):
    bid = business(ALL_DAY)
    now = utc("2026-06-11 04:10")  # 23:10 CDT on the 10th
    got = slots(pg, bid, now, horizon=1)
    assert got[0] == (utc("2026-06-11 04:30"), utc("2026-06-11 05:30"))  # 23:30 - 00:30
    # the grid goes on past midnight without a seam, and the slot belongs to the day it starts
    starts = [s for s, _ in got]
    assert utc("2026-06-11 05:00") in starts and utc("2026-06-11 05:30") in starts
    assert slots(pg, bid, now, day_offset=0, horizon=1)[-1][0] == utc("2026-06-11 04:30")
    # an evening shift closing at midnight does not run into the next day's closed hours
    evening = business({"wednesday": [{"open": "18:00", "close": "24:00"}]})
    late = slots(pg, evening, now, horizon=1)
    assert late == []  # 23:30 would end at 00:30 on a closed Thursday


def test_another_tenant_sees_no_slots(pg, business):
    bid = business(ALL_DAY)
    other = business(ALL_DAY)
    conn = psycopg2.connect(pg.app_uri)
    with conn.cursor() as cur:
        cur.execute("SELECT set_config('cortana.business_id', %s, false)", (other,))
        cur.execute("SELECT count(*) FROM cortana_free_slots(%s, 60, 30, 0, 1, 30, 10, -1, -1, 0, "
                    "NULL, now())", (bid,))
        assert cur.fetchone()[0] == 0
    conn.close()
