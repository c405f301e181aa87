/** What the settings page shows in place of the invitation form when local sign-in is off. */

/** Where accounts come from when people sign in with the provider only. */
export interface ProviderAccounts {
  /** The provider's name, as the login page's button says it. */
  readonly provider: string;
  /** Whose members are admins (`SHM_OIDC_ADMIN_GROUP`); null: new accounts are viewers. */
  readonly adminGroup: string | null;
}

/**
 * Says why nobody is invited (`SHM_LOCAL_LOGIN=false`): an account is made
 * at its first sign-in with the provider, and its role comes from the admin
 * group (or from an admin here, without one). No form.
 */
export function InvitationsOff(props: ProviderAccounts) {
  return (
    <p class="panel muted" data-field="invitations-off">
      Nobody is invited here, as local sign-in is off (<code>SHM_LOCAL_LOGIN=false</code>): an
      account is made when its person first signs in with {props.provider}.{" "}
      {props.adminGroup === null
        ? "New accounts are viewers; an admin makes someone an admin below."
        : (
          <>
            Members of the group <code>{props.adminGroup}</code> at {props.provider}{" "}
            are admins and everyone else a viewer, set again at every sign-in.
          </>
        )}
    </p>
  );
}
