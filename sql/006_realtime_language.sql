-- 006_realtime_language.sql: the realtime engine follows the caller's language.
--
-- The media worker stores each caller line the realtime engine hears and
-- weighs it with the built-in engine's detector (lib/language.c), so the
-- call's language (call_logs.language) switches with the same hysteresis on
-- both engines. Between lines that hysteresis needs two more numbers: the
-- weak votes for the other language in a row, and how many caller lines
-- were weighed (the first one decides on less evidence). The count also
-- orders concurrent caller lines of one call: each write expects the count
-- it read, and a line that finds it changed is weighed again
-- (ctn_calls_hear_caller).
ALTER TABLE call_logs
    ADD COLUMN language_pending smallint NOT NULL DEFAULT 0,
    ADD COLUMN caller_lines integer NOT NULL DEFAULT 0;
