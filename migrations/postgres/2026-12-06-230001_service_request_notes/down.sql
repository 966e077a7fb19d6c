ALTER TABLE service_requests ADD COLUMN notes TEXT NOT NULL DEFAULT '[]';
UPDATE service_requests sr SET notes = COALESCE((
    SELECT json_agg(json_build_object('text', n.text, 'author', n.author,
                                      'createdAt', to_char(n.created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US'))
                    ORDER BY n.id)::text
    FROM service_request_notes n WHERE n.service_request_id = sr.id), '[]');
ALTER TABLE service_requests ALTER COLUMN notes DROP DEFAULT;
ALTER TABLE service_requests DROP COLUMN note_count;
DROP TABLE service_request_notes;
