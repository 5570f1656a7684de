// The Ironic side of putting an image on a node and taking it off again, as baremetal-operator
// does it (baremetal-operator pkg/provisioner/ironic/ironic.go: Provision, Deprovision). Shared by BareMetalHost and Machine: callers
// decide *when* (lifecycle.ts, ../machine/lifecycle.ts); the steps of the deploy and undeploy
// paths are decided by lifecycle.ts too (deployTarget, undeployStep; maintenance.ts
// maintenanceBeforeProvisioning); these functions only make the Ironic calls.
import type { IronicClient } from "../ironic";
import { IronicError } from "../ironic";
import type { JsonPatchOp, Node } from "../ironic/types";
import { agentImagesNeeded, missingAgentImages } from "./bmc";
import { buildConfigDrive } from "./configdrive";
import { customDeploySteps, instancePatch } from "./instance";
import { deployTarget, undeployStep } from "./lifecycle";
import { maintenanceBeforeProvisioning, operatorMaintenanceMessage } from "./maintenance";
import { pendingRecord } from "./records";
import type { BootMode, HostImage, RootDeviceHints } from "./spec-types";

export interface DeployRequest {
    image?: HostImage;
    customDeploy?: { method: string };
    userData?: string | Record<string, unknown>;
    networkData?: string | Record<string, unknown>;
    metaData?: string | Record<string, unknown>;
    /** Host (or machine) name for the config drive's default meta_data. */
    hostName: string;
    namespace: string;
    rootDeviceHints?: RootDeviceHints;
    bootMode?: BootMode;
    /**
     * The deployment record kept in node.extra (e.g. the fingerprint of image + data): written
     * once Ironic has accepted the deploy or rebuild. Until then the keys hold a pending record
     * (records.ts pendingRecord), so a node whose request failed or was lost is still known as
     * ours and is deployed again, and one whose deploy Ironic took is recognised as such.
     */
    extra?: Record<string, string>;
}

export interface WaitSettings {
    timeoutMs: number;
    onProgress?: (msg: string) => void;
    /** The node passed in is Ironic's answer from just now (a wait, patch or lookup): do not fetch it again. */
    nodeIsCurrent?: boolean;
}

export interface UndeployRequest extends WaitSettings {
    cleaningMode: "metadata" | "disabled";
    /** Skip the final power-off (Metal³ disablePowerOff). */
    disablePowerOff?: boolean;
    /** node.extra keys to remove once the node is back in `available`. */
    clearExtra?: string[];
}

function label(node: Pick<Node, "uuid" | "name">): string {
    return node.name ? `${node.name} (${node.uuid})` : node.uuid;
}

/**
 * What a failed deploy names besides the node: the image and its checksum (or the custom step).
 * Ironic's last_error does not say which image, e.g. "Failed to prepare to deploy: The supplied
 * image checksum is invalid or does not match." (ironic 39, image_download_source local).
 */
export function deployWaitLabel(d: Pick<DeployRequest, "image" | "customDeploy">): string {
    if (d.image) return `deploy of image ${d.image.url}${d.image.checksum ? ` (checksum ${d.image.checksum})` : ""}`;
    return `deploy by custom step ${d.customDeploy?.method ?? "(none)"}`;
}

function progress(w: WaitSettings, what: string) {
    return (n: Node, ms: number) =>
        w.onProgress?.(`${what}: ${n.provision_state}${n.target_provision_state ? ` → ${n.target_provision_state}` : ""} (${Math.round(ms / 1000)}s)`);
}

function failure(node: Node, what: string): IronicError {
    return new IronicError(
        `${what} on node ${label(node)} is impossible: provision state "${node.provision_state}", last_error: ${node.last_error ?? "none"}`,
        { operation: what, node: node.name ?? node.uuid, provisionState: node.provision_state, lastError: node.last_error ?? undefined },
    );
}

/** Leaves maintenance where the lifecycle says it may (maintenanceBeforeProvisioning), else refuses. */
async function leaveMaintenance(client: IronicClient, node: Node): Promise<Node> {
    switch (maintenanceBeforeProvisioning(node)) {
        case "none":
            return node;
        case "refuse-fault":
            throw failure(node, `node is in maintenance because of fault "${node.fault}"`);
        case "refuse-operator":
            throw new IronicError(`node ${label(node)}: ${operatorMaintenanceMessage(node, "deploy or deprovision it")}`, {
                operation: "deploy or deprovision",
                node: node.name ?? node.uuid,
                provisionState: node.provision_state,
                lastError: node.last_error ?? undefined,
            });
        case "unset":
            await client.unsetMaintenance(node.uuid);
            return client.getNode(node.uuid);
    }
}

