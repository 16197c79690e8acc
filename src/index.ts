/** Worker entry: the gateway's fetch handler and its Durable Object classes, nothing else. */
import { createGateway } from "./app";

export { IdpSessions } from "./oidc/idp-sessions";
export { LogoutTokenReplay } from "./oidc/logout-token-replay";
export { SessionObject } from "./session/session-object";
export { UserSessions } from "./session/user-sessions";

export default createGateway();
