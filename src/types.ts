/**
 * The nouns of Baton: what a release is, what a manifest promises, how a rollout is described.
 * The wire format behind them is specified in docs/release-format.md; `manifest/schema.ts`
 * validates untrusted JSON into these types.
 */

/** A version label as published, e.g. `"1.4.0"` or `"2026-11-25.1"`. Compared for equality only. */
export type VersionId = string;

/** Element types a tensor can have, named as onnxruntime-web names them. */
export type TensorElementType =
  'float32' | 'float16' | 'float64' | 'bfloat16' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool' | 'string';

/** A model input or output. A dimension is a fixed size or a symbolic name such as `"batch"`. */
export interface TensorSpec {
  readonly name: string;
  readonly type: TensorElementType;
  readonly shape: readonly (number | string)[];
}

/** One operator set the model imports. The default ONNX domain is the empty string. */
export interface OpsetImport {
  readonly domain: string;
  readonly version: number;
}

/** Execution providers Baton knows how to ask onnxruntime-web for. */
export type ExecutionProvider = 'wasm' | 'webgpu';

/** What a runtime must offer to run a version; a device that cannot is refused before downloading. */
export interface Compatibility {
  /** A semver range of onnxruntime-web versions, e.g. `">=1.20.0 <2"`. */
  readonly onnxruntimeWeb: string;
  /** Providers able to run this version; the runtime picks the first it has. */
  readonly executionProviders: readonly ExecutionProvider[];
}

/** A content-addressed piece of a model file, stored at `chunks/<sha256>`. */
export interface ChunkRef {
  readonly sha256: string;
  readonly size: number;
}

/** One published model file and everything needed to fetch, verify and run it. */
export interface Release {
  readonly version: VersionId;
  /** Byte size of the whole model file. */
  readonly size: number;
  /** SHA-256 (hex) of the whole model file. */
  readonly sha256: string;
  /** Every chunk but the last has exactly this size. */
  readonly chunkSize: number;
  readonly chunks: readonly ChunkRef[];
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly opsets: readonly OpsetImport[];
  readonly compat: Compatibility;
  /** ISO 8601 time of `baton publish`. */
  readonly publishedAt: string;
  /** What typical inputs and outputs look like (format 1.1), for drift detection on devices. */
  readonly profile?: ReleaseProfile;
}

/** Summary statistics of one tensor's values over sample inputs. */
export interface TensorProfile {
  readonly name: string;
  readonly mean: number;
  readonly std: number;
  /** Inner bin edges, ascending: bin i holds (edges[i-1], edges[i]]; the last bin everything above. */
  readonly edges: readonly number[];
  /** Share of values in each bin (edges.length + 1 of them, summing to 1). */
  readonly freq: readonly number[];
}

/** A version's reference profile: computed by `baton publish --profile` from sample inputs. */
export interface ReleaseProfile {
  /** How many sample inputs it was computed from. */
  readonly samples: number;
  readonly inputs: readonly TensorProfile[];
  readonly outputs: readonly TensorProfile[];
}

/** One step of a rolling schedule; the highest stage whose conditions hold is in force. */
export interface RolloutStage {
  readonly percent: number;
  /** ISO 8601 time from which this stage applies. */
  readonly after?: string;
  /** Minimum number of healthy runs this device has observed on the candidate. */
  readonly minHealthyRuns?: number;
}

/** How a candidate's output is compared with the live one in shadow mode. */
export type ShadowComparison = 'max-abs-diff' | 'argmax';

export interface ShadowPolicy {
  /** Fraction of requests (0–1) on which the candidate also runs. */
  readonly sampleRate: number;
  readonly compare: ShadowComparison;
  /** For `max-abs-diff`: outputs agree when no element differs by more than this. */
  readonly tolerance: number;
}

/** A staged rollout of one version that is not yet stable. */
export interface CandidatePolicy {
  readonly version: VersionId;
  /** Share of devices (0–100) that adopt the candidate. */
  readonly percent: number;
  /** Makes buckets independent across releases: a device unlucky once is not unlucky forever. */
  readonly salt: string;
  readonly stages?: readonly RolloutStage[];
  /** When set, devices outside the rollout run the candidate in the shadow of the stable version. */
  readonly shadow?: ShadowPolicy;
}

