// `npm test`'s last step: vitest's three projects at once, each in its own process.
//
// Why processes: the e2e project's files run one at a time (they share `wrangler dev`
// gateways and read what their origin received in between), and vitest runs two projects side
// by side in one process only if they have the same maxWorkers. So the workers project
// (several files at a time, vitest.config.ts), the e2e project and the tools project start
// together here, and the e2e files' waits on `wrangler dev` and Chromium overlap the workers
// pool's CPU work. docs/development.md has the timings.
//
// The workers project's output streams as it comes; each other project's is held until the
// ones before it are done, so none interleaves with another. `--outputFile=F` (with
// `--reporter=json`, as .ci/run passes) gets one JSON report, the projects' merged. Any other
// argument (a file filter, `--project`, `-t`) means a targeted run: plain `vitest run <args>`,
// one process. Exit code: non-zero when any project fails.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const PROJECTS = ["workers", "e2e", "tools"];
const args = process.argv.slice(2);
const { outputFile, rest } = takeOutputFile(args);

if (rest.some((arg) => !isReporterArg(arg))) {
  process.exitCode = await run(["run", ...args], "inherit");
} else {
  process.exitCode = await runAll(rest, outputFile);
}

async function runAll(reporterArgs, outputFile) {
  const dir = mkdtempSync(path.join(tmpdir(), "gateway-test-"));
  try {
    const reports = PROJECTS.map((project) => path.join(dir, `${project}.json`));
    // The first project streams; each other one's output is held until those before it are
    // done, then printed and streamed from there on.
    const outputs = PROJECTS.map((_, i) => ({ held: [], streaming: i === 0 }));
    const sinkOf = (output) => (chunk) => (output.streaming ? process.stdout.write(chunk) : output.held.push(chunk));
    const runs = PROJECTS.map((project, i) => run(["run", "--project", project, ...reporterArgs, ...(outputFile ? [`--outputFile=${reports[i]}`] : [])], sinkOf(outputs[i])));
    const codes = [];
    for (const [i, running] of runs.entries()) {
      const output = outputs[i];
      for (const chunk of output.held.splice(0)) process.stdout.write(chunk);
      output.streaming = true;
      codes.push(await running);
    }
    if (outputFile) writeFileSync(outputFile, JSON.stringify(mergeReports(reports.map(readReport))));
    return codes.find((code) => code !== 0) ?? 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `vitest <args>`; output to the terminal ("inherit") or to `sink(chunk)`. Resolves to the exit code. */
function run(vitestArgs, sink) {
  const bin = path.join(import.meta.dirname, "..", "node_modules", ".bin", "vitest");
  const child = spawn(bin, vitestArgs, { stdio: sink === "inherit" ? "inherit" : ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? (process.stdout.isTTY ? "1" : "0") } });
  if (sink !== "inherit") {
    child.stdout.on("data", sink);
    child.stderr.on("data", sink);
  }
  // Ctrl-C reaches every child through the terminal's process group; a SIGTERM to this
  // script (CI's timeout) is passed on.
  const stop = () => child.kill("SIGTERM");
  process.once("SIGTERM", stop);
  return new Promise((done) =>
    child.once("exit", (code, signal) => {
      process.off("SIGTERM", stop);
      done(code ?? (signal ? 1 : 0));
    }),
  );
}

function takeOutputFile(args) {
  const rest = [];
  let outputFile = null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--outputFile") outputFile = args[++i];
    else if (args[i].startsWith("--outputFile=")) outputFile = args[i].slice("--outputFile=".length);
    else rest.push(args[i]);
  }
  return { outputFile, rest };
}

function isReporterArg(arg) {
  return arg.startsWith("--reporter=") || arg === "--silent" || arg.startsWith("--silent=");
}

function readReport(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    // A project that crashed before reporting: counted as a failure, not as zero tests.
    return { success: false, numFailedTestSuites: 1, numTotalTestSuites: 1, testResults: [] };
  }
}

/** One report in vitest's JSON format: counts added, results concatenated, success only if both. */
function mergeReports(reports) {
  const merged = { ...reports[0], testResults: [], success: true };
  for (const key of Object.keys(merged)) if (key.startsWith("num")) merged[key] = 0;
  for (const report of reports) {
    for (const [key, value] of Object.entries(report)) if (key.startsWith("num") && typeof value === "number") merged[key] = (merged[key] ?? 0) + value;
    merged.testResults.push(...(report.testResults ?? []));
    merged.success &&= report.success === true;
    if (typeof report.startTime === "number") merged.startTime = Math.min(merged.startTime ?? Infinity, report.startTime);
  }
  return merged;
}
