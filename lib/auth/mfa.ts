/**
 * The built-in MFA provider (`auth: { mfa: { enabled: true, options: ['TOTP'] } }`), as
 * parse-server's: a second factor a user enrolls in and must then send at every login (its policy
 * is `additional`).
 *
 * - TOTP (authenticator apps, RFC 6238 on `otpauth`): the user enrolls with `{ secret, token }` (a
 *   base32 secret of at least 20 characters and a current code) and gets two recovery codes once,
 *   in `authDataResponse.mfa.recovery`; a login sends `{ token }`, a current code or a recovery
 *   code (used up); a change sends the new `{ secret, token }` with `old`, a current code.
 * - SMS (`sendSMS(code, mobile)` is the host's): enrolling sends `{ mobile }`, then confirms with
 *   `{ mobile, token }`; a login first sends `{ token: 'request' }` (a code is texted, the login
 *   answers `Please enter the token`), then `{ token }` with the code.
 *
 * Readers other than the master key see only `{ status: 'enabled' | 'disabled' }`.
 */
import { randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { AuthProvider, AuthReadRequest, AuthRequest } from './auth-data.js';
import { isPlainObject, type Json } from '../values/json.js';

/** The `auth.mfa` settings, as parse-server takes them. */
export interface MfaOptions {
  /** Which factors: `'TOTP'`, `'SMS'`, or both. */
  options: ('TOTP' | 'SMS')[];
  /** Digits of a code (4 to 10; default 6). */
  digits?: number;
  /** Seconds a code lasts (at least 10; default 30). */
  period?: number;
  /** TOTP's HMAC algorithm (default `'SHA1'`, what authenticator apps expect). */
  algorithm?: string;
  /** Sends an SMS code: required with `'SMS'`. */
  sendSMS?(code: string, mobile: string): unknown;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const MOBILE = /^[+]*[(]{0,1}[0-9]{1,3}[)]{0,1}[-\s./0-9]*$/;

function randomString(length: number, alphabet = ALPHANUMERIC): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** The settings checked, as parse-server words its refusals (thrown at startup here). */
function checked(options: Json): Required<Omit<MfaOptions, 'sendSMS'>> & Pick<MfaOptions, 'sendSMS'> {
  const factors = options.options;
  if (!Array.isArray(factors)) throw new Error('mfa.options must be an array');
  if (!factors.includes('SMS') && !factors.includes('TOTP')) throw new Error('mfa.options must include SMS or TOTP');
  const digits = options.digits ?? 6;
  const period = options.period ?? 30;
  if (typeof digits !== 'number') throw new Error('mfa.digits must be a number');
  if (typeof period !== 'number') throw new Error('mfa.period must be a number');
  if (digits < 4 || digits > 10) throw new Error('mfa.digits must be between 4 and 10');
  if (period < 10) throw new Error('mfa.period must be greater than 10');
  const sendSMS = options.sendSMS as MfaOptions['sendSMS'];
  if (factors.includes('SMS') && typeof sendSMS !== 'function')
    throw new Error('mfa.sendSMS callback must be defined when using SMS OTPs');
  const algorithm = typeof options.algorithm === 'string' ? options.algorithm : 'SHA1';
  return { options: factors as MfaOptions['options'], digits, period, algorithm, sendSMS };
}

/** The user's stored MFA data (`authData.mfa`), from the request's `original`. */
function storedOf(request: AuthRequest): Json {
  const original = request.original as { get?(key: string): unknown } | undefined;
  const authData = original?.get?.('authData');
  return isPlainObject(authData) && isPlainObject(authData.mfa) ? { ...authData.mfa } : {};
}

/** Creates the built-in MFA provider. */
export function mfaProvider(): AuthProvider & { validateOptions(options: Json): void } {
  let settings: ReturnType<typeof checked> | undefined;
  const config = (): ReturnType<typeof checked> => {
    if (!settings) throw 'MFA is not configured';
    return settings;
  };
  const totpValid = (secret: string, token: unknown): boolean => {
    const { algorithm, digits, period } = config();
    if (typeof token !== 'string' || token.length !== digits) return false;
    const totp = new TOTP({ algorithm, digits, period, secret: Secret.fromBase32(secret) });
    return totp.validate({ token, window: 1 }) !== null;
  };
  const sendCode = async (mobile: unknown): Promise<{ token: string; expiry: string }> => {
    if (typeof mobile !== 'string' || !MOBILE.test(mobile)) throw 'Invalid mobile number.';
    const { digits, period, sendSMS } = config();
    const token = randomString(digits, '0123456789');
    await sendSMS!(token, mobile);
    return { token, expiry: new Date(Date.now() + period * 1000).toISOString() };
  };
  const setUpTotp = (data: Json) => {
    const { secret, token } = data;
    if (typeof secret !== 'string' || secret.length < 20 || typeof token !== 'string') throw 'Invalid MFA data';
    if (!totpValid(secret, token)) throw 'Invalid MFA token';
    const recovery = [randomString(30), randomString(30)];
    return { response: { recovery: recovery.join(', ') }, save: { secret, recovery } };
  };
  const logIn = async (data: Json, stored: Json, consumeRecovery: boolean) => {
    const { options } = config();
    const { token } = data;
    if (options.includes('SMS') && typeof stored.mobile === 'string') {
      if (token === 'request') {
        const code = await sendCode(stored.mobile);
        // The code is stored, and the login answers that it now needs it.
        return { save: { ...stored, token: code.token, expiry: code.expiry }, refuse: 'Please enter the token' };
      }
      if (typeof stored.token !== 'string' || token !== stored.token) throw 'Invalid MFA token 1';
      if (typeof stored.expiry !== 'string' || Date.now() > Date.parse(stored.expiry)) throw 'Invalid MFA token 2';
      const { token: _used, expiry: _expiry, ...rest } = stored;
      return { save: rest };
    }
    if (typeof token !== 'string') throw 'Invalid MFA token';
    if (typeof stored.secret !== 'string') return { doNotSave: true };
    const recovery = Array.isArray(stored.recovery) ? (stored.recovery as unknown[]) : [];
    if (recovery.includes(token)) {
      return consumeRecovery ? { save: { ...stored, recovery: recovery.filter((code) => code !== token) } } : {};
    }
    if (!totpValid(stored.secret, token)) throw 'Invalid MFA token';
    return { doNotSave: true };
  };
  return {
    validateOptions(options: Json) {
      settings = checked(options);
    },
    policy(_request: AuthReadRequest, stored: Json) {
      // An SMS enrolment not yet confirmed asks nothing at login.
      const pendingOnly = Object.keys(stored ?? {}).length === 1 && 'pending' in (stored ?? {});
      return config().options.includes('SMS') && pendingOnly ? 'default' : 'additional';
    },
    async validateSetUp(data: Json) {
      const { options } = config();
      if (data.mobile !== undefined && options.includes('SMS')) {
        const code = await sendCode(data.mobile);
        return { save: { pending: { [data.mobile as string]: code } } };
      }
      if (options.includes('TOTP')) return setUpTotp(data);
      throw 'Invalid MFA data';
    },
    async validateLogin(data: Json, _options: Json, request: AuthRequest) {
      return logIn(data, storedOf(request), true);
    },
    async validateUpdate(data: Json, _options: Json, request: AuthRequest) {
      if (request.master) return undefined;
      const { options } = config();
      const stored = storedOf(request);
      if (data.mobile !== undefined && options.includes('SMS')) {
        if (data.token === undefined) throw 'MFA is already set up on this account';
        const pending = isPlainObject(stored.pending) ? { ...stored.pending } : {};
        const entry = pending[data.mobile as string];
        if (!isPlainObject(entry)) throw 'This number is not pending';
        if (data.token !== entry.token || Date.now() > Date.parse(String(entry.expiry))) throw 'Invalid MFA token';
        delete pending[data.mobile as string];
        return { save: { ...stored, pending, mobile: data.mobile } };
      }
      if (options.includes('TOTP')) {
        // A change proves the current factor first (a recovery code counts, and is kept).
        await logIn({ token: data.old }, stored, false);
        return setUpTotp(data);
      }
      throw 'Invalid MFA data';
    },
    afterFind(stored: Json, _options: Json, request: AuthReadRequest) {
      if (request.master) return undefined;
      const { options } = config();
      const enabled =
        (options.includes('TOTP') && typeof stored.secret === 'string') ||
        (options.includes('SMS') && typeof stored.mobile === 'string');
      return { status: enabled ? 'enabled' : 'disabled' };
    },
  };
}
