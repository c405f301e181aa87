/**
 * The OpenID Connect relying party (`SHM_OIDC_*`): discovery of the
 * provider, the authorization request (code flow with PKCE, state and
 * nonce), and the callback: state compared, code exchanged, the ID token
 * checked by oauth4webapi (issuer, audience, expiry, nonce), the claims read
 * with their types checked, and who may sign in decided. A provider that
 * does not answer is a note for the login page, never a crash: discovery is
 * tried again when someone asks, at most every few seconds.
 */

import * as oauth from "oauth4webapi";
import { isUsername } from "../../shared/account_rules.ts";
import { printableText } from "../../shared/text_rules.ts";
import type { OidcSetting } from "../config.ts";
import type { Logger } from "../log.ts";
import { readOidcClaims } from "./oidc_claims.ts";
import type { OidcPerson } from "./oidc_accounts.ts";

/** Longest wait for one request to the provider. */
const PROVIDER_TIMEOUT_MS = 10_000;

/** Shortest time between two discovery attempts after a failure (unless a sign-in asks). */
const RETRY_AFTER_MS = 5_000;

/** What the browser keeps between the authorization request and the callback (a cookie). */
export interface LoginState {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
}

/** A finished sign-in: the person, and the ID token that said who it is (for the sign-out). */
export interface OidcSignIn {
  readonly person: OidcPerson;
  /** The ID token as the provider sent it (a compact JWT), checked. */
  readonly idToken: string;
}

/** Why a sign-in with the provider cannot go on: a page's status, title and sentence. */
export class OidcRefusal extends Error {
  override name = "OidcRefusal";
  /** 400 a bad callback, 403 a person not allowed or refused, 502 a provider's bad answer, 503 none. */
  readonly status: 400 | 403 | 409 | 502 | 503;
  readonly title: string;
  constructor(status: OidcRefusal["status"], title: string, message: string) {
    super(message);
    this.status = status;
    this.title = title;
  }
}

/** The provider as the server knows it: its settings and, once discovered, its metadata. */
export class OidcClient {
  readonly #setting: OidcSetting;
  readonly #log: Logger;
  readonly #issuer: URL;
  readonly #client: oauth.Client;
  readonly #http: { [oauth.allowInsecureRequests]: boolean; signal: () => AbortSignal };
  #server: oauth.AuthorizationServer | null = null;
  #problem: string | null = null;
  #attempt: Promise<oauth.AuthorizationServer | null> | null = null;
  #lastFailure = 0;

