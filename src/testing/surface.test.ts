/**
 * The kit's public surface, pinned: what `baton-ml/testing` (index.ts) and
 * `baton-ml/testing/app` (expose.ts) export, values and types. Adding or removing a name is an
 * API change an app sees: do it here on purpose, and in the README's "Test kit" section.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Every name a module's `export { … }` / `export type { … }` / `export const|function|…` declares. */
function exportedNames(file: string): { values: string[]; types: string[] } {
  const code = readFileSync(new URL(file, import.meta.url), 'utf8');
  const values: string[] = [];
  const types: string[] = [];
  for (const m of code.matchAll(/^export (type )?\{([^}]*)\}/gm)) {
    for (const part of m[2]!
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const isType = m[1] !== undefined || part.startsWith('type ');
      const name = part
        .replace(/^type /, '')
        .split(/\s+as\s+/)
        .at(-1)!;
      (isType ? types : values).push(name);
    }
  }
  for (const m of code.matchAll(/^export (?:async )?(const|function|class|interface|type) (\w+)/gm)) {
    (m[1] === 'interface' || m[1] === 'type' ? types : values).push(m[2]!);
  }
  return { values: values.sort(), types: types.sort() };
}

describe('baton-ml/testing', () => {
  it('exports the kit and nothing of its insides', async () => {
    const names = exportedNames('./index.ts');
    expect(names.values).toEqual([
      'batonMatchers',
      'brokenModel',
      'checkForUpdate',
      'chromiumLaunchOptions',
      'clearBrowserState',
      'createTestKeys',
      'createTestRegistry',
      'expect',
      'failingRunModel',
      'goOffline',
      'goOnline',
      'loadRecords',
      'mlpModel',
      'mlpReference',
      'nanModel',
      'readBrowserState',
      'runOnce',
      'runtimeEvents',
      'runtimeMetrics',
      'runtimeStatus',
      'setDeviceId',
      'slowModel',
      'startLoad',
      'startTestServer',
      'stopLoad',
      'test',
      'waitForLoad',
      'waitForRuntime',
      'waitForRuntimeEvent',
      'waitForServiceWorkerControl',
      'waitForVersion',
    ]);
    expect(names.types).toEqual([
      'ArmChange',
      'AsData',
      'BatonFixtures',
      'BrowserState',
      'CliResult',
      'DeviceWish',
      'Fault',
      'FaultHandle',
      'FaultKind',
      'HookOptions',
      'KeyFiles',
      'LoadMode',
      'LoadRecord',
      'LoadSettings',
      'PageOutcome',
      'PathPattern',
      'PlainTensor',
      'PolicyChange',
      'PublishArgs',
      'RecordedEvent',
      'RecordedEventOf',
      'RegistryPaths',
      'RequestFilter',
      'RequestOutcome',
      'RequestRecord',
      'RunResult',
      'SigningOptions',
      'TestRegistry',
      'TestRegistryOptions',
      'TestServer',
      'TestServerOptions',
      'TimeWindow',
      'WaitOptions',
      'WireError',
    ]);
    // What the module really exports at run time is what the file says.
    expect(Object.keys(await import('./index.js')).sort()).toEqual(names.values);
  });
});

describe('baton-ml/testing/app', () => {
  it('exports the hook an app installs, and the settings a test build passes', () => {
    expect(exportedNames('./expose.ts')).toEqual({
      values: ['BATON_TEST_GLOBAL', 'FAST_DOWNLOAD', 'exposeRuntimeForTests', 'runtimeTestHooks'],
      types: [
        'AsData',
        'BatonTestHook',
        'ExposeOptions',
        'LoadMode',
        'LoadRecord',
        'LoadSettings',
        'PageOutcome',
        'PlainTensor',
        'RecordedEvent',
        'RecordedEventOf',
        'RunResult',
        'RuntimeTestHooks',
        'WireError',
      ],
    });
  });
});
