import { expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { isLoopback } from '../../src/ops/client-address.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => [p.variable, p.problem]);
    throw error;
  }
  return [];
};

test('no telemetry variables: /metrics on PORT for loopback, no tracing', () => {
  expect(loadConfig({}).telemetry).toEqual({ metrics: {}, tracing: null });
});

test('OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: /v1/traces is added, as the OpenTelemetry spec says', () => {
  const tracesUrl = (endpoint: string) => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }).telemetry.tracing?.tracesUrl;
  expect(tracesUrl('http://localhost:4318')).toBe('http://localhost:4318/v1/traces');
  expect(tracesUrl('http://localhost:4318/')).toBe('http://localhost:4318/v1/traces');
  expect(tracesUrl('https://cloud.langfuse.com/api/public/otel')).toBe('https://cloud.langfuse.com/api/public/otel/v1/traces');
  expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' }).telemetry.tracing?.serviceName).toBe('slack-assistant');
  expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' })).toEqual([['OTEL_EXPORTER_OTLP_ENDPOINT', expect.any(String)]]);
});

test('OTEL_EXPORTER_OTLP_HEADERS: key=value pairs, percent-decoded, and treated as secrets', () => {
  const config = loadConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'https://cloud.langfuse.com/api/public/otel',
    OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20cGs6c2s=, x-extra=a%2Cb',
  });
  expect(config.telemetry.tracing?.headers).toEqual({ Authorization: 'Basic cGs6c2s=', 'x-extra': 'a,b' });
  expect(config.secrets).toContain('Basic cGs6c2s=');
  expect(problemsOf({ OTEL_EXPORTER_OTLP_HEADERS: 'just-a-key' })).toEqual([['OTEL_EXPORTER_OTLP_HEADERS', 'must be key=value pairs separated by commas']]);
  expect(problemsOf({ OTEL_EXPORTER_OTLP_HEADERS: 'k=%E0%A4%A' })).toEqual([['OTEL_EXPORTER_OTLP_HEADERS', 'has a badly percent-encoded value']]);
});

test('METRICS_TOKEN is a secret of at least 16 characters; METRICS_PORT must differ from PORT', () => {
  const config = loadConfig({ METRICS_TOKEN: 'a-long-enough-token', METRICS_PORT: '9464' });
  expect(config.telemetry.metrics).toEqual({ token: 'a-long-enough-token', port: 9464 });
  expect(config.secrets).toContain('a-long-enough-token');
  expect(problemsOf({ METRICS_TOKEN: 'short' })).toEqual([['METRICS_TOKEN', 'must be at least 16 characters']]);
  expect(problemsOf({ METRICS_PORT: '3000' })).toEqual([['METRICS_PORT', expect.stringMatching(/same as PORT/)]]);
  expect(problemsOf({ METRICS_PORT: '0', PORT: '0' })).toEqual([]);
});

test('loopback: 127.0.0.0/8 and ::1, also IPv4-mapped; nothing else', () => {
  for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopback(address), address).toBe(true);
  for (const address of ['192.0.2.2', '::ffff:10.0.0.1', '10.127.0.1', 'fe80::1', '', undefined]) expect(isLoopback(address), String(address)).toBe(false);
});
