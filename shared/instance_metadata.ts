/**
 * The longest values of an instance's metadata, in characters (code points),
 * by the protocol's field names. Registration and snapshots refuse a longer
 * value; `shm import-shm` leaves one out.
 */

/** The most characters each metadata field may have. */
export const METADATA_MAX_LENGTHS = {
  app_name: 100,
  app_version: 50,
  deployment_mode: 50,
  environment: 50,
  os_arch: 50,
} as const;