export interface AbArm {
  readonly name: string;
  readonly version: VersionId;
  readonly weight: number;
}

/** An A/B test: each device is assigned one arm, sticky, by weight. */
export interface AbPolicy {
  readonly salt: string;
  readonly arms: readonly AbArm[];
}

/** Gates a device applies to the version it is trying out. */
export interface HealthPolicy {
  /** Size of the count-based sliding window. */
  readonly windowRequests: number;
  /** Span of the time-based sliding window, in milliseconds. */
  readonly windowMs: number;
  /**
   * The fewest outcomes in the replaced version's window for its error rate to count; with
   * fewer, it counts as error-free. (It used to delay every verdict until this many requests;
   * the sequential gates are valid at every request and wait for nothing.)
   */
  readonly minRequests: number;
  /** Roll back when the candidate's error rate exceeds the baseline's by more than this (0–1). */
  readonly maxErrorRateIncrease: number;
  /**
   * Roll back when the candidate takes more than this factor of the kept version's time (and
   * 5 ms more) on the same input, on more than half of the paired runs (the name is historical:
   * it was a ratio of p95s).
   */
  readonly maxP95Ratio: number;
  /** Roll back when shadow agreement falls below this (0–1). */
  readonly minShadowAgreement: number;
  /** A candidate healthy for this many requests is promoted on the device. */
  readonly promoteAfterRequests: number;
  /**
   * The false-rollback rate each gate allows a healthy version, under continuous monitoring
   * (0–1, exclusive). Absent in older manifests: 0.01.
   */
  readonly alpha?: number;
}

/** Which versions serve whom. Signed with the rest of the manifest. */
export interface RolloutPolicy {
  /** The version every device serves unless something below says otherwise. */
  readonly stable: VersionId;
  readonly candidate?: CandidatePolicy;
  readonly ab?: AbPolicy;
  /** Every device serves this version, whatever the rollout says (kill switches still win). */
  readonly pinned?: VersionId;
  /** Versions never to be served again; a device on one switches away at once. */
  readonly killed: readonly VersionId[];
  readonly health: HealthPolicy;
}

/** The signed payload of `manifest.json`: one model's releases and its rollout policy. */
export interface Manifest {
  /** `"<major>.<minor>"`. A runtime refuses a major it does not know and ignores unknown fields. */
  readonly formatVersion: string;
  readonly name: string;
  /** Increases by at least one on every signing; a device never accepts a lower one. */
  readonly sequence: number;
  /** ISO 8601 time of signing. */
  readonly issuedAt: string;
  /** ISO 8601 time after which devices refuse the manifest. */
  readonly expires: string;
  readonly versions: readonly Release[];
  readonly policy: RolloutPolicy;
}

/** A pinned Ed25519 public key, in the JSON form `baton keygen` writes. */
export interface PublicKeyJson {
  /** Lowercase hex SHA-256 of the raw 32-byte public key. */
  readonly keyid: string;
  readonly alg: 'ed25519';
  /** Base64 of the raw 32-byte public key. */
  readonly publicKey: string;
}

/**
 * A public key as an app passes it: `keys/baton-public.json` imported as JSON, whose `alg` a
 * compiler types as `string`. Checked to be `'ed25519'` when the runtime starts.
 */
export interface PublicKeyInput {
  readonly keyid: string;
  readonly alg: string;
  readonly publicKey: string;
}

/** An Ed25519 private key as `baton keygen` writes it. Never ship this to a browser. */
export interface PrivateKeyJson extends PublicKeyJson {
  /** Base64 of the 32-byte seed. */
  readonly privateKey: string;
}

/** The DSSE envelope stored as `manifest.json`; the signatures cover the payload's exact bytes. */
export interface SignedEnvelope {
  readonly payloadType: string;
  /** Base64 of the UTF-8 JSON payload. */
  readonly payload: string;
  readonly signatures: readonly { readonly keyid: string; readonly sig: string }[];
}

// ---------------------------------------------------------------------------------------------
// Tensors as plain data (what crosses to the inference worker, and what health and drift read)

/**
 * A tensor's elements. Any typed array an app holds is accepted (`Float32Array` is
 * `Float32Array<ArrayBufferLike>`): buffers are transferred to the worker where they can be, and
 * a SharedArrayBuffer, which cannot be transferred, is shared instead.
 */
