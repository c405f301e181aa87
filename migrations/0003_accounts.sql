-- Dashboard accounts: users with password hashes, browser sessions and API
-- tokens. Only hashes of session and API tokens are stored, so a copy of the
-- database cannot be used to sign in.

create table users (
  id integer generated always as identity primary key,
  username text not null unique,
  -- "pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>"
  password_hash text not null,
  created_at timestamptz not null
);

create table sessions (
  -- SHA-256 of the cookie's token
  token_hash bytea primary key check (octet_length(token_hash) = 32),
  user_id integer not null references users (id) on delete cascade,
  created_at timestamptz not null,
  expires_at timestamptz not null
);

create index sessions_expires_at on sessions (expires_at);
create index sessions_user on sessions (user_id);

create table api_tokens (
  id integer generated always as identity primary key,
  user_id integer not null references users (id) on delete cascade,
  name text not null,
  -- SHA-256 of the token
  token_hash bytea not null unique check (octet_length(token_hash) = 32),
  created_at timestamptz not null,
  last_used_at timestamptz,
  revoked_at timestamptz
);
