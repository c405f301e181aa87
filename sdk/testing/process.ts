/** Running child processes in tests without letting one hang the run. */

/**
 * Runs a command to its end, killing it if it has not ended after `limitMs`
 * (a guard against a hang, e.g. a timer that keeps a process alive).
 */
export async function outputWithin(
  command: Deno.Command,
  limitMs: number,
): Promise<Deno.CommandOutput & { killed: boolean }> {
  const child = command.spawn();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, limitMs);
  try {
    return { ...(await child.output()), killed };
  } finally {
    clearTimeout(timer);
  }
}
