/** A page that only says something: not found, refused, too many attempts. */

import { Layout, type Viewer } from "./Layout.tsx";

/** Renders a titled message with a link back to the overview. */
export function MessagePage(props: { title: string; message: string; viewer: Viewer | null }) {
  return (
    <Layout title={props.title} viewer={props.viewer}>
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      <p>
        <a href="/">Back to the overview</a>
      </p>
    </Layout>
  );
}
