/**
 * Detecting, at decoration, legacy decorators compiled without `emitDecoratorMetadata`. esbuild (and so tsx and Vite)
 * and swc without `jsc.transform.decoratorMetadata` run `experimentalDecorators` but emit no `design:*` metadata:
 * typedi then injects `undefined` for constructor parameters and routing-controllers validates no `@Body()` DTO,
 * silently. TypeScript applies the metadata before any decorator of a method, so its absence is visible here.
 */

/** The warning's code, for `process.on('warning')` filters. */
export const NO_DECORATOR_METADATA_WARNING = 'JWT_DECORATOR_METADATA_MISSING';

type MetadataReader = (key: string, target: object, property: string | symbol) => unknown;

let warned = false;

/**
 * Warns once per process when the method `property` of `target` (a prototype, as a legacy method decorator receives
 * it) carries no `design:type` metadata while reflect-metadata is loaded.
 * @internal
 */
export function warnIfNoDecoratorMetadata(target: object, property: string | symbol): void {
  if (warned) return;
  const getMetadata = (Reflect as unknown as { getMetadata?: MetadataReader }).getMetadata;
  if (typeof getMetadata !== 'function' || getMetadata('design:type', target, property) !== undefined) return;
  warned = true;
  const owner = (target as { constructor?: { name?: unknown } }).constructor?.name;
  process.emitWarning(
    `${typeof owner === 'string' ? owner : 'a class'}.${String(property)} was compiled without decorator metadata `
      + '(experimentalDecorators without emitDecoratorMetadata, as esbuild, tsx, Vite and swc by default compile): typedi '
      + 'cannot inject constructor parameters and routing-controllers cannot validate @Body() classes. Compile with tsc or '
      + 'ts-node ("emitDecoratorMetadata": true), or swc with jsc.transform.decoratorMetadata: true.',
    { type: 'RoutingControllersJwtWarning', code: NO_DECORATOR_METADATA_WARNING },
  );
}
