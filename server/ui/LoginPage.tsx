/** The sign-in page: a plain form that works without JavaScript, and the single sign-on button. */

import { Layout } from "./Layout.tsx";

/** The OpenID Connect provider as the login page offers it. */
export interface LoginProvider {
  /** What the button names: `Sign in with NAME`. */
  readonly name: string;
  /** Why it cannot be used now (the provider did not answer); null while it can. */
  readonly unavailable: string | null;
}

/** The provider's link drawn as the primary button is (the stylesheet styles buttons only). */
const PROVIDER_BUTTON = "display: inline-block; padding: 0.4rem 0.9rem; border-radius: 0.375rem; " +
  "background: var(--accent); color: #fff; text-decoration: none;";

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
 * Renders the login page: the provider's `Sign in with NAME` button (a link
 * to `/login/oidc`: a form could not be redirected to the provider under the
 * pages' `form-action 'self'`) or the note saying why it is unavailable, and the
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
        {provider === null ? null : provider.unavailable === null
          ? (
            <p>
              <a
                href={`/login/oidc?next=${encodeURIComponent(props.next)}`}
                data-field="oidc"
                style={PROVIDER_BUTTON}
              >
                Sign in with {provider.name}
              </a>
            </p>
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
