// What an update of a BareMetalHost will do, known before it runs: the preview (`pulumi preview`,
// the SDK's diff) asks the same decision the update then follows (lifecycle.ts nextAction), on
// the node as the last run recorded it, step after step until the host is where the new spec
// says. So "will it wipe this host?" has one answer, not a second hand-kept list of keys. Pure.
import type { JsonPatchOp, Node, Port } from "../ironic/types";
import { instancePatch } from "./instance";
import { EXTRA, HostAction, nextAction, ObservedHost, pendingRecord, registrationPatch } from "./lifecycle";
import type { HostSpec } from "./spec";
import { DEFAULT_NAMESPACE } from "../render/well-known";
import { sameJson } from "../canonical-json";

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
    /** Set when the host's disk is wiped: rebuilt with the new deployment, or deprovisioned. */
    wipe?: "REPROVISION (wipe)" | "DEPROVISION (wipe)";
    /** Where the host ends. */
    ends: { provisionState: string; powerState: string | null };
    /** The update will refuse this change (the lifecycle's own `fail` message). */
    refusal?: string;
}

const MAX_STEPS = 40;

/** States in which the node carries the deployment record of the spec it was last converged to. */
const DEPLOYED_STATES = new Set(["active", "deploying", "wait call-back", "deploy failed"]);

/**
 * The node as the last run left it for `spec`: registered as the spec says, with its boot port,
 * traits, RAID record and (when it is active and ours) the deployment record of spec's deployment.
 */
export function recordedNode(spec: HostSpec, rec: RecordedHost): ObservedHost {
    const blank: Node = {
        uuid: "recorded",
        name: null,
        driver: "",
        driver_info: {},
        provision_state: "available",
        target_provision_state: null,
        power_state: rec.powerState,
        target_power_state: null,
        maintenance: false,
        maintenance_reason: null,
        last_error: null,
        extra: {},
        properties: {},
        instance_info: {},
        instance_uuid: null,
        allocation_uuid: null,
        resource_class: null,
        traits: [...spec.traits],
        description: null,
        created_at: "recorded",
        updated_at: null,
    };
    let node = applyPatch(blank, registrationPatch(spec, blank));
    node = { ...node, provision_state: rec.provisionState, inspection_finished_at: spec.inspectionMode !== "disabled" ? "recorded" : null };
    if (spec.raid) node.extra[EXTRA.raid] = spec.raid.fingerprint;
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
    let current = observed;
    for (let i = 0; i < MAX_STEPS; i++) {
        const action = nextAction(spec, current);
        if (action.kind === "done") return { steps, end: current.node };
        if (action.kind === "fail") return { steps, end: current.node, refusal: action.message };
        steps.push(action);
        current = afterStep(spec, current, action);
    }
    return { steps, end: current.node, refusal: `the lifecycle does not settle within ${MAX_STEPS} steps (${steps.map(stepText).join(" → ")})` };
}

/** What updating a host recorded with `oldSpec` to `newSpec` will do. */
export function planChange(oldSpec: HostSpec, newSpec: HostSpec, rec: RecordedHost): ChangePlan {
    const before = recordedNode(oldSpec, rec);
    const { steps, end, refusal } = predictSteps(newSpec, before);
    const wasDeployed = before.node.extra[EXTRA.deployment] !== undefined;
    const wipes = wasDeployed && steps.some((s) => s.kind === "undeploy" || (s.kind === "deploy" && s.rebuild));
    const wipe = !wipes ? undefined : end.provision_state === "active" ? "REPROVISION (wipe)" : "DEPROVISION (wipe)";
    return { steps, wipe, ends: { provisionState: end.provision_state, powerState: end.power_state }, refusal };
}

/** One line for the operator: the steps that touch the disk or the power, and where the host ends. */
export function describePlan(plan: ChangePlan): string {
    const shown = plan.steps.filter((s) => s.kind !== "patch" && s.kind !== "set-traits" && s.kind !== "create-port");
    const end = `ends ${plan.ends.provisionState}${plan.ends.powerState ? `, ${plan.ends.powerState}` : ""}`;
    return shown.length ? `${shown.map(stepText).join(" → ")}; ${end}` : end;
}

export function stepText(a: HostAction): string {
    switch (a.kind) {
        case "provision":
            return a.target;
        case "deploy":
            return a.rebuild ? "rebuild" : "deploy";
        case "undeploy":
            return `undeploy (${a.reason})`;
        case "power":
            return a.target;
        case "patch":
            return a.inMaintenance ? "patch in maintenance" : "patch";
        default:
            return a.kind;
    }
}

/** The node as Ironic leaves it after `a` succeeds. */
function afterStep(spec: HostSpec, { node, ports }: ObservedHost, a: HostAction): ObservedHost {
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
        case "wait":
            if (a.kind === "provision" && a.target === "inspect") n.inspection_finished_at = "predicted";
            return { node: { ...n, provision_state: a.expect[0] }, ports };
        case "deploy": {
            const d = spec.deployment!;
            const deployed = applyPatch(n, instancePatch(n, d));
            deployed.extra[EXTRA.deployment] = d.fingerprint;
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
export function identityChanges(olds: Record<string, unknown>, news: Record<string, unknown>, unknown: (v: unknown) => boolean): { replaces: string[]; changed: string[] } {
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
    const provisionState = (outs.ironicProvisionState as string | undefined) ?? (metal3 === "provisioned" || metal3 === "externally provisioned" ? "active" : "available");
    const powerState = (outs.powerState as string | null | undefined) ?? (outs.poweredOn === true ? "power on" : "power off");
    return { provisionState, powerState, deploymentPending: outs.deploymentPending === true };
}

/**
 * When the update cannot be predicted at preview (its spec cannot be built yet): a provisioned
 * host is announced as possibly wiped, never as untouched. `"POSSIBLY REPROVISION (wipe)|why"`.
 */
export function unpredictedUpdate(rec: RecordedHost, err: unknown): string | undefined {
    if (rec.provisionState !== "active") return undefined;
    return `POSSIBLY REPROVISION (wipe)|the update could not be predicted at preview (${err instanceof Error ? err.message : String(err)})`;
}
