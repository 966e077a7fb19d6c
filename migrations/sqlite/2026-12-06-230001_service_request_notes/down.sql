ALTER TABLE service_requests ADD COLUMN notes TEXT NOT NULL DEFAULT '[]';
UPDATE service_requests SET notes = COALESCE((
    SELECT json_group_array(json_object('text', n.text, 'author', n.author,
                                        'createdAt', replace(n.created_at, ' ', 'T')))
    FROM (SELECT * FROM service_request_notes n WHERE n.service_request_id = service_requests.id ORDER BY n.id) n), '[]');
ALTER TABLE service_requests DROP COLUMN note_count;
DROP TABLE service_request_notes;
