/**
 * The postMessage floor: a worker that sends back whatever it receives (transferring buffers
 * back), on its own channel or, once it is handed one (`{ port }`), on a MessageChannel port.
 */
onmessage = (e: MessageEvent<Float32Array | { port: MessagePort }>) => {
  if ('port' in e.data) {
    const port = e.data.port;
    port.onmessage = (m: MessageEvent<Float32Array>) => port.postMessage(m.data, [m.data.buffer]);
    return;
  }
  postMessage(e.data, { transfer: [e.data.buffer] });
};
