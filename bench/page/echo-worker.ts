/** The postMessage floor: a worker that sends back whatever it receives (transferring buffers back). */
onmessage = (e: MessageEvent<Float32Array>) => {
  postMessage(e.data, { transfer: [e.data.buffer] });
};
