// The lean histogram reports exactly what prom-client's Histogram reports for the same
// observations: the same Prometheus text, and the same once the workers' are summed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { fastHistogram } from './histogram.ts';

test('the exposition and the workers aggregate are prom-client histogram output, byte for byte', async () => {
  const reference = new Registry();
  const ours = new Registry();
  const options = { name: 'gatehouse_test_seconds', help: 'test', labelNames: ['kind', 'failed'] as const, buckets: [0.001, 0.01, 0.1, 1] };
  const histogram = new Histogram({ ...options, registers: [reference] });
  const fast = fastHistogram({ ...options, registry: ours });
  // On a bound, between bounds, above every bound, and two label sets.
  const observations = [['select', 0.0005], ['select', 0.001], ['insert', 0.05], ['select', 2], ['insert', 0.1], ['select', 0.0011]] as const;
  for (const [kind, seconds] of observations) {
    histogram.observe({ kind, failed: 'false' }, seconds);
    fast.observe({ kind, failed: 'false' }, seconds);
  }
  assert.equal(await ours.metrics(), await reference.metrics());
  const summed = async (registry: Registry) => AggregatorRegistry.aggregate([await registry.getMetricsAsJSON(), await registry.getMetricsAsJSON()]).metrics();
  assert.equal(await summed(ours), await summed(reference));
});
