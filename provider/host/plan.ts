// What an update of a BareMetalHost will do, known before it runs: the preview (`pulumi preview`,
// the SDK's diff) asks the same decision the update then follows (lifecycle.ts nextAction), on
// the node as the last run recorded it, step after step until the host is where the new spec
// says. So "will it wipe this host?" has one answer, not a second hand-kept list of keys.
// predictUpdate gives the preview a structured plan (wipe and why, reboot, steps, day-two costs)
// that the SDK only words (sdk/providers/host-preview.ts). Pure.
import { blankNode, type JsonPatchOp, type Node, type Port } from "../ironic/types";
import { instancePatch } from "./instance";
import { EXTRA, HostAction, nextAction, ObservedHost } from "./lifecycle";
import { pendingRecord } from "./records";
import { registrationPatch } from "./registration";
import type { HostSpec } from "./spec";
import { DEFAULT_NAMESPACE } from "../render/well-known";
import { dayTwoCosts, requestRecords, type DayTwoCost } from "./day-two";
import { sameJson } from "../canonical-json";
import { stepText } from "./words";
import { hostSpecFromInputs, newDigestKey } from "./desired";
import type { PlainHostInputs } from "./inputs";
import { holdsUnknown, PreviewContract, previewInputs, RecordedDigests, revertInput } from "./preview-inputs";
import { dataImageWaits, FORGET_DATA_IMAGE, recordDataImageOps } from "./data-image";

/** What the previous run recorded about the node (the resource's outputs). */
export interface RecordedHost {
    /** Ironic provision state the last run ended in. */
    provisionState: string;
    powerState: string | null;
    /** The node's deployment record is pending: the last deploy or rebuild never reached Ironic. */
    deploymentPending?: boolean;
}

/** What a change does to a host, as nextAction will carry it out. */
export interface ChangePlan {
    /** The lifecycle steps, in order (empty: nothing to do on the node). */
    steps: HostAction[];
    /** Set when the host's disk is wiped: rebuilt with the new deployment (reprovision), or deprovisioned. */
    wipe?: WipeKind;
    /** Where the host ends. */
    ends: { provisionState: string; powerState: string | null };
    /** The update will refuse this change (the lifecycle's own `fail` message). */
    refusal?: string;
    /** The update reboots the running host (rebootRequest), in this power-off mode. */
    reboot?: "soft" | "hard";
    /** The update removes the host's Ironic node and leaves the server as it is (detached: true). */
    detach?: boolean;
    /** The update enrols the detached host's node again and takes it back as it is (detached: false). */
    reattach?: boolean;
    /** What the change costs the running server beyond a wipe (day-two.ts dayTwoCosts). */
    costs: DayTwoCost[];
    /** The update applies firmware settings: by servicing an active host (no wipe, a reboot) or by manual cleaning. */
    firmware?: "service" | "clean";
}

/** How a wipe leaves the host: rebuilt with the new deployment, or deprovisioned (no image any more). */
export type WipeKind = "reprovision" | "deprovision";

const MAX_STEPS = 40;

/** States in which the node carries the deployment record of the spec it was last converged to. */
const DEPLOYED_STATES = new Set(["active", "deploying", "wait call-back", "deploy failed"]);

/**
 * The node as the last run left it for `spec`: registered as the spec says, with its boot port,
 * traits, RAID record and (when it is active and ours) the deployment record of spec's deployment.
 */
export function recordedNode(spec: HostSpec, rec: RecordedHost): ObservedHost {
    const blank = blankNode({ uuid: "recorded", power_state: rec.powerState, traits: [...spec.traits], created_at: "recorded" });
    let node = applyPatch(blank, registrationPatch(spec, blank));
    node = { ...node, provision_state: rec.provisionState, inspection_finished_at: spec.inspectionMode !== "disabled" ? "recorded" : null };
    // The requests the last run carried out (a reboot's is also recorded by registrationPatch above).
    Object.assign(node.extra, requestRecords(spec));
    if (spec.raid) node.extra[EXTRA.raid] = spec.raid.fingerprint;
    if (spec.firmware) node.extra[EXTRA.firmware] = spec.firmware.fingerprint;
    // The data image the last run attached (only a provisioned host gets one).
    if (rec.provisionState === "active" && spec.dataImage) node.extra[EXTRA.dataImage] = spec.dataImage.url;
    if (DEPLOYED_STATES.has(rec.provisionState) && spec.deployment && !spec.externallyProvisioned) {
        node = applyPatch(node, instancePatch(node, spec.deployment));
        node.extra[EXTRA.deployment] = rec.deploymentPending ? pendingRecord(spec.deployment.fingerprint, node) : spec.deployment.fingerprint;
    }
    const ports = spec.bootMACAddress ? [port(spec.bootMACAddress, 0)] : [];
    return { node, ports };
}

