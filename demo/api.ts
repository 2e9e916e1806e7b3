/**
 * The demo server's HTTP API (`/demo/api/*`, same origin as the app), as one set of wire types
 * shared by the server (demo/server/control.ts) and the page (demo/dev-panel.ts). Every step
 * runs the real `baton` CLI against the demo's registry.
 */

/** The scenario's steps, in order. */
export type DemoStep = 'v1' | 'v2' | 'v3';

/** Where one device stands in the candidate's rollout (the router's own bucket function). */
export interface DevicePlacement {
  readonly deviceId: string;
  readonly version: string;
  /** SHA-256(salt:deviceId) mod 10 000. */
  readonly bucket: number;
  readonly percent: number;
  /** bucket < percent × 100. */
  readonly inside: boolean;
  /** Of `fleetSize` simulated device ids, how many the same rollout includes. */
  readonly fleetInside: number;
  readonly fleetSize: number;
}

/** One CLI command the server ran, as a terminal would show it. */
export interface CommandRecord {
  readonly at: number;
  readonly command: string;
  readonly code: number;
  readonly output: string;
}

/** `GET /demo/api/state`. */
export interface DemoState {
  /** Bumped by every reset: a new model name, so a device starts it with no history. */
  readonly round: number;
  /** The model's name in the registry for this round, e.g. `vad-lz8k2q`. */
  readonly model: string;
  /** Relative to the page. */
  readonly manifestUrl: string;
  readonly step: DemoStep;
  readonly sequence: number;
  readonly stable: string;
  readonly candidate?: { readonly version: string; readonly percent: number; readonly salt: string };
  /** Versions published in this round, oldest first, with what they are. */
  readonly published: readonly { readonly version: string; readonly label: string }[];
  /** This device's place in the current candidate's rollout (the last device that asked for a step). */
  readonly placement?: DevicePlacement;
  readonly commands: readonly CommandRecord[];
  /** `npm run demo -- --scenario`: the page plays the whole scenario by itself on load. */
  readonly autoplay: boolean;
  /** The server holds each chunk this long before sending it, so a download is visible over loopback. */
  readonly chunkDelayMs: number;
  /** Where the page's OTLP exporter sends telemetry, when the server has a collector. */
  readonly telemetryEndpoint?: string;
  /** Telemetry the collector has received, when it reports it. */
  readonly telemetryReceived?: { readonly batches: number; readonly logs: number; readonly metrics: number };
}

/** `POST /demo/api/<step>` bodies. */
export interface StepRequest {
  /** The page's `rt.status().device.deviceId`: the server picks a salt whose bucket puts it inside. */
  readonly deviceId?: string;
}

export type StepResponse = { readonly ok: true; readonly state: DemoState } | { readonly ok: false; readonly error: string; readonly state: DemoState };

export const API_PREFIX = '/demo/api/';
/** A candidate's share of devices in the demo's staged rollouts. */
export const ROLLOUT_PERCENT = 50;
/** Requests a candidate must serve healthily on a device before it is promoted there. */
export const PROMOTE_AFTER = 250;
/** Outcomes of the replaced version its error rate is counted from (the gates themselves judge from the first request). */
export const MIN_REQUESTS = 20;
