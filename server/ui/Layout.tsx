/** The page shell every dashboard page shares: head, top bar, stylesheet and client script. */

import type { ComponentChildren } from "preact";
import { CLIENT_HASH } from "./client_bundle.generated.ts";

/** Who is signed in, for the top bar; null on the login page. */
export interface Viewer {
  readonly username: string;
  /** The CSRF token the logout form posts. */
  readonly csrfToken: string;
}

/** Renders a whole HTML page around `children`. */
export function Layout(
  props: { title: string; viewer: Viewer | null; children: ComponentChildren },
) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <link rel="icon" href="data:," />
        <title>{`${props.title} · SHM`}</title>
        <link rel="stylesheet" href={`/assets/styles.css?v=${CLIENT_HASH}`} />
        <script src={`/assets/client.js?v=${CLIENT_HASH}`} defer />
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">SHM</a>
          {props.viewer === null ? null : (
            <>
              <a href="/settings">Settings</a>
              <span class="muted">{props.viewer.username}</span>
              <form method="post" action="/logout">
                <input type="hidden" name="_csrf" value={props.viewer.csrfToken} />
                <button type="submit">Log out</button>
              </form>
            </>
          )}
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}
