/**
 * IdpSessions: one SessionIndex per identity-provider key — the gateway sessions that one
 * provider session (`sid`) or provider subject (`sub`) stands behind, so that a back-channel
 * logout ends exactly those (Back-Channel Logout 1.0 §2.5, §2.7). The keys are the login
 * method's (src/auth/oidc/idp-index.ts); this class only stores ids under them.
 */
import { SessionIndex } from "./session-index";

export class IdpSessions extends SessionIndex {}
