/** Worker entry: the gateway's fetch handler and its Durable Object classes, nothing else. */
import { createGateway } from "./app";

export { SessionObject } from "./session/session-object";
export { UserSessions } from "./session/user-sessions";

export default createGateway();
