/** The sign-in page: a plain form that works without JavaScript. */

import { Layout } from "./Layout.tsx";

/** What the login page shows. */
export interface LoginPageProps {
  readonly csrfToken: string;
  /** Where to go after signing in (a local path). */
  readonly next: string;
  readonly username?: string;
  readonly error?: string;
}

/** Renders the login form: fields `username` and `password`, plus the CSRF token. */
export function LoginPage(props: LoginPageProps) {
  return (
    <Layout title="Sign in" viewer={null}>
      <section class="login panel">
        <h1>Sign in</h1>
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
