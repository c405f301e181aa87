-- Access for a team (issue 15): each account has a role and may be disabled,
-- accounts are invited by a one-time link, and API tokens have a scope and
-- may expire.
--   role:        admin (everything) or viewer (every page and read API)
--   disabled_at: when an admin disabled the account (null: it may sign in)

-- Accounts made before roles existed could do everything: they stay admins.
alter table users
  add column role text not null default 'admin' check (role in ('admin', 'viewer')),
  add column disabled_at timestamptz;

-- A token's scope: read (GET only) or write; tokens made before scopes could write.
-- A token made with SHM_ADMIN_TOKEN through the admin API belongs to no account.
alter table api_tokens
  add column scope text not null default 'write' check (scope in ('read', 'write')),
  add column expires_at timestamptz,
  alter column user_id drop not null;

-- Pending invitations, one per username: only the SHA-256 of the link's token is kept.
create table invites (
  username text primary key,
  token_hash bytea not null unique check (octet_length(token_hash) = 32),
  role text not null check (role in ('admin', 'viewer')),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  -- who invited (null: SHM_ADMIN_TOKEN); an invitation goes with the account that made it
  invited_by integer references users (id) on delete cascade
);
