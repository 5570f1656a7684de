// Validated BareMetalHost inputs → HostSpec (defaults applied, fingerprints computed). Pure.
// Fingerprints let the lifecycle see "credentials / image / config drive changed" on the node
// itself, without ever storing the secrets.
import { createHash, createHmac, randomBytes } from "crypto";
import { canonicalJson } from "../canonical-json";
import { timeoutMs } from "../duration";
import { DEFAULT_NAMESPACE } from "../render/well-known";
import type { HostTimeoutsInput, PlainHostInputs } from "./inputs";
import { bmcProfile, deployImageDriverInfo, DeployImages } from "./bmc";
import { raidPlan, RaidSpec } from "./raid";
import { firmwarePlan } from "./firmware";
import { ownerKeys } from "../owner-record";
import type { Deployment, HostSpec, PhaseTimeouts, RootDeviceHints } from "./spec";

export { DEFAULT_NAMESPACE };
export const DEFAULT_RESOURCE_CLASS = "baremetal";

/** Default per-phase deadlines, minutes. */
export const DEFAULT_PHASE_MINUTES: Record<keyof PhaseTimeouts, number> = {
    register: 5,
    inspect: 30,
    clean: 60,
    deploy: 60,
    deprovision: 60,
    power: 5,
    delete: 60,
    softPowerOff: 3,
};

/**
 * Default whole-operation deadlines, minutes: long enough for a real server (inspection, cleaning
 * and a deploy in one create; undeploy, cleaning and a new deploy in one update), short enough
 * that a stuck host fails the run instead of holding it for good. The phase deadlines still apply.
 */
export const DEFAULT_OPERATION_MINUTES = { create: 120, update: 180, delete: 90 } as const;

/**
 * Whole-operation deadline (ms) for `op` from the `timeouts` input (durations; a number is state
 * of earlier releases, minutes: provider/duration.ts), default DEFAULT_OPERATION_MINUTES.
 */
export function operationTimeoutMs(t: HostTimeoutsInput | undefined, op: keyof typeof DEFAULT_OPERATION_MINUTES): number {
    return timeoutMs(t?.[op], DEFAULT_OPERATION_MINUTES[op] * 60_000, "minutes");
}

export function nodeNameFor(namespace: string | undefined, name: string): string {
    return `${namespace ?? DEFAULT_NAMESPACE}~${name}`;
}

export { canonicalJson };

export function sha256(...parts: string[]): string {
    const h = createHash("sha256");
    for (const p of parts) h.update(p).update("\0");
    return h.digest("hex");
}

/**
 * Digests of secrets (BMC credentials, config drive data) are HMACs under a random key kept only
 * as a secret in the resource's state: a reader of the Ironic node (or of the state without its
 * secrets) cannot test guesses of a password against them. `hmac-sha256:<key id>:<mac>`; the
 * key id (itself an HMAC, revealing nothing) tells a digest made under another key apart from
 * a changed secret.
 */
const KEYED_PREFIX = "hmac-sha256:";

export function newDigestKey(): string {
    return randomBytes(32).toString("hex");
}

export function digestKeyId(key: string): string {
    return createHmac("sha256", key).update("pulumi-metal3 digest key id").digest("hex").slice(0, 12);
}

export function keyedDigest(key: string, ...parts: string[]): string {
    const h = createHmac("sha256", key);
    for (const p of parts) h.update(p).update("\0");
    return `${KEYED_PREFIX}${digestKeyId(key)}:${h.digest("hex")}`;
}

/** The key id of a keyed digest; undefined for a digest of the old, unkeyed form (or none). */
export function keyIdOf(digest: unknown): string | undefined {
    if (typeof digest !== "string" || !digest.startsWith(KEYED_PREFIX)) return undefined;
    return digest.slice(KEYED_PREFIX.length).split(":", 1)[0];
}

/** Keyed digest of a secret input, stored in outputs instead of the value. */
export function secretDigest(key: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    return keyedDigest(key, canonicalJson(value));
}

/** The salted sha256 of releases before keyed digests: recognised in old state, never written. */
export function legacySecretDigest(salt: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    return sha256(salt, canonicalJson(value));
}

export type { PlainHostInputs };

function deploymentOf(i: PlainHostInputs, bootMode: HostSpec["bootMode"], digestKey: string): Deployment | undefined {
    if (!i.image && !i.customDeploy) return undefined;
    const d = {
        image: i.image as Deployment["image"],
        customDeploy: i.customDeploy as Deployment["customDeploy"],
        userData: i.userData,
        networkData: i.networkData,
        metaData: i.metaData,
        rootDeviceHints: i.rootDeviceHints as RootDeviceHints | undefined,
        bootMode,
    };
    return { ...d, fingerprint: keyedDigest(digestKey, "deployment", canonicalJson(d)), legacyFingerprint: sha256("deployment", canonicalJson(d)) };
}

