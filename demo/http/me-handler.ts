/**
 * GET /me, an Express handler behind the plain-Express front door `requireToken()` (see app.ts): no
 * routing-controllers here, and still `currentToken` and the same services.
 */
import type { Response } from 'express';
import { Container } from 'typedi';
import { currentToken } from 'routing-controllers-jwt';
import { ProfileService } from '../users/profile-service';

/** Answers the caller's own profile and what their token says. */
export async function sendMe(response: Response): Promise<void> {
  const profile = await Container.get(ProfileService).read(String(currentToken.sub));
  const expiresAt = currentToken.exp === null ? null : new Date(currentToken.exp * 1000).toISOString();
  response.json({ profile, token: { sub: currentToken.sub, scope: currentToken.scope, expiresAt } });
}
