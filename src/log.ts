/**
 * One JSON line per event. Fields carry public ids only, never a token or
 * a secret: callers pass what may be read by anyone with access to the logs.
 */
export function logEvent(event: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), event, ...fields }));
}

export function logWarning(event: string, fields: Record<string, unknown> = {}): void {
  console.warn(JSON.stringify({ time: new Date().toISOString(), level: "warn", event, ...fields }));
}

export function logError(event: string, fields: Record<string, unknown> = {}): void {
  console.error(JSON.stringify({ time: new Date().toISOString(), level: "error", event, ...fields }));
}
