/** The page around the runtime: which version serves, how updates arrive, and a button to run it. */
import type { Runtime } from 'baton-ml';

export function show(rt: Runtime): void {
  const serving = document.querySelector<HTMLOutputElement>('#serving')!;
  const updates = document.querySelector<HTMLOutputElement>('#updates')!;
  const button = document.querySelector<HTMLButtonElement>('#run')!;
  const result = document.querySelector<HTMLPreElement>('#result')!;
  const render = () => {
    serving.value = rt.status().serving?.version ?? 'nothing';
    updates.value = rt.status().updates;
  };
  rt.on('switch', render);
  rt.on('rollback', render);
  rt.on('service-worker-unavailable', ({ error }) => (result.textContent = `updates run in the page: ${error.message}`));
  render();
  button.disabled = false;
  button.addEventListener('click', () => {
    rt.run({ x: { type: 'float32', data: Float32Array.of(0.5, -1, 2, 0.25), dims: [1, 4] } }).then(
      (r) => (result.textContent = `${r.version}: ${Array.from(r.outputs['y']!.data as Float32Array).join(', ')}`),
      (e: unknown) => (result.textContent = `failed: ${String(e)}`),
    );
  });
}
