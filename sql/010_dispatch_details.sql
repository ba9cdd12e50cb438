-- 010_dispatch_details.sql: which of the caller's details a dispatch texted.
--
-- The realtime engine's referee dispatches on the caller's words alone; when
-- the model later brings the caller's name and address, the technician is
-- texted the ones the dispatch lacked (media_tools.c follow_up). Telling that
-- from the dispatch's message by searching it for the name or the address was
-- wrong whenever the message held them by chance (the business's name, the
-- caller's words): the technician was never told. Now the dispatch says which
-- it texted: 'name', 'address'.
ALTER TABLE dispatches ADD COLUMN IF NOT EXISTS texted_details text[] NOT NULL DEFAULT '{}';
