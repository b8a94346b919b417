import { expect } from 'chai';
import { HookObject } from '../../lib/cloud/hook-object.js';
import { RateLimiter } from '../../lib/cloud/rate-limit.js';
import {
  checkValidator,
  prepareValidator,
  type PreparedValidator,
  type ValidationTarget,
  type Validator,
} from '../../lib/cloud/validator.js';
import { BackendConfigError, BackendError } from '../../lib/errors/backend-error.js';
import { ErrorCode } from '../../lib/errors/error-codes.js';

type Json = Record<string, unknown>;

function userWith(fields: Json): { get(key: string): unknown } {
  return { get: (key) => fields[key] };
}

function target(overrides: Partial<ValidationTarget> = {}): ValidationTarget {
  return { master: false, user: undefined, roles: [], data: {}, updating: false, rateKey: '10.0.0.1', ...overrides };
}

/** A stand-in object that records what the validator does to it. */
function fakeObject(): { calls: string[]; set(key: string, value: unknown): void; revert(key: string): void } {
  const calls: string[] = [];
  return {
    calls,
    set: (key, value) => void calls.push(`set ${key}=${JSON.stringify(value)}`),
    revert: (key) => void calls.push(`revert ${key}`),
  };
}

function prepared(validator: Validator): PreparedValidator {
  const result = prepareValidator('define(test)', validator);
  if (result === undefined) throw new Error('expected a prepared validator');
  return result;
}

async function refusal(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(BackendError);
    return err as BackendError;
  }
  expect.fail('expected the validator to refuse');
}

async function expectRefused(
  promise: Promise<unknown>,
  message: string,
  code: number = ErrorCode.VALIDATION_ERROR,
): Promise<BackendError> {
  const err = await refusal(promise);
  expect(err.message).to.equal(message);
  expect(err.code).to.equal(code);
  return err;
}

function configProblems(validator: unknown): readonly string[] {
  try {
    checkValidator('define(test)', validator);
  } catch (err) {
    expect(err).to.be.instanceOf(BackendConfigError);
    return (err as BackendConfigError).problems;
  }
  return [];
}

