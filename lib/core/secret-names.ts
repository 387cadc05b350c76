/**
 * Whether a name (object key, header, query parameter, form field, parameter name) says
 * its value is a secret. One rule for @Traced() arguments and results, HTTP records and
 * log fields. Case and separators (`-`, `_`, `.`, spaces) do not matter:
 *
 * - Strong words count anywhere in the name: `password`, `user_password`, `X-Api-Key`,
 *   `refreshToken`, `JSESSIONID`, `clientSecret`.
 * - Short or common words count only as a whole word of the name (camelCase or separated):
 *   `pwd`, `userPin` and `PIN` are secret; `spinner`, `author`, `footprint` and `classname`
 *   are not.
 */
export function isSecretName(name: string): boolean {
  let secret = cache.get(name);
  if (secret === undefined) {
    secret = classify(name);
    // Names come from code and wire formats: a small set, but bounded all the same.
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(name, secret);
  }
  return secret;
}

/** Matched inside the name with separators removed, lowercase. */
const STRONG_WORDS = [
  'password',
  'passwd',
  'passphrase',
  'passcode',
  'secret',
  'token',
  'apikey',
  'authorization',
  'cookie',
  'credential',
  'privatekey',
  'sessionid',
  'jwt',
  'cardnumber',
  'cardnum',
  'creditcard',
  'ccnumber',
  'cvv',
  'cvc',
];

/** Matched against each word of the name (split at separators and camelCase humps). */
const WHOLE_WORDS = new Set([
  'pass',
  'pwd',
  'pw',
  'auth',
  'session',
  'sid',
  'otp',
  'totp',
  'pin',
  'ssn',
  'pan',
  'ccn',
]);

/** Matched against the whole name with separators removed, lowercase. */
const WHOLE_NAMES = new Set(['cardno', 'ccno']);

const STRONG = new RegExp(STRONG_WORDS.join('|'));
const SEPARATORS = /[\s._-]+/g;
/** Words of a name: `userPIN` → user, PIN; `X-Api-Key` → X, Api, Key; `otp2` → otp2. */
const WORD = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g;
const CACHE_LIMIT = 2048;
const cache = new Map<string, boolean>();

function classify(name: string): boolean {
  const flat = name.replace(SEPARATORS, '').toLowerCase();
  if (STRONG.test(flat) || WHOLE_NAMES.has(flat)) return true;
  for (const word of name.match(WORD) ?? []) {
    if (WHOLE_WORDS.has(word.toLowerCase())) return true;
  }
  return false;
}