/** The steps nextAction takes from `observed` to `done` (or to its `fail`), each step's effect simulated. */
export function predictSteps(spec: HostSpec, observed: ObservedHost): { steps: HostAction[]; end: Node; refusal?: string } {
    const steps: HostAction[] = [];
    let current: ObservedHost | undefined = observed;
    // A detach removes the node: where it ends is where it was last.
    let last = observed.node;
    for (let i = 0; i < MAX_STEPS; i++) {
        const action = nextAction(spec, current);
        if (action.kind === "done") return { steps, end: last };
        if (action.kind === "fail") return { steps, end: last, refusal: action.message };
        steps.push(action);
        current = current && afterStep(spec, current, action);
        if (current) last = current.node;
    }
    return { steps, end: last, refusal: `the lifecycle does not settle within ${MAX_STEPS} steps (${steps.map((a) => stepText(a)).join(" → ")})` };
}

/** What updating a host recorded with `oldSpec` to `newSpec` will do. */
export function planChange(oldSpec: HostSpec, newSpec: HostSpec, rec: RecordedHost): ChangePlan {
    if (oldSpec.detached) return planFromDetached(oldSpec, newSpec, rec);
    const before = recordedNode(oldSpec, rec);
    const { steps, end, refusal } = predictSteps(newSpec, before);
    const plan = summarise(steps, end, refusal, before.node.extra[EXTRA.deployment] !== undefined, { detach: newSpec.detached });
    const waits = newSpec.detached ? undefined : dataImageWaits(oldSpec, newSpec, plan.ends.provisionState);
    if (waits) plan.costs.push({ kind: "data-image-waits", ...waits });
    return plan;
}

/** The one reading of predicted steps the preview prints and the update follows: wipe, reboot, detach. */
function summarise(
    steps: HostAction[],
    end: Node,
    refusal: string | undefined,
    wasDeployed: boolean,
    extra: Pick<ChangePlan, "detach" | "reattach">,
): ChangePlan {
    const wipes = wasDeployed && steps.some((s) => s.kind === "undeploy" || (s.kind === "deploy" && s.rebuild));
    const wipe: WipeKind | undefined = !wipes ? undefined : end.provision_state === "active" ? "reprovision" : "deprovision";
    const reboot = steps.find((s): s is Extract<HostAction, { kind: "reboot" }> => s.kind === "reboot")?.mode;
    const plan: ChangePlan = {
        steps,
        wipe,
        ends: { provisionState: end.provision_state, powerState: end.power_state },
        refusal,
        costs: dayTwoCosts(steps, extra),
    };
    if (reboot) plan.reboot = reboot;
    const firmware = steps.find((s): s is Extract<HostAction, { kind: "configure-firmware" }> => s.kind === "configure-firmware")?.via;
    if (firmware) plan.firmware = firmware;
    if (extra.detach) plan.detach = true;
    if (extra.reattach) plan.reattach = true;
    return plan;
}

/**
 * A host the last run detached (its node is gone): still detached, nothing to do; re-attached,
 * its node is enrolled again with what the detach recorded (the provision state it had and its
 * deployment record) and the lifecycle goes on from there (an active host is adopted).
 */
function planFromDetached(oldSpec: HostSpec, newSpec: HostSpec, rec: RecordedHost): ChangePlan {
    if (newSpec.detached) return { steps: [], ends: { provisionState: rec.provisionState, powerState: rec.powerState }, detach: true, costs: [] };
    const enrolled = recordedNode(newSpec, { provisionState: "enroll", powerState: rec.powerState });
    delete enrolled.node.extra[EXTRA.deployment];
    const active = rec.provisionState === "active";
    if (active) enrolled.node.extra[EXTRA.reattach] = "active";
    if (active && oldSpec.deployment && !oldSpec.externallyProvisioned) enrolled.node.extra[EXTRA.deployment] = oldSpec.deployment.fingerprint;
    enrolled.node.inspection_finished_at = null;
    const { steps, end, refusal } = predictSteps(newSpec, enrolled);
    return summarise([{ kind: "enrol" }, ...steps], end, refusal, enrolled.node.extra[EXTRA.deployment] !== undefined, { reattach: true });
}

