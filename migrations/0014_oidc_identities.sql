-- OpenID Connect sign-in (issue 15): which account a provider's person is. An account is found
-- by the issuer and the provider's subject (its stable id for the person), never by a name the
-- provider sends, so nobody takes over an account by choosing its name at the provider.
create table oidc_identities (
  issuer text not null check (length(issuer) between 1 and 1000),
  subject text not null check (length(subject) between 1 and 255),
  -- one identity per account; removing the account removes it
  user_id integer not null unique references users (id) on delete cascade,
  created_at timestamptz not null,
  primary key (issuer, subject)
);
