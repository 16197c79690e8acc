// Types for test/workload/issuer.mjs (the local issuer of workload tokens), which
// test/e2e/global-setup.ts starts for the shared gateway. A wildcard, since an ambient module
// cannot be named by a relative path; only that file matches it.
declare module "*/workload/issuer.mjs" {
  export interface WorkloadIssuer {
    /** `http://127.0.0.1:<port>`; a tenant (one issuer) is `<origin>/<name>`. */
    readonly origin: string;
    close(): Promise<void>;
  }
  export function startWorkloadIssuer(): Promise<WorkloadIssuer>;
}
