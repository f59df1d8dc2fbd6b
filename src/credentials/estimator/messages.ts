// What the main thread and the estimator's thread say to each other.
export interface EstimateRequest {
  id: number;
  password: string;
  context: string[];
}

export type EstimateReply = { id: number; score: number; warning: string } | { id: number; failed: string };
