// vitest globalSetup (Node side) for the workers project: starts the real origin routers the
// differential suite (test/differential/*.test.ts) puts behind the gateway — Express, Flask,
// Rails routing, Laravel's and Symfony's requests and the Java-like stand-in — each on
// 127.0.0.1 on a port it picks itself. Each says so once it accepts connections (`listening
// <port>`; PHP's built-in server, started on port 0, prints the port it bound); the ports reach
// the Worker tests through vitest's provide/inject (test/differential/harness.ts). Flask, Rails,
// Laravel and Symfony come from Debian packages (python3-flask; ruby-actionpack, ruby-rack,
// ruby-webrick; php-cli, php-illuminate-http, php-symfony-http-foundation), which .ci/run installs.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = (file) => fileURLToPath(new URL(`./origins/${file}`, import.meta.url));

const LISTENING = /^listening (\d+)$/m;
// PHP's built-in server on stderr: "[date] PHP 8.2.36 Development Server (http://127.0.0.1:41235) started".
const PHP_STARTED = /Development Server \(http:\/\/127\.0\.0\.1:(\d+)\) started/;

/** `php -S` with a front controller; `-q` leaves out its line per request. Its own pid, no workers. */
function phpOrigin(key, file) {
  return { key, command: "php", args: ["-q", "-S", "127.0.0.1:0", here(file)], ready: PHP_STARTED };
}

const ORIGINS = [
  { key: "expressOriginPort", command: process.execPath, args: [here("express-origin.mjs")] },
  { key: "javaLikeOriginPort", command: process.execPath, args: [here("java-like-origin.mjs")] },
  // Debian's python, which sees python3-flask (the `python3` on PATH may be another one).
  { key: "flaskOriginPort", command: "/usr/bin/python3", args: [here("flask_origin.py")] },
  { key: "railsOriginPort", command: "ruby", args: [here("rails_origin.rb")] },
  phpOrigin("laravelOriginPort", "laravel_origin.php"),
  phpOrigin("symfonyOriginPort", "symfony_origin.php"),
];

const READY_TIMEOUT_MS = 30_000;

/** Spawns one origin and resolves with its port once it says it is listening. */
function start({ key, command, args, ready: readyLine = LISTENING }) {
  // Each runs from origins/, which PHP's built-in server takes as its document root.
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], cwd: fileURLToPath(new URL("./origins/", import.meta.url)) });
  let output = "";
  const ready = new Promise((resolve, reject) => {
    const fail = (why) => reject(new Error(`differential origin ${key} (${command} ${args.join(" ")}) ${why}\n${output}`));
    const timer = setTimeout(() => fail(`did not say ${readyLine} in ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    const collect = (chunk) => {
      output += chunk;
      const match = readyLine.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", (error) => (clearTimeout(timer), fail(`could not start: ${error.message}`)));
    child.on("exit", (code, signal) => (clearTimeout(timer), fail(`exited early (code ${code}, signal ${signal})`)));
  });
  return { key, child, ready };
}

/** Ends one origin we started, by its own pid, and waits until it is gone. */
function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => (clearTimeout(force), resolve()));
    child.kill("SIGTERM");
  });
}

export default async function setup({ provide }) {
  const started = ORIGINS.map(start);
  try {
    const ports = await Promise.all(started.map((origin) => origin.ready));
    started.forEach((origin, index) => provide(origin.key, ports[index]));
  } catch (error) {
    await Promise.all(started.map((origin) => stop(origin.child)));
    throw error;
  }
  return async function teardown() {
    await Promise.all(started.map((origin) => stop(origin.child)));
  };
}
