// The metrics door: Prometheus metrics for one Gatehouse node (docs/OPERATIONS.md, Metrics).
export { createMetrics, type Metrics } from './registry.ts';
export { metricsListener, metricsRoute, timeRequests } from './http.ts';