/** Throws "host validation error" naming each interface Ironic finds invalid for a deploy (none: returns). */
async function explainInvalid(client: IronicClient, node: Node): Promise<void> {
    const validation = await client.validateNode(node.uuid);
    const invalid = ["power", "boot", "deploy"].filter((i) => validation[i] && validation[i].result === false);
    if (!invalid.length) return;
    const reasons = invalid.map((i) => `${i}: ${validation[i].reason}`).join("; ");
    throw new IronicError(`host validation error on node ${label(node)}: ${reasons}`, {
        operation: "validate node before deploy",
        node: node.name ?? node.uuid,
        provisionState: node.provision_state,
        lastError: node.last_error ?? undefined,
    });
}

/** Puts instance_info and deploy_interface back as they were before a refused deploy. */
async function revertInstance(client: IronicClient, before: Node, patched: Node): Promise<void> {
    const ops: JsonPatchOp[] = [{ op: "add", path: "/instance_info", value: before.instance_info ?? {} }];
    if (before.deploy_interface && before.deploy_interface !== patched.deploy_interface)
        ops.push({ op: "add", path: "/deploy_interface", value: before.deploy_interface });
    await client.patchNode(before.uuid, ops);
}

function agentImagesError(node: Node, e: IronicError): IronicError {
    const profile = { driver: node.driver, supportsIsoRamdisk: /virtual-media/.test(node.boot_interface ?? "") };
    const forWhat = node.deploy_interface === "ramdisk" ? "this deploy" : `a ${node.deploy_interface ?? "direct"} deploy (the agent writes the image)`;
    return new IronicError(`${agentImagesNeeded(profile, forWhat)} (Ironic: ${e.message})`, {
        operation: "deploy",
        node: node.name ?? node.uuid,
        provisionState: node.provision_state,
        lastError: node.last_error ?? undefined,
        status: e.status,
    });
}

/**
 * Deploys `d` onto the node and waits for `active`. The node may be `available` (normal
 * deploy, e.g. after a Machine's allocation), `deploy failed` (retry) or `active` (rebuild with
 * the new image and config drive). Returns the active node.
 */
export async function deployImage(client: IronicClient, node: Node, d: DeployRequest, w: WaitSettings): Promise<Node> {
    if (!d.image && !d.customDeploy) throw new Error(`deploy on node ${label(node)}: neither image nor customDeploy given`);
    let current = await leaveMaintenance(client, w.nodeIsCurrent ? node : await client.getNode(node.uuid));
    const target = deployTarget(current.provision_state);
    if (!target) throw failure(current, "deploy");

    const plan = { image: d.image, customDeploy: d.customDeploy, rootDeviceHints: d.rootDeviceHints, bootMode: d.bootMode };
    const marks = (pending: boolean) =>
        Object.entries(d.extra ?? {}).map(([k, v]) => ({ op: "add" as const, path: `/extra/${k}`, value: pending ? pendingRecord(v, current) : v }));
    // The record goes on as pending with the image fields: an interrupted run then still knows
    // this deployment was ours, and that it is not known to be on the disk.
    const ops = [...instancePatch(current, plan), ...marks(true)];
    const before = current;
    if (ops.length) current = await client.patchNode(current.uuid, ops);

    const isLiveIso = d.image?.format === "live-iso";
    const configDrive = isLiveIso
        ? undefined
        : buildConfigDrive({
              hostName: d.hostName,
              namespace: d.namespace,
              uuid: current.instance_uuid ?? current.uuid,
              userData: d.userData,
              networkData: d.networkData,
              metaData: d.metaData,
          });
    // Fake hardware has no agent to run a custom step; the deploy itself is what we test there.
    const deploySteps = current.deploy_interface === "fake" ? undefined : customDeploySteps(plan);
    w.onProgress?.(target === "rebuild" ? "reprovisioning (rebuild)" : "provisioning");
    try {
        await client.setProvisionState(current.uuid, target, { configDrive, deploySteps });
    } catch (e) {
        // Refused: the node keeps what it had (a retry or another image starts from there).
        if (ops.length && e instanceof IronicError && e.status !== undefined && e.status < 500) await revertInstance(client, before, current);
        // Ironic validates the power and deploy (with boot) interfaces before it accepts a
        // deploy; only when it refuses is it worth an extra call to say which interface and why.
        if (e instanceof IronicError && e.status === 400) {
            if (missingAgentImages(e.message)) throw agentImagesError(current, e);
            await explainInvalid(client, current);
        }
        throw e;
    }
    // Accepted: the deployment is on its way, record it. Ironic refuses node updates while a
    // state transition runs; then the record is written once the node is active (or, if this run
    // ends first, by the next one, which sees the provision state changed since the pending record).
    const record = marks(false);
    let recorded = !record.length;
    if (!recorded) {
        recorded = await client.patchNode(current.uuid, record).then(
            () => true,
            (e: unknown) => (w.onProgress?.(`deployment record not written yet (${e instanceof Error ? e.message : String(e)}); retrying once active`), false),
        );
    }
    let active = await client.waitForProvisionState(current.uuid, "active", {
        timeoutMs: w.timeoutMs,
        label: deployWaitLabel(d),
        onProgress: progress(w, "provisioning"),
    });
    if (!recorded) active = await client.patchNode(current.uuid, record);
    return active;
}

