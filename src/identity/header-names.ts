/** A header name as a CGI-style origin reads it: case folded, `_` read as `-` (`HTTP_X_AUTH_USER`). */
export function asOriginReadsIt(name: string): string {
  return name.toLowerCase().replaceAll("_", "-");
}