/** The node as Ironic leaves it after `a` succeeds. */
function afterStep(spec: HostSpec, { node, ports }: ObservedHost, a: HostAction): ObservedHost | undefined {
    const n: Node = { ...node, extra: { ...node.extra }, instance_info: { ...node.instance_info }, target_provision_state: null };
    switch (a.kind) {
        case "enrol":
            return recordedNode(spec, { provisionState: "enroll", powerState: null });
        case "patch":
            return { node: applyPatch(n, a.ops), ports };
        case "create-port":
            return { node: n, ports: [...ports, port(a.address, ports.length)] };
        case "set-traits":
            return { node: { ...n, traits: [...a.traits] }, ports };
        case "unset-maintenance":
            return { node: { ...n, maintenance: false, maintenance_reason: null }, ports };
        case "set-maintenance":
            return { node: { ...n, maintenance: true, maintenance_reason: a.reason }, ports };
        case "provision":
        case "wait": {
            if (a.kind === "provision" && a.target === "inspect") n.inspection_finished_at = "predicted";
            const reached = { ...n, provision_state: a.expect[0] };
            return { node: a.kind === "provision" && a.record ? applyPatch(reached, a.record) : reached, ports };
        }
        case "reboot":
            return { node: { ...applyPatch(n, a.record), power_state: "power on" }, ports };
        case "delete-node":
            return undefined;
        case "deploy": {
            const d = spec.deployment!;
            const deployed = applyPatch(n, instancePatch(n, d));
            deployed.extra[EXTRA.deployment] = d.fingerprint;
            // A deploy through virtual media ejects every virtual CD (Ironic's redfish boot.py prepare_instance): the data image goes too.
            if (/virtual-media/.test(n.boot_interface ?? "")) delete deployed.extra[EXTRA.dataImage];
            Object.assign(deployed.extra, requestRecords({ rebootRequest: spec.rebootRequest }));
            return { node: { ...deployed, provision_state: "active", power_state: "power on" }, ports };
        }
        case "undeploy":
            delete n.extra[EXTRA.deployment];
            return { node: { ...n, provision_state: "available", instance_info: {}, power_state: spec.disablePowerOff ? n.power_state : "power off" }, ports };
        case "power":
            return { node: { ...n, power_state: a.target }, ports };
        case "configure-raid":
            n.extra[EXTRA.raid] = spec.raid!.fingerprint;
            return { node: n, ports };
        case "configure-firmware":
            n.extra[EXTRA.firmware] = spec.firmware!.fingerprint;
            return { node: n, ports };
        case "attach-data-image":
            return { node: applyPatch(n, recordDataImageOps(a.url)), ports };
        case "detach-data-image":
            return { node: applyPatch(n, FORGET_DATA_IMAGE), ports };
        default:
            return { node: n, ports };
    }
}

function port(address: string, i: number): Port {
    return { uuid: `port-${i}`, address, node_uuid: "recorded", pxe_enabled: true, extra: {}, created_at: "recorded", updated_at: null };
}

/** Applies JSON-patch add/replace/remove to a copy of the node (the paths registration and deploys use). */
function applyPatch(node: Node, ops: JsonPatchOp[]): Node {
    const out = JSON.parse(JSON.stringify(node)) as Record<string, unknown>;
    for (const op of ops) {
        const keys = op.path.split("/").slice(1);
        let at = out;
        for (const k of keys.slice(0, -1)) {
            if (!at[k] || typeof at[k] !== "object") at[k] = {};
            at = at[k] as Record<string, unknown>;
        }
        const last = keys[keys.length - 1];
        if (op.op === "remove") delete at[last];
        else at[last] = JSON.parse(JSON.stringify((op as { value?: unknown }).value ?? null));
    }
    return out as unknown as Node;
}

/**
 * Inputs that identify the Ironic node: changing them needs a new node (a replace: the old one is
 * deprovisioned and deleted). They name it (`<namespace>~<name>`) or find it (the boot MAC, once
 * set). Nothing else does: a BMC address or scheme change is an update (the driver is switched in
 * place).
 */
export const NODE_IDENTITY_KEYS = ["name", "namespace", "bootMACAddress"] as const;

/**
 * Which identity inputs changed: `replaces` force a new node; a boot MAC given for the first time
 * is an update (`changed`). `unknown(v)`: v is not known until apply, taken as changed.
 */
export function identityChanges(
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
    unknown: (v: unknown) => boolean,
): { replaces: string[]; changed: string[] } {
    const replaces: string[] = [];
    const changed: string[] = [];
    for (const k of ["name", "namespace"] as const) {
        const oldV = k === "namespace" ? (olds[k] ?? DEFAULT_NAMESPACE) : olds[k];
        const newV = k === "namespace" ? (news[k] ?? DEFAULT_NAMESPACE) : news[k];
        if (!sameJson(oldV, newV)) replaces.push(k);
    }
    // Boot MAC: immutable once set (case-insensitive), as in Metal³. Unknown at preview: assume it changes.
    const oldMac = olds.bootMACAddress as string | undefined;
    const newMac = news.bootMACAddress as string | undefined;
    if (unknown(newMac) || (oldMac ?? "").toLowerCase() !== (newMac ?? "").toLowerCase()) {
        if (oldMac) replaces.push("bootMACAddress");
        else changed.push("bootMACAddress");
    }
    return { replaces, changed };
}

