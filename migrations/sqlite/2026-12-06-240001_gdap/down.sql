DROP TABLE gdap_grants;
DROP TABLE gdap_access_assignments;
DROP TABLE gdap_approval_requests;
DROP TABLE gdap_relationships;
DROP TABLE security_group_members;
DROP TABLE security_groups;
