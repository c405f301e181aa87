/** A button that copies a text (an SDK snippet) to the clipboard and says so. */

import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";

/** Props of {@linkcode CopyButton}: the text to copy and the button's label. */
export interface CopyButtonProps {
  readonly text: string;
  readonly label?: string;
}

/**
 * Renders a button that is disabled until hydrated (without JavaScript the
 * snippet stays selectable beside it); once hydrated it copies `text`.
 */
export default function CopyButton(props: CopyButtonProps) {
  const state = useSignal<"idle" | "copied" | "failed">("idle");
  const hydrated = useSignal(false);
  useEffect(() => {
    hydrated.value = true;
  }, []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      state.value = "copied";
    } catch {
      state.value = "failed";
    }
  };
  const label = state.value === "copied"
    ? "Copied"
    : state.value === "failed"
    ? "Select and copy"
    : props.label ?? "Copy";
  return (
    <button type="button" class="copy-button" disabled={!hydrated.value} onClick={copy}>
      {label}
    </button>
  );
}
