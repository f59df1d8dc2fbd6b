// The metrics door: Prometheus metrics for one Gatehouse node (docs/OPERATIONS.md, Metrics).
export { openMetrics, type Metrics } from './metrics.ts';
export { exposition, metricsRoute, timeProviderRequest, timeRequests } from './http.ts';
