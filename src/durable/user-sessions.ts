/** UserSessions: one SessionIndex per realm and user (`["user",<realm>,<sub>]`), with the per-user session cap. */
import { SessionIndex } from "./session-index";

export class UserSessions extends SessionIndex {}
