import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../ops/logger.js';
import { RunTracer } from './run-tracer.js';

export interface Tracing {
  runs: RunTracer;
  /** Ends open run spans, exports everything still buffered, and stops the exporter. */
  shutdown(): Promise<void>;
}

type ExportCallback = Parameters<SpanExporter['export']>[1];

/**
 * Export failures are otherwise only reported through OpenTelemetry's diag logger (silent unless a global one
 * is set): this says once when the receiver stops taking spans, and once when it takes them again.
 */
function loggingExporter(inner: SpanExporter, url: string, logger: Logger): SpanExporter {
  let failing = false;
  return {
    export(spans, done: ExportCallback) {
      inner.export(spans, (result) => {
        // ExportResultCode.SUCCESS is 0 (@opentelemetry/core; not a direct dependency).
        const ok = result.code === 0;
        if (!ok && !failing) logger.warn({ err: result.error, url, spans: spans.length }, 'traces could not be exported; they are dropped until the receiver answers');
        if (ok && failing) logger.info({ url }, 'traces are exported again');
        failing = !ok;
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    ...(inner.forceFlush ? { forceFlush: () => inner.forceFlush!() } : {}),
  };
}

/**
 * OTEL_EXPORTER_OTLP_ENDPOINT set: spans go to `<endpoint>/v1/traces` as OTLP/JSON over HTTP, batched.
 * The URL and headers come from Config (only src/config reads the environment). The provider is not
 * registered globally: spans are made only by RunTracer, with explicit parents.
 */
export function createTracing(settings: NonNullable<Config['telemetry']['tracing']>, logger: Logger): Tracing {
  const exporter = new OTLPTraceExporter({ url: settings.tracesUrl, headers: settings.headers });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }),
    spanProcessors: [new BatchSpanProcessor(loggingExporter(exporter, settings.tracesUrl, logger))],
  });
  const runs = new RunTracer(provider.getTracer('slack-assistant'));
  logger.info({ url: settings.tracesUrl }, 'tracing runs to the OTLP endpoint');
  return {
    runs,
    async shutdown() {
      runs.endAll();
      await provider.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'trace exporter did not shut down cleanly'));
    },
  };
}
