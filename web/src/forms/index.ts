// Forms: @mantine/form with the contract's zod schemas, and the rules for their errors.
export { clearEdited, editedFields, firstPerField, formErrors } from './errors';
export { useSubmissionKey } from './submissionKey';
export { useApiForm } from './useApiForm';
