/**
 * `shm user add NAME [--role admin|viewer]`, `shm user passwd NAME` and
 * `shm user list` (with each account's role): dashboard accounts from the
 * command line. The password is read from standard input
 * (typed without echo on a terminal, or the first line of a pipe), never
 * from the command line, where other users of the machine could see it.
 */

import { isUsername, passwordProblem, USERNAME_RULE } from "../../shared/account_rules.ts";
import { createAccount, isRole, listAccounts, setPassword } from "../accounts/mod.ts";
import type { StoreSetting } from "../config.ts";
import { openMigratedStore } from "../store/mod.ts";

/** What the command needs besides its operands. */
export interface UserCommandDeps {
  readonly store: StoreSetting;
  readonly now: Date;
  readonly print: (line: string) => void;
  /** `--role` as given (admin or viewer; only with `add`); undefined when absent (admin). */
  readonly role?: string;
  /** Reads the password; by default from standard input. */
  readonly readPassword?: () => Promise<string>;
}

/**
 * Runs `shm user <action> [name]`; resolves with the exit code: 0 done, 1 the
 * account exists or does not, 2 bad usage or a password that cannot be used.
 */
export async function userCommand(
  operands: readonly string[],
  deps: UserCommandDeps,
): Promise<number> {
  const [action, name] = operands;
  const usage = "shm user add NAME [--role admin|viewer] | shm user passwd NAME | shm user list";
  if (action === "list" ? name !== undefined : action !== "add" && action !== "passwd") {
    deps.print(`shm user: unknown use "${operands.join(" ")}": ${usage}`);
    return 2;
  }
  if (deps.role !== undefined && action !== "add") {
    deps.print(`shm user: --role is an option of shm user add, not of shm user ${action}`);
    return 2;
  }
  const role = deps.role ?? "admin";
  if (!isRole(role)) {
    deps.print(`shm user: cannot use the role "${role.slice(0, 40)}": use admin or viewer`);
    return 2;
  }
  if (action !== "list" && (name === undefined || !isUsername(name))) {
    deps.print(
      `shm user: cannot use the username "${(name ?? "").slice(0, 80)}": ${USERNAME_RULE}`,
    );
    return 2;
  }
  let password = "";
  if (action !== "list") {
    password = await (deps.readPassword ?? readPasswordFromStdin)();
    const problem = passwordProblem(password);
    if (problem !== null) {
      deps.print(`shm user: ${problem} (read from standard input)`);
      return 2;
    }
  }
  const { db } = await openMigratedStore(deps.store);
  try {
    if (action === "list") {
      for (const account of await listAccounts(db)) {
        const disabled = account.disabledAt === null
          ? ""
          : `\tdisabled ${account.disabledAt.toISOString()}`;
        deps.print(
          `${account.username}\t${account.role}\tcreated ${account.createdAt.toISOString()}${disabled}`,
        );
      }
      return 0;
    }
    const username = name ?? "";
    if (action === "add") {
      const created = await createAccount(db, { username, password, now: deps.now, role }, {
        actor: "cli",
      });
      if (created === "exists") {
        deps.print(`shm user: cannot add "${username}" as the account exists`);
        return 1;
      }
      deps.print(`shm user: added "${username}" (${role})`);
      return 0;
    }
    const outcome = await setPassword(db, {
      username,
      newPassword: password,
      actor: "cli",
      now: deps.now,
    });
    if (outcome !== "changed") {
      deps.print(`shm user: cannot set the password of "${username}" as no such account exists`);
      return 1;
    }
    deps.print(`shm user: changed the password of "${username}" and ended its sessions`);
    return 0;
  } finally {
    await db.close();
  }
}

/** The password on standard input: typed without echo on a terminal, else the first line. */
async function readPasswordFromStdin(): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    const text = await new Response(Deno.stdin.readable).text();
    return text.split(/\r?\n/)[0] ?? "";
  }
  await Deno.stderr.write(new TextEncoder().encode("Password: "));
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  const buffer = new Uint8Array(1);
  try {
    while (await Deno.stdin.read(buffer) === 1) {
      const byte = buffer[0] ?? 0;
      if (byte === 3) throw new Error("cancelled");
      if (byte === 10 || byte === 13) break;
      if (byte === 127 || byte === 8) bytes.pop();
      else bytes.push(byte);
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(new TextEncoder().encode("\n"));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
