/** Busy, error and success state of one form, so every form reports the same way. */
import { untrack } from 'svelte';
import { ApiError } from '../api';
import { errorMessage } from '../i18n/i18n.svelte';

export class FormState {
  busy = $state(false);
  /** The last failure; its message is derived so that it follows the interface language. */
  failure = $state<unknown>(null);
  /** A success message, as a function so that it follows the interface language too. */
  success = $state<(() => string) | null>(null);

  get error(): string {
    return this.failure === null ? '' : errorMessage(this.failure);
  }

  get done(): string {
    return this.success === null ? '' : this.success();
  }

  /** True when the last failure is a validation error about this field. */
  invalid(field: string): boolean {
    return this.failure instanceof ApiError && this.failure.field === field;
  }

  /** The error code of the last failure, if it came from the API. */
  get code(): string | null {
    return this.failure instanceof ApiError ? this.failure.code : null;
  }

  reset(): void {
    this.failure = null;
    this.success = null;
  }

  /** Runs an action, recording its failure; resolves to its result or undefined on failure. */
  async run<T>(action: () => Promise<T>): Promise<T | undefined> {
    // Reading `busy` must not make a caller's effect depend on it (it would run again when done).
    if (untrack(() => this.busy)) return undefined;
    this.busy = true;
    this.reset();
    try {
      return await action();
    } catch (error) {
      this.failure = error;
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  /** Records a failure found before calling the API (for example two passwords that differ). */
  fail(error: unknown): void {
    this.success = null;
    this.failure = error;
  }
}

export { LocalError } from '../i18n/i18n.svelte';
