/**
 * An operator's actions on one instance: revoke (its requests are refused
 * from then on, its history stays), restore (undoes a revoke) and delete
 * (every row, as an erase does). Each is recorded in the audit log in the
 * same transaction as the change.
 */

import type { PublicKeyCache } from "../ingest/mod.ts";
import {
  changeInstanceStatus,
  type Database,
  eraseInstance,
  type StatusChange,
  withAuditEntry,
} from "../store/mod.ts";

/** What the instance actions need: the store, the clock and ingestion's key cache. */
export interface LifecycleContext {
  readonly db: Database;
  readonly now: () => Date;
  /** Ingestion's cache of public keys: an instance acted on leaves it at once. */
  readonly keys: PublicKeyCache;
}

/** The status an action found and left, or `unknown` when no instance has the id. */
export type StatusActionResult =
  | { readonly kind: "changed"; readonly change: StatusChange }
  | { readonly kind: "unknown" };

/**
 * Revokes instance `instanceId` on behalf of `actor`: from its next request
 * on, activate, snapshot and erase answer 403 `instance_revoked`; its rows
 * stay. Revoking a revoked instance changes nothing and is recorded all the
 * same (the log says who tried). Answers `unknown` for an id no instance has.
 */
export async function revokeInstance(
  ctx: LifecycleContext,
  instanceId: string,
  actor: string,
): Promise<StatusActionResult> {
  return await statusAction(ctx, instanceId, { actor, change: "revoke" });
}

/**
 * Restores revoked instance `instanceId` on behalf of `actor`: it is `active`
 * again when it ever sent a snapshot, else `pending`, and its requests are
 * accepted again. An instance that is not revoked is left as it is.
 * Answers `unknown` for an id no instance has.
 */
export async function restoreInstance(
  ctx: LifecycleContext,
  instanceId: string,
  actor: string,
): Promise<StatusActionResult> {
  return await statusAction(ctx, instanceId, { actor, change: "restore" });
}

/**
 * Deletes instance `instanceId` on behalf of `actor`, revoked or not: every
 * row of it in one transaction, its days marked for the upkeep to compute
 * again (as `POST /v1/erase` does). The same id may register again.
 * Answers `unknown` for an id no instance has.
 */
export async function deleteInstance(
  ctx: LifecycleContext,
  instanceId: string,
  actor: string,
): Promise<"deleted" | "unknown"> {
  const id = instanceId.toLowerCase();
  const outcome = await withAuditEntry(
    ctx.db,
    (tx) => eraseInstance(tx, id, { includeRevoked: true }),
    (result) =>
      result === "erased"
        ? { at: ctx.now(), actor, action: "instance.delete", target: id, detail: {} }
        : null,
  );
  ctx.keys.forget(id, { everywhere: true });
  return outcome === "erased" ? "deleted" : "unknown";
}

async function statusAction(
  ctx: LifecycleContext,
  instanceId: string,
  options: { actor: string; change: "revoke" | "restore" },
): Promise<StatusActionResult> {
  const id = instanceId.toLowerCase();
  const change = await withAuditEntry(
    ctx.db,
    (tx) => changeInstanceStatus(tx, id, options.change),
    (result) =>
      result === null ? null : {
        at: ctx.now(),
        actor: options.actor,
        action: `instance.${options.change}`,
        target: id,
        detail: { before: result.before, after: result.after },
      },
  );
  // This process's accept loops refuse the instance's next request before any write; other
  // processes' writes check the stored status themselves.
  ctx.keys.forget(id, { everywhere: true });
  return change === null ? { kind: "unknown" } : { kind: "changed", change };
}