describe('Cloud validators', () => {
  describe('checkValidator (registration)', () => {
    it('accepts no validator, a function, and every supported option', () => {
      expect(configProblems(undefined)).to.deep.equal([]);
      expect(configProblems(() => undefined)).to.deep.equal([]);
      expect(
        configProblems({
          requireUser: true,
          requireMaster: false,
          validateMasterKey: true,
          skipWithMasterKey: false,
          requireAnyUserRoles: ['admin'],
          requireAllUserRoles: () => ['a', 'b'],
          requireUserKeys: {
            age: { type: Number, required: true, options: (v: unknown) => Number(v) > 18, error: 'too young' },
          },
          fields: {
            name: { type: 'String', default: 'x', constant: true, options: ['x', 'y'] },
            when: { type: Date },
            list: { type: 'array' },
          },
          rateLimit: {
            requestTimeWindow: 1000,
            requestCount: 3,
            errorResponseMessage: 'slow down',
            includeMasterKey: true,
          },
        }),
      ).to.deep.equal([]);
      expect(configProblems({ fields: ['a', 'b'], requireUserKeys: ['c'] })).to.deep.equal([]);
    });

    it('refuses a validator that is neither an object nor a function', () => {
      class Options {
        requireUser = true;
      }
      for (const bad of [null, 'requireUser', 3, true, ['requireUser'], new Date(), new Options()]) {
        expect(configProblems(bad), String(bad)).to.deep.equal([
          'define(test): the validator must be an object of options or a function',
        ]);
      }
    });

    it('names an unknown option', () => {
      expect(configProblems({ requireUsers: true })).to.deep.equal([
        'define(test): requireUsers is not a supported validator option',
      ]);
    });

    it('checks the type of every option and lists every problem at once', () => {
      expect(
        configProblems({
          requireUser: 'yes',
          requireMaster: 1,
          validateMasterKey: null,
          skipWithMasterKey: {},
          requireAnyUserRoles: 'admin',
          requireAllUserRoles: [1],
          requireUserKeys: 'email',
          fields: [3],
          rateLimit: 10,
        }),
      ).to.deep.equal([
        'define(test): requireUser must be a boolean',
        'define(test): requireMaster must be a boolean',
        'define(test): validateMasterKey must be a boolean',
        'define(test): skipWithMasterKey must be a boolean',
        'define(test): requireAnyUserRoles must be an array of role names or a function returning one',
        'define(test): requireAllUserRoles must be an array of role names or a function returning one',
        'define(test): requireUserKeys must be an array of field names or an object of field rules',
        'define(test): fields must be an array of field names or an object of field rules',
        'define(test): rateLimit must be an object with requestTimeWindow and requestCount',
      ]);
    });

    it('checks each field rule', () => {
      expect(
        configProblems({
          fields: {
            a: 'required',
            b: { require: true },
            c: { required: 'yes', constant: 1, error: 5 },
            d: { type: RegExp },
            e: { type: 'integer' },
            g: [{ required: true }],
            h: { type: null, options: null, default: null, error: null, required: null },
          },
          requireUserKeys: { f: { typ: String } },
        }),
      ).to.deep.equal([
        'define(test): fields.a must be an object of rules (type, required, default, constant, options, error)',
        'define(test): fields.b.require is not a supported validator option',
        'define(test): fields.c.required must be a boolean',
        'define(test): fields.c.constant must be a boolean',
        'define(test): fields.c.error must be a string',
        'define(test): fields.d.type must be String, Number, Boolean, Object, Array or Date (or its name as a string)',
        'define(test): fields.e.type must be String, Number, Boolean, Object, Array or Date (or its name as a string)',
        'define(test): fields.g must be an object of rules (type, required, default, constant, options, error)',
        'define(test): requireUserKeys.f.typ is not a supported validator option',
      ]);
    });

    it('checks rateLimit', () => {
      expect(configProblems({ rateLimit: {} })).to.deep.equal([
        'define(test): rateLimit.requestTimeWindow must be a positive integer (milliseconds)',
        'define(test): rateLimit.requestCount must be a positive integer',
      ]);
      expect(
        configProblems({
          rateLimit: {
            requestTimeWindow: 0,
            requestCount: 1.5,
            errorResponseMessage: 3,
            includeMasterKey: 'no',
            redisUrl: 'x',
          },
        }),
      ).to.deep.equal([
        'define(test): rateLimit.redisUrl is not a supported validator option',
        'define(test): rateLimit.requestTimeWindow must be a positive integer (milliseconds)',
        'define(test): rateLimit.requestCount must be a positive integer',
        'define(test): rateLimit.errorResponseMessage must be a string',
        'define(test): rateLimit.includeMasterKey must be a boolean',
      ]);
    });

    it('prepareValidator checks the validator, and returns undefined without one', () => {
      expect(prepareValidator('beforeSave(Item)', undefined)).to.equal(undefined);
      expect(() => prepareValidator('beforeSave(Item)', { requireUser: 'yes' } as unknown as Validator))
        .to.throw(BackendConfigError)
        .with.property('problems')
        .that.deep.equals(['beforeSave(Item): requireUser must be a boolean']);
    });
  });

  describe('function validators', () => {
    it('is called with the request, its return is ignored, and it runs with the master key', async () => {
      const seen: unknown[] = [];
      const validator = prepared((request: unknown) => {
        seen.push(request);
        return false;
      });
      expect(await validator.run({ id: 1 }, target())).to.equal('run');
      expect(await validator.run({ id: 2 }, target({ master: true }))).to.equal('run');
      expect(seen).to.deep.equal([{ id: 1 }, { id: 2 }]);
    });

    it('is awaited', async () => {
      let done = false;
      const validator = prepared(async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        done = true;
      });
      await validator.run({}, target());
      expect(done).to.equal(true);
    });

    it('maps what it throws to the client error', async () => {
      const throwing = (thrown: unknown): PreparedValidator =>
        prepared(() => {
          throw thrown;
        });
      await expectRefused(throwing('no way').run({}, target()), 'no way');
      await expectRefused(throwing(new Error('broken')).run({}, target()), 'broken');
      await expectRefused(
        throwing(new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'gone')).run({}, target()),
        'gone',
        ErrorCode.OBJECT_NOT_FOUND,
      );
      await expectRefused(throwing({ code: 137, message: 'dup' }).run({}, target()), 'dup', 137);
      await expectRefused(throwing(42).run({}, target()), 'Validation failed.');
      await expectRefused(throwing(undefined).run({}, target()), 'Validation failed.');
      await expectRefused(prepared(() => Promise.reject(new Error('later'))).run({}, target()), 'later');
    });
  });

  describe('master key', () => {
    it('skipWithMasterKey skips the handler with the master key only', async () => {
      const validator = prepared({ skipWithMasterKey: true, requireUser: true });
      expect(await validator.run({}, target({ master: true }))).to.equal('skip');
      await expectRefused(validator.run({}, target()), 'Validation failed. Please login to continue.');
      expect(await validator.run({}, target({ user: userWith({}) }))).to.equal('run');
    });

    it('lets the master key pass every check unless validateMasterKey', async () => {
      const options = {
        requireUser: true,
        requireAnyUserRoles: ['admin'],
        fields: ['name'],
        requireUserKeys: ['email'],
      };
      expect(await prepared(options).run({}, target({ master: true }))).to.equal('run');
      await expectRefused(
        prepared({ ...options, validateMasterKey: true }).run({}, target({ master: true })),
        'Validation failed. Please login to continue.',
      );
      await expectRefused(
        prepared({ fields: ['name'], validateMasterKey: true }).run({}, target({ master: true })),
        'Validation failed. Please specify data for name.',
      );
      expect(
        await prepared({ fields: ['name'], validateMasterKey: true }).run(
          {},
          target({ master: true, data: { name: 'x' } }),
        ),
      ).to.equal('run');
    });

    it('requireMaster refuses calls without the master key', async () => {
      const validator = prepared({ requireMaster: true });
      await expectRefused(
        validator.run({}, target({ user: userWith({}) })),
        'Validation failed. Master key is required to complete this request.',
      );
      expect(await validator.run({}, target({ master: true }))).to.equal('run');
      expect(
        await prepared({ requireMaster: true, validateMasterKey: true }).run({}, target({ master: true })),
      ).to.equal('run');
    });
  });

  describe('requireUser', () => {
    it('refuses calls without a user, and lets a user through', async () => {
      await expectRefused(
        prepared({ requireUser: true }).run({}, target()),
        'Validation failed. Please login to continue.',
      );
      expect(await prepared({ requireUser: true }).run({}, target({ user: userWith({}) }))).to.equal('run');
    });

    it('is implied by role requirements', async () => {
      await expectRefused(
        prepared({ requireAnyUserRoles: ['a'] }).run({}, target()),
        'Validation failed. Please login to continue.',
      );
      await expectRefused(
        prepared({ requireAllUserRoles: () => ['a'] }).run({}, target()),
        'Validation failed. Please login to continue.',
      );
    });

    it('is checked before requireMaster', async () => {
      await expectRefused(
        prepared({ requireUser: true, requireMaster: true }).run({}, target()),
        'Validation failed. Please login to continue.',
      );
    });
  });

  describe('fields (array form)', () => {
    it('requires each field to be neither null nor missing', async () => {
      const validator = prepared({ fields: ['a', 'b'] });
      await expectRefused(
        validator.run({}, target({ data: { b: 1 } })),
        'Validation failed. Please specify data for a.',
      );
      await expectRefused(
        validator.run({}, target({ data: { a: 1, b: null } })),
        'Validation failed. Please specify data for b.',
      );
      expect(await validator.run({}, target({ data: { a: 0, b: '' } }))).to.equal('run');
      expect(await validator.run({}, target({ data: { a: false, b: [] } }))).to.equal('run');
    });
  });

  describe('fields (rules)', () => {
    it('required', async () => {
      const validator = prepared({ fields: { a: { required: true } } });
      await expectRefused(validator.run({}, target()), 'Validation failed. Please specify data for a.');
      await expectRefused(
        validator.run({}, target({ data: { a: null } })),
        'Validation failed. Please specify data for a.',
      );
      expect(await validator.run({}, target({ data: { a: 0 } }))).to.equal('run');
      expect(await prepared({ fields: { a: { required: false } } }).run({}, target())).to.equal('run');
    });

    describe('default', () => {
      it('fills a missing or null value into the data (function params)', async () => {
        const validator = prepared({ fields: { a: { default: 5 }, b: { default: 'x' }, c: { default: 1 } } });
        const params: Json = { b: null, c: 2 };
        await validator.run({ params }, target({ data: params }));
        expect(params).to.deep.equal({ a: 5, b: 'x', c: 2 });
      });

      it('sets a missing value on the object', async () => {
        const object = fakeObject();
        await prepared({ fields: { a: { default: 5 }, c: { default: 1 } } }).run(
          {},
          target({ data: { c: 2 }, object }),
        );
        expect(object.calls).to.deep.equal(['set a=5']);
      });

      it('sets a missing value on a HookObject, also on update', async () => {
        const created = new HookObject('Item', {}, { name: 'n' });
        await prepared({ fields: { status: { default: 'new' } } }).run(
          {},
          target({ data: created.toJSON(), object: created }),
        );
        expect(created.get('status')).to.equal('new');

        const updated = new HookObject('Item', { objectId: 'a1', name: 'n' }, { name: 'm' });
        await prepared({ fields: { status: { default: 'new' } } }).run(
          {},
          target({ data: updated.toJSON(), object: updated, updating: true }),
        );
        expect(updated.changes()).to.deep.equal({ name: 'm', status: 'new' });
      });

      it('counts as the value for required, type and options', async () => {
        const validator = prepared({ fields: { a: { default: 'x', required: true, type: String, options: ['x'] } } });
        expect(await validator.run({}, target())).to.equal('run');
        await expectRefused(
          prepared({ fields: { a: { default: 'x', type: Number } } }).run({}, target()),
          'Validation failed. Invalid type for a. Expected: number',
        );
      });
    });

    describe('constant', () => {
      it('on create, the default overrides the client value', async () => {
        const object = fakeObject();
        const data: Json = { level: 9 };
        await prepared({ fields: { level: { constant: true, default: 1 } } }).run({}, target({ data, object }));
        expect(object.calls).to.deep.equal(['set level=1']);
        expect(data.level).to.equal(1);

        const hook = new HookObject('Item', {}, { level: 9 });
        await prepared({ fields: { level: { constant: true, default: 1 } } }).run(
          {},
          target({ data: hook.toJSON(), object: hook }),
        );
        expect(hook.get('level')).to.equal(1);
      });

      it('on create without a default, keeps the client value', async () => {
        const object = fakeObject();
        await prepared({ fields: { level: { constant: true } } }).run({}, target({ data: { level: 9 }, object }));
        expect(object.calls).to.deep.equal([]);
      });

      it('on update, reverts the client change (and skips the other checks for the field)', async () => {
        const object = fakeObject();
        const validator = prepared({ fields: { level: { constant: true, type: String, options: ['a'] } } });
        expect(await validator.run({}, target({ data: { level: 9 }, object, updating: true }))).to.equal('run');
        expect(object.calls).to.deep.equal(['revert level']);

        const hook = new HookObject('Item', { objectId: 'a1', level: 1 }, { level: 9, name: 'm' });
        await prepared({ fields: { level: { constant: true, default: 5 } } }).run(
          {},
          target({ data: hook.toJSON(), object: hook, updating: true }),
        );
        expect(hook.get('level')).to.equal(1);
        expect(hook.changes()).to.deep.equal({ name: 'm' });
      });

      it('does nothing without an object (function params)', async () => {
        const data: Json = { level: 9 };
        await prepared({ fields: { level: { constant: true, default: 1 } } }).run({}, target({ data, updating: true }));
        expect(data.level).to.equal(9);
      });
    });

    describe('type', () => {
      const cases: Array<[unknown, unknown, string]> = [
        [String, 'x', 'string'],
        [Number, 3, 'number'],
        [Boolean, false, 'boolean'],
        [Object, { a: 1 }, 'object'],
        [Array, [1], 'array'],
      ];
      for (const [type, good, name] of cases) {
        it(`${name}: accepts its values and refuses others`, async () => {
          expect(await prepared({ fields: { v: { type } } }).run({}, target({ data: { v: good } }))).to.equal('run');
          const bad = typeof good === 'string' ? 1 : 'x';
          await expectRefused(
            prepared({ fields: { v: { type } } }).run({}, target({ data: { v: bad } })),
            `Validation failed. Invalid type for v. Expected: ${name}`,
          );
        });
      }

      it('accepts type names as strings, in any case', async () => {
        for (const [type, value] of [
          ['string', 'x'],
          ['NUMBER', 1],
          ['Boolean', true],
          ['object', {}],
          ['Array', []],
          ['date', new Date()],
        ] as const) {
          expect(await prepared({ fields: { v: { type } } }).run({}, target({ data: { v: value } })), type).to.equal(
            'run',
          );
        }
        await expectRefused(
          prepared({ fields: { v: { type: 'String' } } }).run({}, target({ data: { v: 3 } })),
          'Validation failed. Invalid type for v. Expected: string',
        );
      });

      it('an array is not an object, and null counts as an object', async () => {
        await expectRefused(
          prepared({ fields: { v: { type: Object } } }).run({}, target({ data: { v: [] } })),
          'Validation failed. Invalid type for v. Expected: object',
        );
        expect(await prepared({ fields: { v: { type: Object } } }).run({}, target({ data: { v: null } }))).to.equal(
          'run',
        );
        await expectRefused(
          prepared({ fields: { v: { type: String } } }).run({}, target({ data: { v: null } })),
          'Validation failed. Invalid type for v. Expected: string',
        );
      });

      it('Date accepts a Date or a REST date only', async () => {
        const validator = prepared({ fields: { when: { type: Date } } });
        expect(await validator.run({}, target({ data: { when: new Date() } }))).to.equal('run');
        expect(
          await validator.run({}, target({ data: { when: { __type: 'Date', iso: '2024-01-01T00:00:00.000Z' } } })),
        ).to.equal('run');
        await expectRefused(
          validator.run({}, target({ data: { when: '2024-01-01' } })),
          'Validation failed. Invalid type for when. Expected: date',
        );
        await expectRefused(
          validator.run({}, target({ data: { when: { iso: '2024-01-01' } } })),
          'Validation failed. Invalid type for when. Expected: date',
        );
        const hook = new HookObject('Item', {}, { when: { __type: 'Date', iso: '2024-01-01T00:00:00.000Z' } });
        expect(await validator.run({}, target({ data: hook.toJSON(), object: hook }))).to.equal('run');
      });

      it('is skipped for a missing optional field, and checked for a required one', async () => {
        expect(await prepared({ fields: { v: { type: String } } }).run({}, target())).to.equal('run');
        await expectRefused(
          prepared({ fields: { v: { type: String, required: true } } }).run({}, target()),
          'Validation failed. Please specify data for v.',
        );
      });
    });

    describe('options', () => {
      it('an array lists the allowed values', async () => {
        const validator = prepared({ fields: { size: { options: ['S', 'M', 'L'] } } });
        expect(await validator.run({}, target({ data: { size: 'M' } }))).to.equal('run');
        await expectRefused(
          validator.run({}, target({ data: { size: 'XL' } })),
          'Validation failed. Invalid option for size. Expected: S, M, L',
        );
        expect(await validator.run({}, target())).to.equal('run');
      });

      it('a single value is the only allowed value', async () => {
        const validator = prepared({ fields: { kind: { options: 'a' } } });
        expect(await validator.run({}, target({ data: { kind: 'a' } }))).to.equal('run');
        await expectRefused(
          validator.run({}, target({ data: { kind: 'b' } })),
          'Validation failed. Invalid option for kind. Expected: a',
        );
      });

      it('error replaces the message', async () => {
        await expectRefused(
          prepared({ fields: { size: { options: ['S'], error: 'Pick a size.' } } }).run(
            {},
            target({ data: { size: 'M' } }),
          ),
          'Pick a size.',
        );
      });

      it('a function is given the value and refuses with a falsy answer', async () => {
        const seen: unknown[] = [];
        const validator = prepared({
          fields: {
            n: {
              options: (value: unknown) => {
                seen.push(value);
                return value === 1 ? true : value === 2 ? undefined : value === 3 ? null : value === 4 ? 0 : false;
              },
            },
          },
        });
        for (const ok of [1, 2, 3]) expect(await validator.run({}, target({ data: { n: ok } }))).to.equal('run');
        await expectRefused(validator.run({}, target({ data: { n: 4 } })), 'Validation failed. Invalid value for n.');
        await expectRefused(validator.run({}, target({ data: { n: 5 } })), 'Validation failed. Invalid value for n.');
        expect(seen).to.deep.equal([1, 2, 3, 4, 5]);
        await expectRefused(
          prepared({ fields: { n: { options: () => false, error: 'Bad n.' } } }).run({}, target({ data: { n: 1 } })),
          'Bad n.',
        );
      });

      it('an async function is awaited', async () => {
        const validator = prepared({ fields: { n: { options: async (value: unknown) => value === 1 } } });
        expect(await validator.run({}, target({ data: { n: 1 } }))).to.equal('run');
        await expectRefused(validator.run({}, target({ data: { n: 2 } })), 'Validation failed. Invalid value for n.');
      });

      it('a throwing function refuses with what it threw, or with error', async () => {
        const throwing = (thrown: unknown, error?: string): Promise<unknown> =>
          prepared({
            fields: {
              n: {
                options: () => {
                  throw thrown;
                },
                ...(error === undefined ? {} : { error }),
              },
            },
          }).run({}, target({ data: { n: 1 } }));
        await expectRefused(throwing(new Error('n must be odd')), 'n must be odd');
        await expectRefused(throwing('n must be odd'), 'n must be odd');
        await expectRefused(throwing(new BackendError(ErrorCode.INVALID_QUERY, 'bad')), 'bad', ErrorCode.INVALID_QUERY);
        await expectRefused(throwing(undefined), 'Validation failed. Invalid value for n.');
        await expectRefused(throwing(new Error('n must be odd'), 'Use an odd n.'), 'Use an odd n.');
      });

      it('is skipped for a missing optional field', async () => {
        expect(await prepared({ fields: { n: { options: () => false } } }).run({}, target())).to.equal('run');
        await expectRefused(
          prepared({ fields: { n: { options: [1], required: true } } }).run({}, target()),
          'Validation failed. Please specify data for n.',
        );
      });
    });

    it('null rule values read as not given', async () => {
      expect(
        await prepared({ fields: { n: { type: null, options: null, default: null } } }).run(
          {},
          target({ data: { n: 'x' } }),
        ),
      ).to.equal('run');
    });

    it('checks fields in order, stopping at the first failure', async () => {
      const validator = prepared({ fields: { a: { type: String }, b: { required: true } } });
      await expectRefused(
        validator.run({}, target({ data: { a: 1 } })),
        'Validation failed. Invalid type for a. Expected: string',
      );
    });
  });

  describe('roles', () => {
    const admin = (roles: string[]): ValidationTarget => target({ user: userWith({}), roles });

    it('requireAnyUserRoles needs one of the roles', async () => {
      const validator = prepared({ requireAnyUserRoles: ['admin', 'editor'] });
      expect(await validator.run({}, admin(['editor']))).to.equal('run');
      await expectRefused(
        validator.run({}, admin(['viewer'])),
        'Validation failed. User does not match the required roles.',
      );
      await expectRefused(validator.run({}, admin([])), 'Validation failed. User does not match the required roles.');
    });

    it('requireAllUserRoles needs every role', async () => {
      const validator = prepared({ requireAllUserRoles: ['admin', 'editor'] });
      expect(await validator.run({}, admin(['editor', 'admin', 'x']))).to.equal('run');
      await expectRefused(
        validator.run({}, admin(['admin'])),
        'Validation failed. User does not match all the required roles.',
      );
    });

    it('accepts functions (sync or async) returning the roles, called on each run', async () => {
      let calls = 0;
      const any = prepared({
        requireAnyUserRoles: () => {
          calls += 1;
          return ['admin'];
        },
      });
      expect(await any.run({}, admin(['admin']))).to.equal('run');
      await expectRefused(any.run({}, admin(['user'])), 'Validation failed. User does not match the required roles.');
      expect(calls).to.equal(2);
      const all = prepared({ requireAllUserRoles: async () => ['a', 'b'] });
      expect(await all.run({}, admin(['a', 'b']))).to.equal('run');
      await expectRefused(all.run({}, admin(['a'])), 'Validation failed. User does not match all the required roles.');
    });

    it('maps what a role function throws, and reports a wrong return as a host error', async () => {
      const throwing = prepared({
        requireAnyUserRoles: () => {
          throw new Error('roles unavailable');
        },
      });
      await expectRefused(throwing.run({}, admin(['a'])), 'roles unavailable');
      const wrong = prepared({ requireAnyUserRoles: (() => 'admin') as unknown as () => string[] });
      try {
        await wrong.run({}, admin(['admin']));
        expect.fail('expected an error');
      } catch (err) {
        expect(err).to.be.instanceOf(BackendConfigError);
      }
    });

    it('are checked after fields', async () => {
      await expectRefused(
        prepared({ fields: ['a'], requireAnyUserRoles: ['admin'] }).run({}, admin([])),
        'Validation failed. Please specify data for a.',
      );
    });
  });

  describe('requireUserKeys', () => {
    it('array form: needs a user with each key set', async () => {
      const validator = prepared({ requireUserKeys: ['email', 'name'] });
      await expectRefused(validator.run({}, target()), 'Please login to make this request.');
      await expectRefused(
        validator.run({}, target({ user: userWith({ email: 'a@b.c', name: null }) })),
        'Validation failed. Please set data for name on your account.',
      );
      expect(await validator.run({}, target({ user: userWith({ email: 'a@b.c', name: 'A' }) }))).to.equal('run');
      expect(await prepared({ requireUserKeys: [] }).run({}, target())).to.equal('run');
    });

    it('object form: required, type and options against the user', async () => {
      const validator = prepared({
        requireUserKeys: {
          age: { required: true, type: Number, options: (age: unknown) => Number(age) >= 18, error: 'Adults only.' },
          plan: { options: ['pro'] },
        },
      });
      await expectRefused(validator.run({}, target()), 'Please login to make this request.');
      await expectRefused(
        validator.run({}, target({ user: userWith({}) })),
        'Validation failed. Please set data for age on your account.',
      );
      await expectRefused(
        validator.run({}, target({ user: userWith({ age: '20' }) })),
        'Validation failed. Invalid type for age. Expected: number',
      );
      await expectRefused(validator.run({}, target({ user: userWith({ age: 12 }) })), 'Adults only.');
      await expectRefused(
        validator.run({}, target({ user: userWith({ age: 20, plan: 'free' }) })),
        'Validation failed. Invalid option for plan. Expected: pro',
      );
      expect(await validator.run({}, target({ user: userWith({ age: 20 }) }))).to.equal('run');
      expect(await validator.run({}, target({ user: userWith({ age: 20, plan: 'pro' }) }))).to.equal('run');
    });

    it('works with a HookObject as the user (sign-up)', async () => {
      const signingUp = new HookObject('_User', {}, { username: 'u', email: 'u@x.y' });
      expect(
        await prepared({ requireUserKeys: ['email'], requireUser: true }).run({}, target({ user: signingUp })),
      ).to.equal('run');
    });
  });

  describe('rateLimit', () => {
    it('RateLimiter allows requestCount calls per window, per key', () => {
      const limiter = new RateLimiter({ requestTimeWindow: 1000, requestCount: 2 });
      expect(limiter.take('a', 0)).to.equal(true);
      expect(limiter.take('a', 10)).to.equal(true);
      expect(limiter.take('a', 999)).to.equal(false);
      expect(limiter.take('b', 999)).to.equal(true);
      // The window rolls over 1000 ms after its first call.
      expect(limiter.take('a', 1000)).to.equal(true);
      expect(limiter.take('a', 1500)).to.equal(true);
      expect(limiter.take('a', 1999)).to.equal(false);
      expect(limiter.take('a', 2000)).to.equal(true);
    });

    it('RateLimiter remembers at most maxKeys keys, dropping expired windows first, then the oldest', () => {
      const limiter = new RateLimiter({ requestTimeWindow: 100, requestCount: 1, maxKeys: 3 });
      expect(limiter.take('old', 0)).to.equal(true);
      expect(limiter.take('b', 50)).to.equal(true);
      expect(limiter.take('c', 60)).to.equal(true);
      // 'old' expired: it goes; 'b' and 'c' are still limited.
      expect(limiter.take('d', 120)).to.equal(true);
      expect(limiter.size).to.equal(3);
      expect(limiter.take('b', 121)).to.equal(false);
      expect(limiter.take('c', 121)).to.equal(false);
      // Nothing expired: the oldest live window ('b') is forgotten.
      expect(limiter.take('e', 130)).to.equal(true);
      expect(limiter.size).to.equal(3);
      expect(limiter.take('c', 131)).to.equal(false);
      expect(limiter.take('b', 131)).to.equal(true);
    });

    it('RateLimiter stays bounded at 10,000 keys by default', () => {
      const limiter = new RateLimiter({ requestTimeWindow: 60_000, requestCount: 1 });
      for (let i = 0; i < 10_050; i++) limiter.take(`ip${i}`, i);
      expect(limiter.size).to.equal(10_000);
    });

    it('refuses with 429 and CONNECTION_FAILED once the count is used up', async () => {
      const validator = prepared({ rateLimit: { requestTimeWindow: 60_000, requestCount: 2 } });
      expect(await validator.run({}, target())).to.equal('run');
      expect(await validator.run({}, target())).to.equal('run');
      const err = await expectRefused(validator.run({}, target()), 'Too many requests.', ErrorCode.CONNECTION_FAILED);
      expect(err.status).to.equal(429);
      // Another client has its own count.
      expect(await validator.run({}, target({ rateKey: '10.0.0.2' }))).to.equal('run');
    });

    it('uses errorResponseMessage', async () => {
      const validator = prepared({
        rateLimit: { requestTimeWindow: 60_000, requestCount: 1, errorResponseMessage: 'Slow down.' },
      });
      await validator.run({}, target());
      const err = await expectRefused(validator.run({}, target()), 'Slow down.', ErrorCode.CONNECTION_FAILED);
      expect(err.status).to.equal(429);
    });

    it('counts every call, refused ones included, before the other checks', async () => {
      const validator = prepared({ requireUser: true, rateLimit: { requestTimeWindow: 60_000, requestCount: 1 } });
      await expectRefused(validator.run({}, target()), 'Validation failed. Please login to continue.');
      await expectRefused(
        validator.run({}, target({ user: userWith({}) })),
        'Too many requests.',
        ErrorCode.CONNECTION_FAILED,
      );
    });

    it('does not count master-key calls unless includeMasterKey', async () => {
      const validator = prepared({ rateLimit: { requestTimeWindow: 60_000, requestCount: 1 } });
      for (let i = 0; i < 3; i++) expect(await validator.run({}, target({ master: true }))).to.equal('run');
      expect(await validator.run({}, target())).to.equal('run');

      const counted = prepared({
        skipWithMasterKey: true,
        rateLimit: { requestTimeWindow: 60_000, requestCount: 1, includeMasterKey: true },
      });
      expect(await counted.run({}, target({ master: true }))).to.equal('skip');
      await expectRefused(counted.run({}, target({ master: true })), 'Too many requests.', ErrorCode.CONNECTION_FAILED);
    });

    it('keeps separate counters per prepared validator', async () => {
      const options = { rateLimit: { requestTimeWindow: 60_000, requestCount: 1 } };
      const first = prepared(options);
      const second = prepared(options);
      await first.run({}, target());
      expect(await second.run({}, target())).to.equal('run');
    });
  });
});