/**
 * Takes the image off the node and brings it back to `available` (cleaning per mode), then powers
 * it off so Ironic allocations can match it again. Handles `active`, `deploy failed`,
 * `wait call-back`, `error`, `clean failed` and `manageable`; a node already `available` is only
 * powered off. Returns the node as it ends.
 */
export async function undeploy(client: IronicClient, node: Node, u: UndeployRequest): Promise<Node> {
    const deadline = Date.now() + u.timeoutMs;
    const left = () => Math.max(1_000, deadline - Date.now());
    let current = u.nodeIsCurrent ? node : await client.getNode(node.uuid);
    const automatedClean = u.cleaningMode !== "disabled";
    for (let step = 0; ; step++) {
        if (undeployStep(current.provision_state).kind === "done") break;
        if (step > 6) throw failure(current, "deprovision (no progress)");
        current = await leaveMaintenance(client, current);
        const next = undeployStep(current.provision_state);
        if (next.kind === "done") break;
        if (current.automated_clean !== automatedClean && !current.target_provision_state) {
            current = await client.patchNode(current.uuid, [{ op: "add", path: "/automated_clean", value: automatedClean }]);
        }
        if (next.kind === "fail") throw failure(current, "deprovision");
        if (next.kind === "provision") {
            if (next.target === "deleted") u.onProgress?.("deprovisioning");
            if (next.target === "provide") u.onProgress?.("preparing (cleaning)");
            await client.setProvisionState(current.uuid, next.target);
        }
        current =
            next.waitFor === "manageable"
                ? await client.waitForProvisionState(current.uuid, "manageable", { timeoutMs: left(), label: `manage ${label(current)}` })
                : await client.waitForProvisionState(current.uuid, "available", {
                      timeoutMs: left(),
                      label: `deprovision ${label(current)}`,
                      onProgress: progress(u, "deprovisioning"),
                  });
    }
    // Once `available`, the host is back in the pool: another Machine's allocation may take it at
    // once (Ironic 39 reserves it within a second) and write its own claim markers and deploy.
    // Clearing markers or powering off after that would undo the new holder's claim, so look
    // again first and leave a host that is already held (instance_uuid) or moving on alone.
    if (u.clearExtra?.length || !u.disablePowerOff) {
        const fresh = await client.findNode(current.uuid);
        if (!fresh) return current;
        current = fresh;
        if (current.instance_uuid || current.target_provision_state || current.provision_state !== "available") {
            u.onProgress?.(
                `back in the pool and already taken again (provision state "${current.provision_state}"); its new holder's markers and power are left alone`,
            );
            return current;
        }
    }
    if (u.clearExtra?.length) {
        const ops = u.clearExtra.filter((k) => current.extra && k in current.extra).map((k) => ({ op: "remove" as const, path: `/extra/${k}` }));
        if (ops.length) current = await client.patchNode(current.uuid, ops);
    }
    if (!u.disablePowerOff && current.power_state !== "power off") {
        u.onProgress?.("powering off");
        await client.setPowerState(current.uuid, "power off");
        current = await client.waitForPowerState(current.uuid, "power off", { timeoutMs: left(), label: `power off ${label(current)}` });
    }
    return current;
}
