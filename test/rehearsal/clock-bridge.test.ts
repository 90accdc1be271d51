// The clock bridge shifts only the timestamps a client sends and reads, so that a CLI on the wall
// clock sees a time-scaled stand-in as a real client sees AWS: "now" is its own now.
import { describe, expect, it } from 'vitest';
import { createServer, request } from 'node:http';
import { scaledBridgeClock, shiftEventsRequest, shiftEventsResponse, shiftMetricRequest, shiftMetricResponse, startClockBridge } from '../../scripts/demo/clock-bridge.js';

const HOUR = 3_600_000;

describe('clock bridge', () => {
  it('moves a GetMetricData window to the stand-in clock and its datapoints back, keeping their spacing', () => {
    const sent = shiftMetricRequest(JSON.stringify({ StartTime: 1_000, EndTime: 1_480, MetricDataQueries: [{ Id: 'lag' }] }), 5 * HOUR);
    expect(JSON.parse(sent)).toEqual({ StartTime: 1_000 + 18_000, EndTime: 1_480 + 18_000, MetricDataQueries: [{ Id: 'lag' }] });
    const back = JSON.parse(shiftMetricResponse(JSON.stringify({ MetricDataResults: [{ Id: 'lag', Timestamps: [19_420, 19_360], Values: [0, 0] }] }), 5 * HOUR));
    expect(back.MetricDataResults[0]).toEqual({ Id: 'lag', Timestamps: [1_420, 1_360], Values: [0, 0] });
  });

  it('moves DescribeEvents times in and maps event dates to the wall-clock instant they happened', () => {
    const body = shiftEventsRequest('Action=DescribeEvents&StartTime=2026-11-22T02%3A00%3A00.000Z&Version=2014-10-31', HOUR);
    expect(new URLSearchParams(body).get('StartTime')).toBe('2026-11-22T03:00:00.000Z');
    expect(new URLSearchParams(body).get('Action')).toBe('DescribeEvents');
    const xml = shiftEventsResponse('<Event><Date>2026-11-22T10:00:00.000Z</Date></Event>', (t) => t - 2 * HOUR);
    expect(xml).toBe('<Event><Date>2026-11-22T08:00:00.000Z</Date></Event>');
  });

  it('inverts a scaled clock: an instant n scaled ms ago happened n/scale wall ms ago', () => {
    const standin = { now: () => Date.now() + 10 * HOUR, timeScale: 1200 };
    const clock = scaledBridgeClock(standin);
    expect(Math.round(clock.offsetMs() / 1000)).toBe(36_000);
    const wall = clock.toWallClock(standin.now() - 1200 * 1000);
    expect(Math.abs(wall - (Date.now() - 1000))).toBeLessThan(50);
  });

  it('forwards everything else byte for byte', async () => {
    const upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c)).on('end', () => res.end(JSON.stringify({ method: req.method, url: req.url, target: req.headers['x-amz-target'] ?? null, body })));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const port = (upstream.address() as { port: number }).port;
    const bridge = await startClockBridge(`http://127.0.0.1:${port}`, { offsetMs: () => HOUR, toWallClock: (t) => t });
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const u = new URL(bridge.endpoint);
        const req = request({ host: u.hostname, port: u.port, method: 'POST', path: '/?x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c)).on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end('Action=DescribeDBClusters&StartTime=keep-me');
      });
      expect(JSON.parse(answer)).toEqual({ method: 'POST', url: '/?x=1', target: null, body: 'Action=DescribeDBClusters&StartTime=keep-me' });
      expect(bridge.shifted).toBe(0);
    } finally {
      await bridge.close();
      await new Promise((r) => upstream.close(r));
    }
  });
});
