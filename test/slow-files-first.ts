/**
 * vitest's file order, with the longest files first (vitest.config.ts `sequence.sequencer`).
 *
 * vitest already starts the longest files first, but only from its results cache
 * (node_modules/.vite), which a fresh clone does not have. Without it, files run largest first,
 * which put concurrency.test.ts (30 s) and the differential suite (18 s) last in the workers
 * project: a CI run's workers project took 100 s where a run with the cache took 45 s. Naming
 * the long files here gives every checkout the order the cache would give. Files not named keep
 * vitest's own order, after these; a file renamed here only loses its place.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Each project's longest files, longest first, as measured in a full run (docs/development.md). */
export const LONGEST_FILES: readonly string[] = [
  // workers
  "test/concurrency.test.ts",
  "test/differential/differential.test.ts",
  // Waits up to 15 s for a fresh rate-limit minute: early, so that the wait overlaps the rest.
  "test/abuse.test.ts",
  "test/oidc-backchannel.test.ts",
  "test/live-connections.test.ts",
  "test/oidc-login.test.ts",
  "test/oidc-id-token.test.ts",
  "test/properties.test.ts",
  "test/oidc-policy.test.ts",
  // e2e (one file at a time: the order only decides what waits for the gateways to start)
  "test/e2e/browser.test.ts",
  // tools
  "test/e2e/dev-origin.test.ts",
  "test/e2e/check-config.test.ts",
];

export class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const rank = (spec: TestSpecification) => {
      const index = LONGEST_FILES.indexOf(spec.moduleId.slice(root.length + 1));
      return index === -1 ? LONGEST_FILES.length : index;
    };
    // A stable sort on what BaseSequencer sorts by first (group, then project), then the rank:
    // files of equal rank keep BaseSequencer's order.
    return sorted.sort(
      (a, b) =>
        a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder ||
        (a.project.name === b.project.name ? 0 : a.project.name < b.project.name ? -1 : 1) ||
        rank(a) - rank(b),
    );
  }
}
