// Preloaded into a bot process by the benches (node --import ./bench/lib/probe.mjs …): the event-loop delay
// histogram and memory figures of that process, read over the IPC channel the bench opened. Plain JavaScript so
// it loads the same way under dist/ and tsx. It changes nothing in the app; without an IPC channel it does nothing.
import { monitorEventLoopDelay } from 'node:perf_hooks';

if (process.send) {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const toMs = (ns) => Math.round(ns / 1e4) / 100;
  process.on('message', (message) => {
    if (!message || message.probe !== 'read') return;
    const memory = process.memoryUsage();
    process.send({
      probe: 'stats',
      id: message.id,
      lagMs: { p50: toMs(delay.percentile(50)), p99: toMs(delay.percentile(99)), max: toMs(delay.max), mean: toMs(delay.mean) },
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      // Peak resident set of the process so far (resourceUsage reports kilobytes).
      maxRss: process.resourceUsage().maxRSS * 1024,
      // CPU time of the process so far (user + system), in ms: per-request cost that does not depend on other load.
      cpuMs: (() => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; })(),
    });
    if (message.reset) delay.reset();
  });
  // The probe must never be what keeps the process alive.
  process.channel?.unref();
}
