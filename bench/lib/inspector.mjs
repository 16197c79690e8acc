// A minimal client for workerd's V8 inspector (Chrome DevTools Protocol over WebSocket), used
// to force a full garbage collection in one worker's isolate and read its heap usage. V8 grows
// its heap lazily while memory is plentiful, so resident memory alone says more about recent
// garbage than about what the worker keeps alive; after a forced GC, `usedSize` is what it keeps.

/**
 * Connects to the isolate of `workerName` (target title "workerd: worker core:user:<name>").
 * workerd sometimes handles an inspector message only when the isolate next runs a request, so
 * `nudge` (a cheap request to that worker) is called every 100 ms while an answer is due.
 */
export async function connectInspector(port, workerName, nudge) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const target = targets.find((candidate) => candidate.title.endsWith(`core:user:${workerName}`));
  if (!target) throw new Error(`no inspector target for ${workerName}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", () => reject(new Error("inspector connection failed")), { once: true });
  });
  let nextId = 0;
  const pending = new Map();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data));
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        pending.delete(id);
        clearInterval(nudging);
        reject(new Error(`inspector ${method} timed out`));
      }, 30_000);
      const nudging = setInterval(() => void nudge().catch(() => {}), 100);
      pending.set(id, (message) => {
        clearTimeout(timer);
        clearInterval(nudging);
        if (message.error) reject(new Error(`inspector ${method}: ${message.error.message}`));
        else resolve(message.result);
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    send,
    /** Full GC, then the isolate's V8 heap in MiB: used (live objects) and total (reserved). */
    async heapAfterGcMiB() {
      await send("HeapProfiler.collectGarbage");
      const usage = await send("Runtime.getHeapUsage");
      return { usedMiB: usage.usedSize / 1048576, totalMiB: usage.totalSize / 1048576 };
    },
    close: () => socket.close(),
  };
}
