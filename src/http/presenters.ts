// Response shaping lives in src/presenters, shared with the CLI.
export { iso, sessionView } from '../presenters/index.ts';
