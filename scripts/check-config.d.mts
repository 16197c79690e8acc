// Types for check-config.mjs (used from the TypeScript black-box tests).
export interface CheckResult {
  readonly exitCode: number;
  readonly problems: string[];
  readonly warnings: string[];
}

export function checkConfig(
  argv: string[],
  options?: { cwd?: string; out?: (line: string) => void; err?: (line: string) => void },
): Promise<CheckResult>;

export function parseDotenv(text: string): Record<string, string>;
