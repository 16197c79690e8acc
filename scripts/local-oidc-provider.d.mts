// Types for local-oidc-provider.mjs (used from the TypeScript black-box tests).
export interface LocalProviderOptions {
  host?: string;
  port?: number;
  issuerHost?: string;
  clients?: Record<string, unknown>[];
  signingJwk?: Record<string, unknown>;
  onEvent?: (event: string, ...args: unknown[]) => void;
}

export interface LocalProvider {
  readonly issuer: string;
  readonly port: number;
  readonly publicJwk: Record<string, unknown>;
  setClients(clients: Record<string, unknown>[]): void;
  close(): Promise<void>;
}

export function startLocalProvider(options: LocalProviderOptions): Promise<LocalProvider>;
export function generateSigningJwk(): Record<string, unknown>;
