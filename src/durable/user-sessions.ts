/** UserSessions: one SessionIndex per user (`user:<sub>`), with the per-user session cap. */
import { SessionIndex } from "./session-index";

export class UserSessions extends SessionIndex {}
