import { expect } from 'vitest';
import parsePrometheusTextFormat, { type PromFamily, type PromSample } from 'parse-prometheus-text-format';

/** GET /metrics, parsed with a Prometheus text-format parser (fails the test on anything but 200). */
export async function scrape(url: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const response = await fetch(url, { headers });
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Scrape(await response.text());
}

/**
 * One scrape, parsed twice by parse-prometheus-text-format 1.1.1: as it is (families, types, counters and
 * gauges), and with histograms declared untyped. The parser drops _sum and _count of histograms that have
 * labels (yunyu/parse-prometheus-text-format#13, open); untyped, each _bucket/_sum/_count series is read with
 * its labels and value.
 */
export class Scrape {
  readonly families: PromFamily[];
  private readonly series: PromFamily[];

  constructor(readonly text: string) {
    this.families = parsePrometheusTextFormat(text);
    this.series = parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped'));
  }

  family(name: string): PromFamily | undefined {
    return this.families.find((f) => f.name === name);
  }

  /** Samples whose labels include all of `labels`. */
  samples(name: string, labels: Record<string, string> = {}, from: PromFamily[] = this.families): PromSample[] {
    return (from.find((f) => f.name === name)?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => (m.labels ?? {})[k] === v));
  }

  /** Sum of the matching samples' values (counters, gauges); 0 when none match. */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples(name, labels).reduce((n, m) => n + Number(m.value), 0);
  }

  /** Count and sum of the matching series of a histogram (summed over the series that match). */
  histogram(name: string, labels: Record<string, string> = {}): { count: number; sum: number } {
    expect(this.family(name)?.type, `${name} is a histogram`).toBe('HISTOGRAM');
    const total = (suffix: string) => this.samples(`${name}_${suffix}`, labels, this.series).reduce((n, m) => n + Number(m.value), 0);
    return { count: total('count'), sum: total('sum') };
  }
}
