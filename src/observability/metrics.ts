/**
 * Workers Analytics Engine: one data point per access decision and per session event, when the
 * optional `GATEWAY_METRICS` binding is present (wrangler.toml `[[analytics_engine_datasets]]`).
 * Without it nothing is recorded and nothing is called. docs/operations.md has the SQL that queries them.
 *
 * Layout of a data point (the SQL API names columns blob1…, double1…, index1):
 *   index1  kind: "decision" | "session"
 *   blob1   kind (again, to group by in SQL)
 *   blob2   outcome: decision "allowed" | "unauthenticated" | "reauthenticate" | "forbidden";
 *                    session  "login" | "logout" | "refused"
 *   blob3   reason: decision: why — "public", "session", "requirements" when allowed;
 *                   "no-session"; the requirement that failed ("roles", "emailDomains", "ips",
 *                   "ALLOWED_USERS", "maxAuthAgeSeconds", …);
 *                   session: how ("origin" | "oidc" login, "user" logout, "ended" refusal)
 *   blob4   rule: the rule the request matched, as written ("GET,HEAD /reports/*",
 *                 "admin.example.com/*"), or "DEFAULT_ACCESS"
 *   blob5   method
 *   blob6   asks: what the deciding access asks for, e.g. "public", "session", "roles=admin|ops,ips"
 *   double1 latency in ms, from the request's arrival to the decision or event
 * Nothing identifies a user or a session: a metric is for counting, the log is for finding.
 */
import type { Decision, DecisionOutcome } from "../policy/evaluate";
import type { Access } from "../policy/routes";

export type { DecisionOutcome };
export type SessionOutcome = "login" | "logout" | "refused";

export interface Metrics {
  decision(point: Decision & { method: string; latencyMs: number }): void;
  sessionEvent(point: { outcome: SessionOutcome; reason: string; method: string; latencyMs: number }): void;
}

export function analyticsEngineMetrics(dataset: AnalyticsEngineDataset | undefined): Metrics | null {
  if (!dataset) return null;
  // writeDataPoint never throws for a well-formed point and never waits: the runtime sends it
  // after the response, so a metric costs the request nothing measurable.
  const write = (kind: string, outcome: string, reason: string, rule: string, method: string, asks: string, latencyMs: number) =>
    dataset.writeDataPoint({ indexes: [kind], blobs: [kind, outcome, reason, rule, method, asks], doubles: [latencyMs] });
  return {
    decision({ outcome, access, reason, rule, method, latencyMs }) {
      write("decision", outcome, reason, rule, method, describeAccess(access), latencyMs);
    },
    sessionEvent({ outcome, reason, method, latencyMs }) {
      write("session", outcome, reason, "", method, "", latencyMs);
    },
  };
}

/** "public", "session", or the requirement keys, with the roles that would do: "roles=admin|ops,ips". */
export function describeAccess(access: Access): string {
  if (access.kind !== "requirements") return access.kind;
  return Object.entries(access.requirements)
    .map(([key, value]) => (key === "roles" && Array.isArray(value) ? `roles=${value.join("|")}` : key))
    .join(",");
}
