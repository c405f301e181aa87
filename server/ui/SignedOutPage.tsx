/** The page after signing out of a session that came from the OpenID Connect provider. */

import { Layout } from "./Layout.tsx";

/**
 * Says the session here ended and offers the provider's own sign-out
 * (`endSessionUrl`, its `end_session_endpoint`), or signing in again.
 */
export function SignedOutPage(props: { provider: string; endSessionUrl: string }) {
  return (
    <Layout title="Signed out" viewer={null}>
      <section class="login panel">
        <h1>Signed out</h1>
        <p>You are signed out of this server. You may still be signed in at {props.provider}.</p>
        <p>
          <a href={props.endSessionUrl} data-field="end-session">
            Sign out of {props.provider} too
          </a>
        </p>
        <p>
          <a href="/login">Sign in again</a>
        </p>
      </section>
    </Layout>
  );
}
