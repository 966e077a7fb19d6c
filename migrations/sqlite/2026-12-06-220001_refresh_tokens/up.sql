-- Refresh tokens (RFC 6749 §6) rotated on every use, with reuse detection (RFC 9700 §4.14.2):
-- the tokens of one sign-in form a family; a token used twice revokes its whole family. Only a
-- SHA-256 of each token is stored. A token is valid while the user's credentials version is
-- the one it was issued under (a password change, disable or role change moves it on).
CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credentials_version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
