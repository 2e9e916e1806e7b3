import { defineConfig } from 'vite';
import { baton } from 'baton-ml/vite';

export default defineConfig({
  plugins: [baton({ publicKey: 'keys/baton-public.json', registry: 'registry' })],
});
