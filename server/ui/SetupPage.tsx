/** The one-time setup page: creates the first account when none exists and no password was set. */

import { ChoosePassword } from "./ChoosePassword.tsx";
import { Layout } from "./Layout.tsx";

/** What the setup page shows. */
export interface SetupPageProps {
  /** The one-time setup token, posted back with the form (it is the form's CSRF secret too). */
  readonly setupToken: string;
  readonly username?: string;
  readonly error?: string;
}

/** Renders the form that creates the first account. */
export function SetupPage(props: SetupPageProps) {
  return (
    <Layout title="Create the first account" viewer={null}>
      <section class="login panel">
        <h1>Create the first account</h1>
        <p class="muted">This link works once, until an account exists.</p>
        {props.error === undefined ? null : <p class="error" role="alert">{props.error}</p>}
        <form method="post" action="/setup">
          <input type="hidden" name="token" value={props.setupToken} />
          <label>
            Username
            <input
              type="text"
              name="username"
              autocomplete="username"
              required
              value={props.username ?? "admin"}
            />
          </label>
          <ChoosePassword />
          <button type="submit" class="primary">Create account</button>
        </form>
      </section>
    </Layout>
  );
}
