/** The sign-in page: a plain form that works without JavaScript. */

import { Layout } from "./Layout.tsx";

/** What the login page shows. */
export interface LoginPageProps {
  readonly csrfToken: string;
  /** Where to go after signing in (a local path). */
  readonly next: string;
  readonly username?: string;
  readonly error?: string;
  /** No account exists: the page says how to make the first one. */
  readonly noAccountYet?: boolean;
}

/** Renders the login form: fields `username` and `password`, plus the CSRF token. */
export function LoginPage(props: LoginPageProps) {
  return (
    <Layout title="Sign in" viewer={null}>
      <section class="login panel">
        <h1>Sign in</h1>
        {props.noAccountYet
          ? (
            <p class="notice" data-field="no-account">
              No account yet: open the setup link the server printed when it started (in its
              terminal or its log; restart it to print a new one), or create one with{" "}
              <code>shm user add NAME</code>.
            </p>
          )
          : null}
        {props.error === undefined ? null : <p class="error" role="alert">{props.error}</p>}
        <form method="post" action={`/login?next=${encodeURIComponent(props.next)}`}>
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <label>
            Username
            <input
              type="text"
              name="username"
              autocomplete="username"
              required
              value={props.username ?? ""}
            />
          </label>
          <label>
            Password
            <input type="password" name="password" autocomplete="current-password" required />
          </label>
          <button type="submit" class="primary">Sign in</button>
        </form>
      </section>
    </Layout>
  );
}
