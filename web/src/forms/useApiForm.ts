import { schemaResolver, useForm, type FormErrors } from '@mantine/form';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import { ApiError, type FieldErrors } from '../api';
import { useFocusFirstInvalid } from '../hooks/useFocusFirstInvalid';
import { typedInputSettled, watchTypedInput } from '../session/typedInput';
import { clearEdited, editedFields, firstPerField, formErrors } from './errors';
import { useSubmissionKey } from './submissionKey';

interface ApiFormOptions<Values, Output> {
  initialValues: Values;
  /** The contract's rules for these fields; checked before sending, one message per field. */
  schema?: z.ZodType<Output, Values>;
  /** Checks beyond the schema (a company's password rule, limits the server sent). */
  check?: (values: Values) => FieldErrors;
  /** Error codes without `fields` that belong under one input (e.g. a taken name). */
  codeToField?: Record<string, string>;
  /** The mapped code's message replaces the field's own words (see formErrors). */
  codeMessageWins?: boolean;
  /** Fields whose message goes stale when another one is edited (confirm with password). */
  linked?: Record<string, string[]>;
}


const asApiError = (error: unknown) => {
  if (error instanceof ApiError) return error;
  console.error(error);
  return new ApiError(0, 'client.unexpected', 'Something went wrong. Try again.');
};

/**
 * A form on @mantine/form with the contract's zod schema and the API's errors: a failed
 * check or a refused request puts each message under its field (one per field) and the
 * rest in `summary`; editing a field removes its message (and the summary) at once, and
 * focus moves to the first field in error so a screen reader reads its message.
 *
 * Each submission carries an Idempotency-Key for the creates that take one (`send`'s
 * second argument): the same key while the same values are sent again after an answer that
 * never came, so the server answers the first result instead of doing it twice; a new one
 * for anything else.
 */
export function useApiForm<Values extends Record<string, unknown>, Output = Values>({
  initialValues,
  schema,
  check,
  codeToField,
  codeMessageWins,
  linked,
}: ApiFormOptions<Values, Output>) {
  const bySchema = schema ? schemaResolver(schema, { sync: true }) : () => ({});
  // One message per field: the schema's first, then the extra check's.
  const validate = (values: Values) => firstPerField(bySchema(values) as FieldErrors, check?.(values) ?? {});
  const [summary, setSummary] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const ref = useRef<HTMLFormElement>(null);
  const sending = useRef(false);
  // The form calls this before it exists in this scope; a ref bridges the two.
  const setErrorsRef = useRef<(update: (current: FormErrors) => FormErrors) => void>(() => {});

  const linkedRef = useRef(linked);
  linkedRef.current = linked;
  // Stable, so the form's own setters stay stable for effects that call them.
  const onValuesChange = useCallback((values: Values, previous: Values) => {
    const edited = editedFields(previous, values);
    if (edited.length === 0) return;
    setErrorsRef.current((current) => clearEdited(current, edited, linkedRef.current));
    setSummary(null);
  }, []);

  const form = useForm<Values>({
    mode: 'controlled',
    initialValues,
    validate,
    // Cleared in onValuesChange instead: list items and linked fields go too.
    clearInputErrorOnChange: false,
    onValuesChange,
  });
  setErrorsRef.current = form.setErrors;
  useFocusFirstInvalid(ref, attempt);

  // What is typed and not yet saved is lost if the session ends under the page: the login
  // page then says so (session/typedInput.ts).
  useEffect(() => watchTypedInput(() => ref.current), []);

  const submissionKey = useSubmissionKey();

  const { setValues, setErrors, reset } = form;
  /** Starts afresh (a dialog opened again): these values or the first ones, and no messages. */
  const restart = useCallback(
    (values?: Values) => {
      if (values) setValues(values);
      else reset();
      setErrors({});
      setSummary(null);
      typedInputSettled(ref.current);
    },
    [setValues, setErrors, reset],
  );

  /** Shows an API error as this form's: under its fields, or in the summary. */
  const showError = (error: ApiError) => {
    const { fields, summary: rest } = formErrors(error, codeToField, { codeMessageWins });
    form.setErrors(fields);
    setSummary(rest);
    setAttempt((n) => n + 1);
  };

  /**
   * The form's onSubmit: checks the schema, then sends the checked (trimmed) values.
   * `handle` may claim an error (return true) to deal with it itself.
   */
  const submit = <T>(
    send: (values: Output, idempotencyKey: string) => Promise<T>,
    done: (result: T, values: Output) => void,
    handle?: (error: ApiError) => boolean,
  ) => {
    const onSubmit = form.onSubmit(
      async (values) => {
        setSummary(null);
        const checked = schema ? schema.parse(values) : (values as unknown as Output);
        const key = submissionKey.keyFor(checked);
        let result: T;
        sending.current = true;
        try {
          result = await send(checked, key);
        } catch (caught) {
          const error = asApiError(caught);
          submissionKey.answered(error);
          if (!handle?.(error)) showError(error);
          return;
        } finally {
          sending.current = false;
        }
        submissionKey.answered();
        typedInputSettled(ref.current);
        done(result, checked);
      },
      () => {
        setSummary(null);
        setAttempt((n) => n + 1);
      },
    );
    // One request at a time: the busy button is disabled once React has drawn it, and a
    // second submit before that (two in one tick) is dropped here, so the same answer is
    // never sent twice by this form.
    return (event?: FormEvent<HTMLFormElement>) => {
      if (!sending.current) return onSubmit(event);
      event?.preventDefault();
    };
  };

  return { form, ref, summary, pending: form.submitting, submit, showError, restart };
}
