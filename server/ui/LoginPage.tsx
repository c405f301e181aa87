/** The sign-in page: a plain form that works without JavaScript, and the single sign-on button. */

import { Layout } from "./Layout.tsx";

/** The OpenID Connect provider as the login page offers it. */
export interface LoginProvider {
  /** What the button names: `Sign in with NAME`. */
  readonly name: string;
  /** Why it cannot be used now (the provider did not answer); null while it can. */
  readonly unavailable: string | null;
}

/** What the login page shows. */
export interface LoginPageProps {
  readonly csrfToken: string;
  /** Where to go after signing in (a local path). */
  readonly next: string;
  readonly username?: string;
  readonly error?: string;
  /** No account exists: the page says how to make the first one. */
  readonly noAccountYet?: boolean;
  /** The OpenID Connect provider, when one is configured. */
  readonly provider?: LoginProvider | null;
  /** Whether the username and password form is shown (`SHM_LOCAL_LOGIN`); by default it is. */
  readonly localLogin?: boolean;
}

/**
 * Renders the login page: the provider's `Sign in with NAME` button (a GET
 * form to `/login/oidc`) or the note saying why it is unavailable, and the
 * local form (fields `username` and `password`, plus the CSRF token) unless
 * local sign-in is off.
 */
export function LoginPage(props: LoginPageProps) {
  const localLogin = props.localLogin ?? true;
  const provider = props.provider ?? null;
  return (
    <Layout title="Sign in" viewer={null}>
      <section class="login panel">
        <h1>Sign in</h1>
        {props.noAccountYet && localLogin
          ? (
            <p class="notice" data-field="no-account">
              No account yet: open the setup link the server printed when it started (in its
              terminal or its log; restart it to print a new one), or create one with{" "}
              <code>shm user add NAME</code>.
            </p>
          )
          : null}
        {props.error === undefined ? null : <p class="error" role="alert">{props.error}</p>}
        {provider === null
          ? null
          : provider.unavailable === null
          ? (
            <form method="get" action="/login/oidc" data-field="oidc">
              <input type="hidden" name="next" value={props.next} />
              <p>
                <button type="submit" class="primary">Sign in with {provider.name}</button>
              </p>
            </form>
          )
          : (
            <p class="error" role="status" data-field="oidc-unavailable">
              Sign-in with {provider.name} is unavailable: {provider.unavailable}
              {localLogin
                ? " Sign in with a username and password below, or try again later."
                : " Try again later, or ask the server's operator."}
            </p>
          )}
        {localLogin
          ? (
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
          )
          : null}
      </section>
    </Layout>
  );
}
