// A small control API on the stand-in's own port, for child-process tests and the rehearsal, where
// the stand-in runs in another process: unsigned requests under /_standin/ (never valid S3 bucket
// names, so no clash with S3 paths).
//   GET  /_standin/calls                → { byOperation, byResource, records }
//   GET  /_standin/clock                → { now, iso }
//   POST /_standin/clock/advance?ms=N   → moves stand-in time forward
//   POST /_standin/faults               ← { throttle?, fail?, lagNeverConverges?, fallingFreeStorage?, metricGaps?, rateLimit?, clear? }
//                                          (rateLimit: "aws" | "off" | { rds: { burst, perSecond }, … })
//   POST /_standin/export-outcome       ← ExportOutcome
//   POST /_standin/seed                 ← StandinSeed
//   GET  /_standin/sns/messages         → { messages: [{ messageId, topicArn, subject, message, at }] }
//   GET  /_standin/route53/record?name=N&type=CNAME → the record set ({ name, type, ttl, values }) or 404
import type { StandinRequest, StandinResponse } from './http-types.js';
import type { StandinClock } from './clock.js';
import type { CallLog } from './calls.js';
import type { Faults, FailureFault, MetricGapFault, ThrottleFault } from './faults.js';
import type { ExportOutcome } from './rds-model.js';
import { parseRateLimit } from './rate-limit.js';
import type { Route53World } from './route53.js';
import type { SnsWorld } from './sns.js';

export interface ControlDeps {
  clock: StandinClock;
  calls: CallLog;
  faults: Faults;
  setExportOutcome(outcome: ExportOutcome): void;
  seed(seed: unknown): void;
  route53?: Route53World;
  sns?: SnsWorld;
}

export function isControlRequest(req: StandinRequest): boolean {
  return req.path.startsWith('/_standin/') && req.headers.authorization === undefined;
}

const json = (status: number, value: unknown): StandinResponse => ({
  status,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(value),
});

export function handleControl(deps: ControlDeps, req: StandinRequest): StandinResponse {
  const route = `${req.method.toUpperCase()} ${req.path}`;
  try {
    const body = req.body.length ? JSON.parse(req.body.toString('utf8')) : {};
    switch (route) {
      case 'GET /_standin/calls':
        return json(200, {
          byOperation: deps.calls.byOperation(),
          byResource: deps.calls.byResource(),
          records: deps.calls.records,
        });
      case 'GET /_standin/clock':
        return json(200, { now: deps.clock.now(), iso: new Date(deps.clock.now()).toISOString() });
      case 'POST /_standin/clock/advance': {
        const ms = Number(req.query.get('ms') ?? body.ms);
        deps.clock.advance(ms);
        return json(200, { now: deps.clock.now(), iso: new Date(deps.clock.now()).toISOString() });
      }
      case 'POST /_standin/faults': {
        const f = body as {
          clear?: boolean;
          seed?: number;
          throttle?: ThrottleFault;
          fail?: FailureFault | FailureFault[];
          lagNeverConverges?: number | boolean;
          fallingFreeStorage?: { instanceId?: string; bytesPerMinute: number };
          metricGaps?: MetricGapFault;
          rateLimit?: unknown;
        };
        if (f.clear) deps.faults.clear();
        if (f.seed !== undefined) deps.faults.seed(f.seed);
        if (f.throttle) deps.faults.throttle(f.throttle.rate, f.throttle);
        for (const fail of f.fail === undefined ? [] : Array.isArray(f.fail) ? f.fail : [f.fail])
          deps.faults.fail(fail);
        if (f.lagNeverConverges)
          deps.faults.lagNeverConverges(typeof f.lagNeverConverges === 'number' ? f.lagNeverConverges : undefined);
        if (f.fallingFreeStorage)
          deps.faults.fallingFreeStorage(f.fallingFreeStorage.bytesPerMinute, {
            instanceId: f.fallingFreeStorage.instanceId,
          });
        if (f.metricGaps) deps.faults.metricGaps(f.metricGaps);
        if (f.rateLimit !== undefined) deps.faults.rateLimit(parseRateLimit(f.rateLimit));
        return json(200, { ok: true, ...(deps.faults.rateLimits ? { rateLimit: deps.faults.rateLimits } : {}) });
      }
      case 'POST /_standin/export-outcome':
        deps.setExportOutcome(body as ExportOutcome);
        return json(200, { ok: true });
      case 'GET /_standin/sns/messages':
        return json(200, { messages: deps.sns?.messages ?? [] });
      case 'GET /_standin/route53/record': {
        const record = deps.route53?.record(req.query.get('name') ?? '', req.query.get('type') ?? 'CNAME');
        return record ? json(200, record) : json(404, { error: `no such record ${req.query.get('name')}` });
      }
      case 'POST /_standin/seed':
        deps.seed(body);
        return json(200, { ok: true });
      default:
        return json(404, { error: `unknown stand-in control route ${route}` });
    }
  } catch (err) {
    return json(400, { error: err instanceof Error ? err.message : String(err) });
  }
}
