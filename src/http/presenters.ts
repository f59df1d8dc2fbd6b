// Response shaping lives in src/presenters, shared with the CLI.
export { iso } from '../presenters/index.ts';
