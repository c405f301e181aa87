/** Ingestion: the protocol's rules between a raw request and the store. */

export { createIngestContext, type IngestContext } from "./context.ts";
export {
  authenticateInstance,
  type SignatureHeaders,
  type VerifiedInstance,
} from "./authenticate.ts";
export { acceptRegistration, type RegistrationResult } from "./register.ts";
export { acceptActivation } from "./activate.ts";
export { acceptSnapshot, type SnapshotResult } from "./snapshot.ts";
export { acceptErasure } from "./erase.ts";
export { type KeyNews, type KeyShare, PublicKeyCache } from "./verify_signature.ts";
export { SnapshotWriter } from "./snapshot_writer.ts";
export { appSlug } from "./slug.ts";
export { flattenMetrics, type MetricValue } from "./flatten_metrics.ts";
export { MAX_FUTURE_SKEW_MS } from "./context.ts";
