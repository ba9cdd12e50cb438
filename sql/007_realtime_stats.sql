-- 007_realtime_stats.sql: what a call cost and how fast it was on the realtime
-- engine, written by the media worker when the call's stream ends: OpenAI's
-- usage summed over the call's responses, the lowest rate-limit headroom seen,
-- time to first audio, per-turn answer latency, reconnects, barge-ins, frames.
-- Flat {"name": integer} so the API can show it as it is (cost per call later).
ALTER TABLE call_logs ADD COLUMN IF NOT EXISTS realtime_stats jsonb;
