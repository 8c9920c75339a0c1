/** What a child-process app of lazy-routing-controllers.spec.ts reports on its stdout, as one JSON line. */
export interface LazyAppReport {
  /** Status and body of each request the app made to itself, in order. */
  replies: { status: number; body: unknown }[];
  /** The routing-controllers modules in `require.cache` once the requests are answered. */
  routingControllersModules: string[];
}

/** The modules of the routing-controllers package loaded in this process (not those of routing-controllers-jwt). */
export function loadedRoutingControllersModules(): string[] {
  return Object.keys(require.cache).filter((path) => /[\\/]node_modules[\\/]routing-controllers[\\/]/.test(path));
}
