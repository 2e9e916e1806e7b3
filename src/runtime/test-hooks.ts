/**
 * Fault injection for tests, kept off the app's API: the runtime files its hooks here, and only
 * `baton-ml/testing/app` (`runtimeTestHooks`) hands them out. A weak map, so a disposed
 * runtime's hooks go with it.
 */
export interface RuntimeTestHooks {
  /** The serving worker dies as an out-of-memory crash would. */
  crashWorker(): Promise<void>;
  /** The serving worker's next run never returns (its thread spins). */
  hangWorker(): Promise<void>;
  /** The serving worker's WebGPU device is destroyed, as a driver reset would. */
  loseGpuDevice(): Promise<void>;
}

const hooks = new WeakMap<object, RuntimeTestHooks>();

export function fileTestHooks(runtime: object, h: RuntimeTestHooks): void {
  hooks.set(runtime, h);
}

export function testHooksOf(runtime: object): RuntimeTestHooks | undefined {
  return hooks.get(runtime);
}
