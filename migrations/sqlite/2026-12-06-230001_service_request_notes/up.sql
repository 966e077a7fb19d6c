-- Notes become rows of their own: adding one writes one row (it rewrote the whole JSON array,
-- so notes grew the database quadratically), and a request carries its count, not its notes.
-- Existing notes move over with ids in the UUIDv7 form that sort by their time, then position.
CREATE TABLE service_request_notes (
    id TEXT PRIMARY KEY NOT NULL,
    service_request_id TEXT NOT NULL REFERENCES service_requests (id),
    text TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX service_request_notes_request_idx ON service_request_notes (service_request_id, id);
ALTER TABLE service_requests ADD COLUMN note_count BIGINT NOT NULL DEFAULT 0;
INSERT INTO service_request_notes (id, service_request_id, text, author, created_at)
SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || printf('%03x', k)
       || '-8' || substr(r, 1, 3) || '-' || substr(r, 4, 12),
       sid, text, author, t
FROM (
    SELECT sr.id AS sid, e.key AS k,
           json_extract(e.value, '$.text') AS text,
           json_extract(e.value, '$.author') AS author,
           replace(json_extract(e.value, '$.createdAt'), 'T', ' ') AS t,
           printf('%012x', CAST(round((julianday(replace(json_extract(e.value, '$.createdAt'), 'T', ' ')) - 2440587.5) * 86400000) AS INTEGER)) AS h,
           substr(sr.id, 21, 3) || substr(sr.id, 25, 12) AS r
    FROM service_requests sr, json_each(sr.notes) e
);
UPDATE service_requests SET note_count = json_array_length(notes);
ALTER TABLE service_requests DROP COLUMN notes;
