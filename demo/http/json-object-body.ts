/**
 * `@JsonObjectBody()`: the body parser of the actions that take a DTO with `@Body()`. It answers 400 for any JSON body
 * that is not an object, or that is nested deeper than MAX_DEPTH, before routing-controllers transforms it.
 *
 * Why the demo needs it: routing-controllers validates a body only once class-transformer has made an instance of the
 * DTO out of it. An array becomes an array of DTOs, which is never validated and reaches the action as it is (500 when
 * the action reads its fields); and class-transformer copies every nested array and object recursively, so a body
 * nested some thousands of levels deep overflows the stack (500), even under a key that validation would drop.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { BadRequestError, UseBefore } from 'routing-controllers';

/** How deep a body may nest, the object itself being level 1: far more than a DTO of the demo needs. */
export const MAX_DEPTH = 8;

/** Whether `value` holds objects or arrays nested deeper than `limit` levels. Iterative, so any depth is safe. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth > limit) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

/**
 * Lets through a JSON object nested at most MAX_DEPTH levels, and a request without a JSON body (`@Body({ required:
 * true })` answers that one). The messages never quote the body.
 */
function onlyJsonObjects(request: Request & { _body?: boolean }, _response: Response, next: NextFunction): void {
  const body: unknown = request.body;
  // express.json() leaves the body undefined when it did not read it (no body, or not JSON), never when it did.
  if (body === undefined) return next();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return next(new BadRequestError('The body must be a JSON object'));
  }
  if (nestedDeeperThan(body, MAX_DEPTH)) {
    return next(new BadRequestError(`The body must not nest more than ${MAX_DEPTH} levels deep`));
  }
  // The JSON parser routing-controllers adds after this one (body-parser 1.x) would try to read the stream again; it
  // skips a request marked this way, as it marks the requests it has read itself.
  request._body = true;
  next();
}

/**
 * Parses the JSON body of the action (any JSON value, so that a string or a number gets the same answer as an array)
 * and lets only an object through, to routing-controllers' transformation and validation of the `@Body()` DTO.
 */
export function JsonObjectBody(): ReturnType<typeof UseBefore> {
  return UseBefore(express.json({ strict: false }), onlyJsonObjects);
}