/** What the recorded node shows, from the resource's outputs (older states lack ironicProvisionState / powerState). */
export function recordedFromOutputs(outs: Record<string, unknown>): RecordedHost {
    const metal3 = String(outs.provisioningState ?? "");
    const provisionState =
        (outs.ironicProvisionState as string | undefined) ?? (metal3 === "provisioned" || metal3 === "externally provisioned" ? "active" : "available");
    const powerState = (outs.powerState as string | null | undefined) ?? (outs.poweredOn === true ? "power on" : "power off");
    return { provisionState, powerState, deploymentPending: outs.deploymentPending === true };
}

/** Why an update wipes the host (sdk/providers/host-preview.ts words each). */
export type WipeReason =
    /** These inputs changed (`known`), or are not known until apply (`known: false`), and without them the update would not wipe. */
    | { kind: "inputs"; inputs: string[]; known: boolean }
    /** The image (and custom deploy) removed: the host is deprovisioned. */
    | { kind: "image-removed" }
    /** The last deploy or rebuild never reached Ironic: the update does it. */
    | { kind: "deploy-pending" }
    /** The update could not be predicted at preview (its spec cannot be built yet): a provisioned host may be wiped. */
    | { kind: "unpredicted"; error: string };

/** What an update will do, as the preview announces it: the lifecycle's plan, and whether and why it wipes the host. */
export interface UpdatePrediction {
    /** The lifecycle's plan for the update as declared (absent: it could not be predicted). */
    plan?: ChangePlan;
    /** The update will refuse this change (the lifecycle's own message). */
    refusal?: string;
    /** The update wipes the host; `possibly`: only if values unknown at preview turn out changed (or it could not be predicted). */
    wipe?: { kind: WipeKind; possibly: boolean; why: WipeReason[] };
}

/** Any API version: both specs of a preview are built with the same one. */
const PREVIEW_API_VERSION = "1.86";

/**
 * What updating the host recorded in `olds` (the resource's outputs) to the inputs `n` will do,
 * `changed`: the inputs that differ (dotted paths for the BMC's fields). The lifecycle's own plan
 * (planChange on the node as the last run recorded it), and for a wipe the changes that cause it:
 * those without which the lifecycle would not wipe, or would wipe differently.
 */
export function predictUpdate(c: PreviewContract, olds: Record<string, unknown>, n: Record<string, unknown>, changed: readonly string[]): UpdatePrediction {
    const rec = recordedFromOutputs(olds);
    // Both specs under one key: only whether their fingerprints differ matters here.
    const digestKey = (olds.secretDigests as RecordedDigests | undefined)?.key ?? newDigestKey();
    const specOf = (i: PlainHostInputs) => hostSpecFromInputs(i, { apiVersion: PREVIEW_API_VERSION, digestKey });
    try {
        const oldSpec = specOf(previewInputs(c, olds, olds, true, "same"));
        const planFor = (inputs: Record<string, unknown>, unknowns: "same" | "changed") =>
            planChange(oldSpec, specOf(previewInputs(c, inputs, olds, false, unknowns)), rec);
        const plan = planFor(n, "changed");
        const unknownNow = holdsUnknown(c, n);
        // Refused only on what is known: values unknown at preview are taken as they were.
        const refusal = unknownNow ? planFor(n, "same").refusal : plan.refusal;
        // A refusal the recorded host already meets is not this change's.
        if (refusal && !planChange(oldSpec, oldSpec, rec).refusal) return { plan, refusal };
        if (!plan.wipe) return { plan };
        const keys = [...new Set(changed.map((k) => k.split(".")[0]))];
        const causes = keys.filter((k) => planFor(revertInput(c, n, olds, k), "changed").wipe !== plan.wipe);
        const possibly = unknownNow && !planFor(n, "same").wipe;
        const why: WipeReason[] = [];
        if (plan.wipe === "deprovision" && !n.image && !n.customDeploy) why.push({ kind: "image-removed" });
        else if (causes.length || keys.length) why.push({ kind: "inputs", inputs: causes.length ? causes : keys, known: !possibly });
        if (rec.deploymentPending) why.push({ kind: "deploy-pending" });
        return { plan, wipe: { kind: plan.wipe, possibly, why } };
    } catch (e) {
        // Not predictable: a provisioned host is announced as possibly wiped, never as untouched.
        if (rec.provisionState !== "active") return {};
        return { wipe: { kind: "reprovision", possibly: true, why: [{ kind: "unpredicted", error: e instanceof Error ? e.message : String(e) }] } };
    }
}
