/**
 * A real OpenID Connect provider for the tests: `oidc-provider` from npm,
 * in this process on a free loopback port, with one confidential client
 * registered for the server under test and its development login page (any
 * password; the login names an account of {@linkcode TestPerson}s). Consent
 * is granted without a page, so the browser sees one form.
 */

import { createServer, type Server } from "node:http";
import { OidcProvider } from "./dev_deps.ts";

/** A person the provider knows, by the login typed on its page. */
export interface TestPerson {
  readonly email?: unknown;
  readonly email_verified?: unknown;
  readonly preferred_username?: unknown;
  readonly groups?: unknown;
}

/** A running provider. */
export interface TestProvider extends AsyncDisposable {
  /** The issuer (`http://127.0.0.1:PORT`), as `SHM_OIDC_ISSUER` takes it. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** A free loopback TCP port (free when this returns: the caller binds it soon after). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Starts a provider on `port` (by default a free one) whose client may send
 * browsers back to `${publicUrl}/login/oidc/callback` (and after sign-out to
 * `${publicUrl}/login`); `people` are its accounts by login. With
 * `claimsInIdToken`, the ID token carries the person's claims too (not only
 * UserInfo), so that long claims make a long ID token.
 */
export async function startProvider(
  options: {
    publicUrl: string;
    people: Record<string, TestPerson>;
    port?: number;
    claimsInIdToken?: boolean;
  },
): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  const issuer = `http://127.0.0.1:${address.port}`;
  const clientId = "shm-test";
  const clientSecret = `secret-${crypto.randomUUID()}`;
  const provider = new OidcProvider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [`${options.publicUrl}/login/oidc/callback`],
      post_logout_redirect_uris: [`${options.publicUrl}/login`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    }],
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["preferred_username"],
      groups: ["groups"],
    },
    cookies: { keys: [crypto.randomUUID()] },
    conformIdTokenClaims: options.claimsInIdToken !== true,
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    // deno-lint-ignore require-await
    findAccount: async (_ctx: unknown, id: string) => {
      const person = options.people[id];
      if (person === undefined) return undefined;
      return {
        accountId: id,
        // deno-lint-ignore require-await
        claims: async () => ({ sub: id, ...person }),
      };
    },
    // Consent is granted at once: the browser sees the login form only.
    loadExistingGrant: async (ctx: ProviderContext) => {
      const grantId = ctx.oidc.result?.consent?.grantId ??
        ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return await ctx.oidc.provider.Grant.find(grantId);
      if (ctx.oidc.session.accountId === undefined) return undefined;
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope("openid email profile groups");
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();
  server.on("request", callback);
  return {
    issuer,
    clientId,
    clientSecret,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The parts of oidc-provider's context the grant loader reads (the package ships no types we use). */
interface ProviderContext {
  oidc: {
    result?: { consent?: { grantId?: string } };
    session: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    client: { clientId: string };
    provider: {
      Grant: {
        new (init: { clientId: string; accountId: string }): {
          addOIDCScope(scope: string): void;
          save(): Promise<string>;
        };
        find(id: string): Promise<unknown>;
      };
    };
  };
}
