/** Accept loops: the one every server runs, and the HTTP workers that share its port. */

export { connectionRules, openPoolConnections, serveHttp } from "./http_loop.ts";
export { type HttpWorkers, startHttpWorkers } from "./worker_pool.ts";
