// Two more characters that draw nothing are invisible to the name rules and dropped from
// the name keys (src/contract/name-rules.ts, INVISIBLE): the musical null notehead
// (U+1D159) and the Khitan small script filler (U+16FE4). A name saved with one keyed apart
// from the same name without it, so "Acme Managed IT" and "Acme Managed IT" + U+1D159 could
// both be companies, drawn alike. The keys are recomputed as migration 0020 recomputes
// them, from src/shared/text.ts as it is now: only rows whose keys change are written, and
// where names now collide the oldest keeps its key and the later ones are flagged (0020).
export { up } from './0020_saved_form_keys.ts';
