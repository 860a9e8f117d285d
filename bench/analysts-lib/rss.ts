/** This process's resident set: sampled while a phase runs (its peak in that phase), and the lifetime peak. */
export function sampleOwnRss(everyMs = 50): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, everyMs);
  return { stop() { clearInterval(timer); return Math.max(peak, process.memoryUsage.rss()); } };
}

/** Peak RSS since the process started, in bytes (getrusage ru_maxrss: it also sees peaks the sampler missed while
 *  the event loop was blocked, e.g. inside a PGlite query). */
export function lifetimePeakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
