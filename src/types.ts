/**
 * The nouns of Baton: what a release is, what a manifest promises, how a rollout is described.
 * The wire format behind them is specified in docs/release-format.md; `manifest/schema.ts`
 * validates untrusted JSON into these types.
 */

/** A version label as published, e.g. `"1.4.0"` or `"2026-11-25.1"`. Compared for equality only. */
export type VersionId = string;

/** Element types a tensor can have, named as onnxruntime-web names them. */
export type TensorElementType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'bfloat16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string';

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
  /** No verdict on fewer requests than this. */
  readonly minRequests: number;
  /** Roll back when the candidate's error rate exceeds the baseline's by more than this (0–1). */
  readonly maxErrorRateIncrease: number;
  /** Roll back when the candidate's p95 latency exceeds the baseline's by this factor. */
  readonly maxP95Ratio: number;
  /** Roll back when shadow agreement falls below this (0–1). */
  readonly minShadowAgreement: number;
  /** A candidate healthy for this many requests is promoted on the device. */
  readonly promoteAfterRequests: number;
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
