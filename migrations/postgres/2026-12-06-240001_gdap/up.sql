-- Granular delegated admin (GDAP): security groups of partner users and applications,
-- time-bound delegated admin relationships with customer-side directory roles, their approval
-- links, access assignments, and the grants that authorization reads.

CREATE TABLE security_groups (
    id TEXT PRIMARY KEY NOT NULL,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    display_name TEXT NOT NULL,
    description TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (partner_id, display_name)
);

-- A member is a user or an application of the group's partner; deleting either removes its
-- memberships.
CREATE TABLE security_group_members (
    group_id TEXT NOT NULL REFERENCES security_groups (id) ON DELETE CASCADE,
    member_id TEXT NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    application_id TEXT REFERENCES applications (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, member_id),
    CHECK ((user_id IS NULL) <> (application_id IS NULL))
);
CREATE INDEX security_group_members_member_idx ON security_group_members (member_id);

CREATE TABLE gdap_relationships (
    id TEXT PRIMARY KEY NOT NULL,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    display_name TEXT NOT NULL,
    duration TEXT NOT NULL,
    duration_days INTEGER NOT NULL,
    auto_extend_duration TEXT NOT NULL CHECK (auto_extend_duration IN ('PT0S', 'P180D')),
    roles TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('created', 'approvalPending', 'active', 'expired', 'terminated')),
    activated_at TIMESTAMP,
    end_at TIMESTAMP,
    notified_days INTEGER,
    next_transition_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (partner_id, display_name)
);
CREATE INDEX gdap_relationships_partner_idx ON gdap_relationships (partner_id, id);
CREATE INDEX gdap_relationships_customer_idx ON gdap_relationships (customer_id, id);
CREATE INDEX gdap_relationships_due_idx ON gdap_relationships (next_transition_at)
    WHERE next_transition_at IS NOT NULL;

-- The approval link of a relationship locked for approval: only its hash is stored; usable once,
-- until it expires, by the relationship's customer only.
CREATE TABLE gdap_approval_requests (
    id TEXT PRIMARY KEY NOT NULL,
    relationship_id TEXT NOT NULL REFERENCES gdap_relationships (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX gdap_approval_requests_relationship_idx ON gdap_approval_requests (relationship_id);

CREATE TABLE gdap_access_assignments (
    id TEXT PRIMARY KEY NOT NULL,
    relationship_id TEXT NOT NULL REFERENCES gdap_relationships (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    group_id TEXT NOT NULL,
    roles TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'deleted')),
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX gdap_access_assignments_relationship_idx ON gdap_access_assignments (relationship_id, id);
CREATE INDEX gdap_access_assignments_group_idx ON gdap_access_assignments (group_id);

-- What authorization reads: one row per role of an active assignment of an active relationship
-- (written and removed with the assignment's and the relationship's transitions).
CREATE TABLE gdap_grants (
    assignment_id TEXT NOT NULL REFERENCES gdap_access_assignments (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    PRIMARY KEY (assignment_id, role_id)
);
CREATE INDEX gdap_grants_customer_group_idx ON gdap_grants (customer_id, group_id, role_id);
