/**
 * An id no row has (ids are random UUIDs, never this one). A read that must cost the same
 * whether a name exists looks up this id when it does not, instead of skipping the lookup,
 * so neither the answer nor its time tells which names exist; sealed values use it for
 * "none" so that their length says nothing either.
 */
export const NO_SUCH_ID = '00000000-0000-0000-0000-000000000000';
