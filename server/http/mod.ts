/** HTTP: routes, status codes and the request log. */

export { type AppDeps, type AppHandler, type ClientInfo, createHandler } from "./app.ts";
export { errorResponse } from "./respond.ts";
export { type ConnectionRules, serveConnections } from "./serve_connections.ts";
