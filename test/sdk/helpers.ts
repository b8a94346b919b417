/** Assertions shared by the Parse JS SDK suites. */
import { expect } from 'chai';
import { Parse } from '../support/parse-sdk.js';

/** What the SDK rejects with: a Parse.Error (its typings describe `code`, `object` and `errors`). */
export type SdkError = InstanceType<typeof Parse.Error>;
/** A Parse.Object instance of any class. */
export type SdkObject = InstanceType<typeof Parse.Object>;

/**
 * Awaits an SDK call that the server must refuse with `code`; returns the Parse.Error so that its
 * message can be checked too. A success, another error type or another code fails the test.
 */
export async function expectParseError(operation: Promise<unknown>, code: number): Promise<SdkError> {
  const outcome = await operation.then(
    (value: unknown) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) {
    const shown =
      outcome.value instanceof Parse.Object ? JSON.stringify(outcome.value.toJSON()) : JSON.stringify(outcome.value);
    expect.fail(`expected Parse.Error ${code}, but the call succeeded with ${shown}`);
  }
  const { error } = outcome;
  expect(error, String(error)).to.be.instanceOf(Parse.Error);
  const parseError = error as SdkError;
  expect(parseError.code, parseError.message).to.equal(code);
  return parseError;
}

/** Narrows a value read from an object to a Date (failing the test otherwise). */
export function asDate(value: unknown): Date {
  expect(value).to.be.instanceOf(Date);
  return value as Date;
}

/** Narrows a value read from an object to a Parse.Object (failing the test otherwise). */
export function asParseObject(value: unknown): SdkObject {
  expect(value).to.be.instanceOf(Parse.Object);
  return value as SdkObject;
}

/** Narrows a value read from an object to an array. */
export function asArray(value: unknown): unknown[] {
  expect(value).to.be.an('array');
  return value as unknown[];
}

/** Narrows a value read from an object to a plain record. */
export function asRecord(value: unknown): Record<string, unknown> {
  expect(value).to.be.an('object');
  expect(value).not.to.be.an('array');
  return value as Record<string, unknown>;
}

/** The ids of SDK objects, in order. */
export function idsOf(objects: readonly SdkObject[]): (string | undefined)[] {
  return objects.map((o) => o.id);
}

/** A class name no other test uses, so every test starts with an empty class. */
let counter = 0;
export function uniqueClass(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** An unfetched reference to `className/objectId` (the SDK's `createWithoutData` needs a subclass). */
export function withoutData(className: string, objectId: string): SdkObject {
  const object = new Parse.Object(className);
  object.id = objectId;
  return object;
}
