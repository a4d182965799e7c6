// GET /metrics in the Prometheus text format, without a token: it shows counts and timings,
// never a value a caller sent. SEQMETA_METRICS=false leaves it out (src/server.ts). Each
// completed request to /graphql is counted here; what GraphQL made of it comes from
// plugins/operationObserver.ts.
import type { Express } from 'express';
import { operationOutcome } from '../../plugins/operationObserver.ts';
import type { Metrics } from '../metrics.ts';

export function installMetrics(app: Express, metrics: Metrics): void {
  app.use('/graphql', (request, response, next) => {
    const started = process.hrtime.bigint();
    response.once('close', () => {
      const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.recordGraphQLRequest({ ...operationOutcome(request, response), status: response.statusCode, durationSeconds });
    });
    next();
  });
  app.get('/metrics', async (_request, response, next) => {
    try {
      const text = await metrics.scrape();
      response.set('content-type', metrics.contentType).send(text);
    } catch (error) {
      next(error);
    }
  });
}
