/**
 * Server rendering of an island: the component's HTML inside a marker
 * element, and its props as JSON in a script element the client entry reads.
 */

import type { ComponentChildren, FunctionComponent } from "preact";
import { type IslandName, ISLANDS } from "../../islands/mod.ts";

/** Numbers island markers within one page render, so each props script has its own id. */
export class IslandCounter {
  #next = 0;
  /** The id of the next island on this page. */
  take(): number {
    return this.#next++;
  }
}

/**
 * Serialises `value` as JSON that is safe inside a `<script>` element:
 * `<`, `>`, `&` and the two JavaScript line separators are escaped, so the
 * text can never close the element or open a comment.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Renders island `name` with `props` (plain data: no functions, no secrets)
 * wrapped in its marker, followed by its props script.
 */
export function Island<N extends IslandName>(
  props: {
    name: N;
    props: Parameters<(typeof ISLANDS)[N]>[0];
    counter: IslandCounter;
  },
): ComponentChildren {
  const id = props.counter.take();
  const Component = ISLANDS[props.name] as unknown as FunctionComponent<Record<string, unknown>>;
  return (
    <>
      <div class="island" data-island={props.name} data-island-id={id}>
        <Component {...(props.props as unknown as Record<string, unknown>)} />
      </div>
      <script
        type="application/json"
        id={`island-props-${id}`}
        dangerouslySetInnerHTML={{ __html: scriptSafeJson(props.props) }}
      />
    </>
  );
}
