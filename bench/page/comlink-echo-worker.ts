/** comlink's share of the hop: a worker exposing one function that hands its input back (transferred). */
import * as Comlink from 'comlink';

const api = { echo: (data: Float32Array) => Comlink.transfer(data, [data.buffer]) };
export type EchoApi = typeof api;
Comlink.expose(api);
