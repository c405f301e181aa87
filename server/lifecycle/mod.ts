/**
 * Lifecycle: what operators do to instances (revoke, restore, delete) and
 * the audit log that records it and every settings change. Routes call this
 * layer; it calls the store.
 */

export {
  deleteInstance,
  type LifecycleContext,
  restoreInstance,
  revokeInstance,
  type StatusActionResult,
} from "./instance_actions.ts";
export { type AuditEntry, auditTrail, MAX_AUDIT_LINES } from "./audit_trail.ts";
