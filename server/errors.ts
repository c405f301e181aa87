/**
 * The errors that cross layers. A layer that knows a rule throws
 * {@linkcode ClientError}; `http/` turns it into the JSON error shape, in one place.
 */

/** Something the client caused: carries the HTTP status, a snake_case code and a message for a person. */
export class ClientError extends Error {
  override name = "ClientError";
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
  }
}

/** The store cannot be reached right now; the client should retry later (HTTP 503). */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}