/** Ironic API >= 1.86 has firmware interfaces; older ones reject the field. */
function supportsFirmwareInterface(apiVersion: string): boolean {
    const [major, minor] = apiVersion.split(".").map(Number);
    return major > 1 || (major === 1 && minor >= 86);
}

/**
 * Inputs must have passed the schema and contain no unknowns (create/update time). `digestKey`
 * keys the fingerprints written on the node (the resource's secret key, see keyedDigest).
 */
export function hostSpecFromInputs(
    i: PlainHostInputs,
    opts: { apiVersion: string; digestKey: string; deployImageDefaults?: DeployImages; ownerKey?: string },
): HostSpec {
    const bmc = i.bmc as { address: string; username?: string; password?: string; disableCertificateVerification?: boolean; caFile?: string };
    const profile = bmcProfile(bmc);
    if (!supportsFirmwareInterface(opts.apiVersion)) delete profile.interfaces.firmware_interface;
    const raid = raidOf(i);
    // Software RAID is done by the agent's raid interface (BMO switches raid_interface the same way).
    if (raid?.raidInterface && !profile.isFake) profile.interfaces.raid_interface = raid.raidInterface;
    const namespace = i.namespace ?? DEFAULT_NAMESPACE;
    const nodeName = nodeNameFor(namespace, i.name);
    const bootMode = (i.bootMode ?? "UEFI") as HostSpec["bootMode"];
    // Agent images: the host's own inputs win field by field over the stack config's.
    const images: DeployImages = { ...opts.deployImageDefaults };
    for (const k of ["deployKernel", "deployRamdisk", "deployIso"] as const) if (i[k] !== undefined) images[k] = i[k] as string;
    return {
        name: i.name,
        namespace,
        nodeName,
        bmc: profile,
        bmcFingerprint: keyedDigest(opts.digestKey, "bmc", nodeName, canonicalJson({ d: profile.driver, i: profile.driverInfo })),
        // What releases before keyed digests wrote: recognised once, then replaced without touching the BMC.
        legacyBmcFingerprint: sha256("bmc", nodeName, canonicalJson({ d: profile.driver, i: profile.driverInfo })),
        digestKeyId: digestKeyId(opts.digestKey),
        deployImages: deployImageDriverInfo(profile, images),
        bootMACAddress: i.bootMACAddress?.toLowerCase(),
        bootMode,
        online: i.online as boolean,
        description: i.description,
        architecture: i.architecture,
        automatedCleaningMode: (i.automatedCleaningMode ?? "metadata") as HostSpec["automatedCleaningMode"],
        inspectionMode: (i.inspectionMode ?? "agent") as HostSpec["inspectionMode"],
        externallyProvisioned: i.externallyProvisioned === true,
        disablePowerOff: i.disablePowerOff === true,
        deployment: deploymentOf(i, bootMode, opts.digestKey),
        labels: (i.labels ?? {}) as Record<string, string>,
        resourceClass: i.resourceClass ?? DEFAULT_RESOURCE_CLASS,
        traits: (i.traits ?? []) as string[],
        raid,
        firmware: firmwarePlan(i.firmware?.settings),
        serviceFirmware: i.updatePolicy?.firmwareSettings === "onReboot",
        owner: i.owner as HostSpec["owner"],
        // The owner record's MAC: under the stack's ownerKey when set, else this resource's digest key.
        ownerKeys: ownerKeys(opts.ownerKey, opts.digestKey),
        adoptForce: i.adoptNode !== undefined && i.adoptForce === true,
        rebootRequest: i.rebootRequest,
        powerOffMode: i.powerOffMode ?? "hard",
        inspectRequest: i.inspectRequest,
        detached: i.detached === true,
        // At preview a dataImage not known until apply stands as one placeholder string (preview-inputs.ts).
        ...(i.dataImage ? { dataImage: { url: typeof i.dataImage === "object" ? i.dataImage.url : String(i.dataImage) } } : {}),
    };
}

function raidOf(i: PlainHostInputs): HostSpec["raid"] {
    const plan = raidPlan(i.raid as RaidSpec | undefined, i.rootDeviceHints as RootDeviceHints | undefined);
    return plan && { ...plan, fingerprint: sha256("raid", canonicalJson(plan)).slice(0, 32) };
}

/** Per-phase deadlines (ms) from the `timeouts` input (durations; numbers: old state, minutes). */
export function phaseTimeouts(t: HostTimeoutsInput | undefined): PhaseTimeouts {
    const out = {} as PhaseTimeouts;
    for (const k of Object.keys(DEFAULT_PHASE_MINUTES) as (keyof PhaseTimeouts)[]) out[k] = timeoutMs(t?.[k], DEFAULT_PHASE_MINUTES[k] * 60_000, "minutes");
    return out;
}
