import { ValidationError } from "../../src/errors.js";

/** Runs `fn` and returns the ValidationError it throws; fails the test if it throws nothing or something else. */
export function validationErrorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error("expected a ValidationError");
}
