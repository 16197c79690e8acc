/** Worker entry: the gateway's fetch handler and its Durable Object classes, nothing else. */
import { createGateway } from "./app";

export { IdpSessions } from "./durable/idp-sessions";
export { LogoutTokenReplay } from "./durable/logout-token-replay";
export { ServiceCredential } from "./durable/service-credential";
export { ServiceDirectory } from "./durable/service-directory";
export { SessionObject } from "./durable/session-object";
export { UserSessions } from "./durable/user-sessions";

export default createGateway();
