/** The page of an invitation link: the invited person chooses a password, which makes the account. */

import { ChoosePassword } from "./ChoosePassword.tsx";
import { Layout } from "./Layout.tsx";

/** What the invitation page shows. */
export interface InvitePageProps {
  /** The link's token, posted back with the form (it is the form's CSRF secret too). */
  readonly token: string;
  readonly username: string;
  readonly role: string;
  readonly error?: string;
}

/** Renders the form that accepts an invitation. */
export function InvitePage(props: InvitePageProps) {
  return (
    <Layout title="Accept your invitation" viewer={null}>
      <section class="login panel">
        <h1>Welcome, {props.username}</h1>
        <p class="muted">
          You are invited as{" "}
          <strong data-field="role">{props.role}</strong>. Choose a password: this link works once.
        </p>
        {props.error === undefined ? null : <p class="error" role="alert">{props.error}</p>}
        <form method="post" action="/invite">
          <input type="hidden" name="token" value={props.token} />
          <input type="hidden" name="username" value={props.username} autocomplete="username" />
          <ChoosePassword />
          <button type="submit" class="primary">Create account</button>
        </form>
      </section>
    </Layout>
  );
}
