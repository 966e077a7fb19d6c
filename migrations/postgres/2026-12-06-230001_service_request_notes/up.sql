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
SELECT substr(x.h, 1, 8) || '-' || substr(x.h, 9, 4) || '-7' || lpad(to_hex(e.i::int), 3, '0')
       || '-8' || substr(x.r, 1, 3) || '-' || substr(x.r, 4, 12),
       sr.id, e.n ->> 'text', e.n ->> 'author', x.t
FROM service_requests sr,
     json_array_elements(sr.notes::json) WITH ORDINALITY AS e(n, i),
     LATERAL (SELECT (e.n ->> 'createdAt')::timestamp AS t) AS tt,
     LATERAL (SELECT lpad(to_hex((extract(epoch FROM tt.t) * 1000)::bigint), 12, '0') AS h,
                     substr(sr.id, 21, 3) || substr(sr.id, 25, 12) AS r, tt.t AS t) AS x;
UPDATE service_requests SET note_count = json_array_length(notes::json);
ALTER TABLE service_requests DROP COLUMN notes;