export type TensorData =
  Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | string[];

/** A tensor as plain data. onnxruntime-web's `Tensor` has this shape, so one can be passed as is. */
export interface TensorLike {
  readonly type: TensorElementType;
  readonly data: TensorData;
  readonly dims: readonly number[];
}

export type Feeds = Record<string, TensorLike>;

// ---------------------------------------------------------------------------------------------
// What an app configures for one model: crosses to the service worker and is stored there

/** The model interface the app was written against; a version that differs is refused. */
export interface ModelInterface {
  readonly inputs: readonly { readonly name: string; readonly type: TensorElementType }[];
  readonly outputs: readonly { readonly name: string; readonly type: TensorElementType }[];
}

/** What the device's inference runtime offers. */
export interface RuntimeInfo {
  /** onnxruntime-web's version, `ort.env.versions.web`. */
  readonly onnxruntimeWeb: string;
  /** Providers this device can use, best first. */
  readonly executionProviders: readonly ExecutionProvider[];
}

export interface RetrySettings {
  /**
   * Attempts per request, the first included, for failures that can heal: network errors, HTTP
   * 5xx, 408 and 429, `timeout` and `too-slow`. A hash or size mismatch, 403, 404 or 410 is tried
   * at most twice; quota and storage errors, and other 4xx, once.
   */
  readonly attempts: number;
  /** First backoff delay; doubles each attempt, with full jitter. */
  readonly baseDelayMs: number;
  /** Cap of every delay, a server's `Retry-After` included. */
  readonly maxDelayMs: number;
}

export interface DownloadSettings {
  /** Chunks fetched at once. */
  readonly concurrency: number;
  /** A request that receives no bytes for this long (headers included) is aborted: `timeout`. */
  readonly stallTimeoutMs: number;
  readonly retry: RetrySettings;
  /**
   * A body arriving slower than this, measured over `throughputWindowMs` once
   * `throughputGraceMs` of body have passed, is abandoned: `too-slow`. 0 turns the rule off, and
   * with it a chunk's deadline (the stall timer and the check deadline remain).
   * Default 1 KiB/s: a fiftieth of slow 3G, so only a trickling server or a dead link trips it.
   */
  readonly minBytesPerSecond?: number;
  /** The sliding window the throughput is measured over. Default 10 s. */
  readonly throughputWindowMs?: number;
  /** Time from a response's headers before the throughput rule applies. Default 10 s. */
  readonly throughputGraceMs?: number;
  /** The manifest's headers and body must arrive within this. Default 30 s. */
  readonly manifestDeadlineMs?: number;
  /**
   * A chunk's headers and body must arrive within `size ÷ minBytesPerSecond` plus this. Default
   * 30 s (a 4 MiB chunk: ~69 min, which only a body kept just above the minimum rate gets near).
   */
  readonly chunkDeadlineSlackMs?: number;
  /**
   * One check (manifest, every download it starts, bookkeeping) must finish within this plus the
   * time its missing bytes take at `checkBytesPerSecond`; past it, the check is aborted with
   * `timeout` and the next check starts afresh, keeping every chunk already verified. Default 10 min.
   */
  readonly checkDeadlineMs?: number;
  /**
   * The slowest average rate a check plans for: the check deadline grows by a release's missing
   * bytes ÷ this. Default 16 KiB/s (a 4 MiB release adds ~4 min, a 100 MB one ~1.7 h).
   */
  readonly checkBytesPerSecond?: number;
}

export interface ModelConfig {
  /** The model's name in the registry; the manifest must carry the same name. */
  readonly name: string;
  /** Absolute URL of `<registry>/<name>/manifest.json`; chunks are fetched next to it. */
  readonly manifestUrl: string;
  readonly publicKeys: readonly PublicKeyJson[];
  /** Valid signatures required from distinct pinned keys. Default 1. */
  readonly threshold?: number;
  readonly runtime: RuntimeInfo;
  /** Default: the interface of the version active on the device, once there is one. */
  readonly expect?: ModelInterface;
  /** Overrides the per-install random device id (for apps with their own user id, and tests). */
  readonly deviceId?: string;
  readonly download?: Partial<DownloadSettings>;
}
