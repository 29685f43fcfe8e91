/**
 * The signature algorithms a login token names (JWS-style labels), read by the key stores that
 * produce signatures and by login, which puts them in tokens and verifies them.
 */
export type SignatureAlgorithm = 'RS256' | 'ES256' | 'SM2-SM3';
