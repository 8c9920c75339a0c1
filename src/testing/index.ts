/**
 * routing-controllers-jwt/testing: helpers for an app's own tests. Not loaded by the package root.
 */
import 'reflect-metadata';

export { testTokens, type TestTokenOptions, type TestTokens } from './test-tokens';
export { startTestIssuer, type TestIssuer, type TestIssuerOptions } from './test-issuer';
export { resetContainer } from './reset-container';