  /** A client of the provider `setting` names; nothing is fetched until {@linkcode discover}. */
  constructor(setting: OidcSetting, options: { log: Logger }) {
    this.#setting = setting;
    this.#log = options.log;
    this.#issuer = new URL(setting.issuer);
    this.#client = { client_id: setting.clientId };
    this.#http = {
      // Config allows http:// only to a loopback host (a provider on the same machine).
      [oauth.allowInsecureRequests]: this.#issuer.protocol === "http:",
      signal: () => AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    };
  }

  /** What the sign-in button names: `Sign in with NAME`. */
  get name(): string {
    return this.#setting.name;
  }

  /** The group whose members are admins (`SHM_OIDC_ADMIN_GROUP`); null when not set. */
  get adminGroup(): string | null {
    return this.#setting.adminGroup;
  }

  /**
   * Why sign-in with the provider is unavailable, for the login page; null
   * while it works or was not tried yet. A failed discovery is tried again
   * in the background when it last failed a while ago.
   */
  unavailable(): string | null {
    if (this.#server !== null) return null;
    if (this.#problem !== null && Date.now() - this.#lastFailure > RETRY_AFTER_MS) {
      void this.discover();
    }
    return this.#problem;
  }

  /**
   * Reads the provider's discovery document once (one attempt at a time);
   * resolves with its metadata, or null when it failed (the reason is kept
   * for {@linkcode unavailable} and logged). Never rejects.
   */
  discover(): Promise<oauth.AuthorizationServer | null> {
    if (this.#server !== null) return Promise.resolve(this.#server);
    this.#attempt ??= (async () => {
      try {
        const response = await oauth.discoveryRequest(this.#issuer, {
          ...this.#http,
          algorithm: "oidc",
        });
        const server = await oauth.processDiscoveryResponse(this.#issuer, response);
        if (typeof server.authorization_endpoint !== "string") {
          throw new Error("its discovery document names no authorization_endpoint");
        }
        this.#server = server;
        this.#problem = null;
        this.#log.info("openid connect provider discovered", { issuer: this.#setting.issuer });
        return server;
      } catch (error) {
        this.#problem = `${this.#setting.name} did not answer as an OpenID Connect provider at ` +
          `${this.#setting.issuer} (${reason(error)}).`;
        this.#lastFailure = Date.now();
        this.#log.warn("openid connect discovery failed", {
          issuer: this.#setting.issuer,
          reason: reason(error),
        });
        return null;
      } finally {
        this.#attempt = null;
      }
    })();
    return this.#attempt;
  }

  /**
   * Starts a sign-in: fresh state, nonce and PKCE verifier, and the
   * provider's authorization URL asking for them. Throws an
   * {@linkcode OidcRefusal} (503) when the provider cannot be discovered.
   */
  async begin(): Promise<{ url: URL; saved: LoginState }> {
    const server = await this.#discovered();
    const saved: LoginState = {
      state: oauth.generateRandomState(),
      nonce: oauth.generateRandomNonce(),
      verifier: oauth.generateRandomCodeVerifier(),
    };
    const url = new URL(server.authorization_endpoint!);
    url.searchParams.set("client_id", this.#setting.clientId);
    url.searchParams.set("redirect_uri", this.#setting.redirectUri);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("scope", this.#setting.scopes);
    url.searchParams.set("state", saved.state);
    url.searchParams.set("nonce", saved.nonce);
    url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(saved.verifier));
    url.searchParams.set("code_challenge_method", "S256");
    return { url, saved };
  }

  /**
   * Finishes a sign-in from the callback's query `params` and the `saved`
   * state: the state must match (else 400), a provider's error is a 403, the
   * code is exchanged and the ID token checked (nonce included), the
   * UserInfo claims added when the provider has the endpoint, and the person
   * must be allowed (a verified e-mail in an allowed domain, or an allowed
   * group; else 403). Resolves with the person to sign in and the ID token;
   * throws an {@linkcode OidcRefusal} otherwise.
   */
  async finish(params: URLSearchParams, saved: LoginState): Promise<OidcSignIn> {
    const server = await this.#discovered();
    if (params.get("state") !== saved.state) {
      throw new OidcRefusal(
        400,
        "Sign-in refused",
        "The answer from the provider does not belong to the sign-in this browser started " +
          "(its state differs): start again from the login page.",
      );
    }
    let callback: URLSearchParams;
    try {
      callback = oauth.validateAuthResponse(server, this.#client, params, saved.state);
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) {
        throw new OidcRefusal(
          403,
          "Sign-in refused",
          `${this.#setting.name} did not sign you in: ${printableText(error.error, 100)}` +
            (error.error_description === undefined
              ? "."
              : ` (${printableText(error.error_description, 300)}).`),
        );
      }
      throw new OidcRefusal(
        400,
        "Sign-in refused",
        `The provider's answer is not valid: ${reason(error)}. Start again from the login page.`,
      );
    }
    const { claims, idToken } = await this.#claims(server, callback, saved);
    return { person: await this.#person(claims), idToken };
  }

  /**
   * Where to send a browser after its session ended here, to end its
   * session at the provider too (RP-Initiated Logout 1.0): the provider's
   * `end_session_endpoint` with `client_id`, `post_logout_redirect_uri`
   * (`SHM_PUBLIC_URL/login`, registered at the provider) and, when given,
   * `id_token_hint` (the ID token of the sign-in, so that the provider need
   * not ask whose sign-out it is). Null when the provider has no
   * `end_session_endpoint` or is not discovered.
   */
  endSessionUrl(idTokenHint: string | null): string | null {
    const endpoint = this.#server?.end_session_endpoint;
    if (typeof endpoint !== "string") return null;
    const url = new URL(endpoint);
    if (idTokenHint !== null) url.searchParams.set("id_token_hint", idTokenHint);
    url.searchParams.set("client_id", this.#setting.clientId);
    // The redirect URI is SHM_PUBLIC_URL/login/oidc/callback (config.ts): this is SHM_PUBLIC_URL/login.
    url.searchParams.set(
      "post_logout_redirect_uri",
      this.#setting.redirectUri.replace(/\/oidc\/callback$/, ""),
    );
    return url.href;
  }

  async #discovered(): Promise<oauth.AuthorizationServer> {
    const server = await this.discover();
    if (server === null) {
      throw new OidcRefusal(503, "Sign-in unavailable", this.#problem ?? "The provider is down.");
    }
    return server;
  }

  /** The code exchanged for tokens, the ID token's claims checked, and UserInfo's added. */
  async #claims(
    server: oauth.AuthorizationServer,
    callback: URLSearchParams,
    saved: LoginState,
  ): Promise<{ claims: Record<string, unknown>; idToken: string }> {
    try {
      const response = await oauth.authorizationCodeGrantRequest(
        server,
        this.#client,
        oauth.ClientSecretBasic(this.#setting.clientSecret),
        callback,
        this.#setting.redirectUri,
        saved.verifier,
        this.#http,
      );
      const tokens = await oauth.processAuthorizationCodeResponse(server, this.#client, response, {
        expectedNonce: saved.nonce,
        requireIdToken: true,
      });
      const idClaims = oauth.getValidatedIdTokenClaims(tokens);
      const idToken = tokens.id_token;
      if (idClaims === undefined || idToken === undefined) {
        throw new Error("the token endpoint sent no ID token");
      }
      if (typeof server.userinfo_endpoint !== "string") return { claims: { ...idClaims }, idToken };
      const info = await oauth.processUserInfoResponse(
        server,
        this.#client,
        idClaims.sub,
        await oauth.userInfoRequest(server, this.#client, tokens.access_token, this.#http),
      );
      // The ID token's own claims (iss, aud, nonce…) win over anything UserInfo repeats.
      return { claims: { ...info, ...idClaims }, idToken };
    } catch (error) {
      this.#log.warn("openid connect sign-in failed", { reason: reason(error) });
      throw new OidcRefusal(
        502,
        "Sign-in failed",
        `${this.#setting.name} answered in a way that cannot be trusted or used (${
          reason(error)
        }): try again, or ask an admin to look at the server's log.`,
      );
    }
  }

  /** The person the checked claims describe, when allowed to sign in. */
  async #person(claims: Record<string, unknown>): Promise<OidcPerson> {
    const read = readOidcClaims(claims);
    if (read.kind === "bad") {
      throw new OidcRefusal(502, "Sign-in failed", `${this.#setting.name} sent ${read.problem}`);
    }
    const { subject, email, emailVerified, preferredUsername, groups } = read.claims;
    const domain = email === null ? null : email.slice(email.lastIndexOf("@") + 1).toLowerCase();
    const byDomain = emailVerified && domain !== null &&
      this.#setting.allowedDomains.includes(domain);
    const byGroup = groups.some((group) => this.#setting.allowedGroups.includes(group));
    const who = email ?? preferredUsername ?? subject;
    if (!byDomain && !byGroup) {
      throw new OidcRefusal(
        403,
        "Not allowed",
        `The account ${printableText(who, 100)} at ${this.#setting.name} may not sign in here: ` +
          "its e-mail address is not a verified one of an allowed domain, and it is in none of " +
          "the allowed groups. Ask an admin of this server.",
      );
    }
    const adminGroup = this.#setting.adminGroup;
    return {
      issuer: this.#setting.issuer,
      subject,
      username: await usernameFor({
        subject,
        email,
        preferredUsername,
        issuer: this.#setting.issuer,
      }),
      role: adminGroup !== null && groups.includes(adminGroup) ? "admin" : "viewer",
      syncRole: adminGroup !== null,
    };
  }
}

/**
 * The name of a new account: the provider's `preferred_username`, else the
 * e-mail address, when it is a username here; else `oidc-` and 16 hex
 * digits of a hash of the issuer and subject.
 */
async function usernameFor(
  claims: {
    subject: string;
    email: string | null;
    preferredUsername: string | null;
    issuer: string;
  },
): Promise<string> {
  for (const name of [claims.preferredUsername, claims.email]) {
    if (name !== null && isUsername(name)) return name;
  }
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(`${claims.issuer}\n${claims.subject}`),
  );
  const hex = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0"));
  return `oidc-${hex.join("").slice(0, 16)}`;
}

/** An error's message in one printable line, for a page or the log. */
function reason(error: unknown): string {
  const message = error instanceof Error
    ? (error.name === "TimeoutError" ? "no answer in time" : error.message)
    : String(error);
  return printableText(message.replaceAll(/\s+/g, " "), 300);
}
