// `adoptNode` at preview: before a create takes an existing node over, `check` looks at that node
// and says what the adoption will do (whose node it is, what it changes, whether it wipes), or
// refuses it naming the property, as the create itself would (provider/host/takeover.ts
// adoptionDecision). A create only ever shows `+ create` in the engine's plan; this line is where
// the operator reads that an existing server is concerned.
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { claimOn } from "../../provider/host/converge";
import { EXTRA } from "../../provider/host/lifecycle";
import { adoptionDecision } from "../../provider/host/takeover";
import { OWNER_MAC_KEY, ownerKeys } from "../../provider/owner-record";
import { stackOwnerKey } from "../owner";
import { predictSteps } from "../../provider/host/plan";
import { describePlan } from "../../provider/host/words";
import { hostSpecFromInputs, newDigestKey, nodeNameFor, PlainHostInputs } from "../../provider/host/desired";
import type { HostSpec } from "../../provider/host/spec";
import { containsUnknown, IronicConnectionInput, isUnknown } from "../schemas/common";
import { mergeConnection } from "../connection";

export interface AdoptionCheck {
    /** The refusal, for the `adoptNode` property (the preview fails). */
    failure?: string;
    /** What the adoption will do, printed at preview (and at `up`, before the create). */
    announcement?: string;
}

function nodeText(node: Node): string {
    return `${node.uuid} (${node.name ?? "unnamed"}, provision state "${node.provision_state}", power "${node.power_state ?? "unknown"}")`;
}

/** The registration patch's paths in words: which parts of the node the adoption rewrites. */
function patchedParts(spec: HostSpec, steps: ReturnType<typeof predictSteps>["steps"]): string[] {
    const parts = new Set<string>();
    for (const s of steps) {
        if (s.kind !== "patch") continue;
        for (const op of s.ops) {
            const p = op.path;
            if (p === `/extra/${EXTRA.owner}` || p === `/extra/${EXTRA.resource}` || p === `/extra/${OWNER_MAC_KEY}`)
                parts.add(`owner record → ${spec.owner?.stack ?? "this program"}`);
            else if (p.startsWith("/driver_info/") || p === `/extra/${EXTRA.bmcFingerprint}` || p === "/driver" || p.endsWith("_interface"))
                parts.add("BMC driver and credentials");
            else if (p === "/name") parts.add(`name → ${spec.nodeName}`);
            else if (p.startsWith("/extra/")) parts.add(p.slice("/extra/".length));
            else parts.add(p.slice(1).split("/")[0]);
        }
    }
    return [...parts];
}

/**
 * Looks at the node `adoptNode` names for a host being created (no old inputs). Unknown inputs or
 * an unreachable Ironic leave the decision to the create (which makes the same one).
 */
export async function checkAdoption(
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
    stack: IronicConnectionInput | undefined,
): Promise<AdoptionCheck> {
    const adoptNode = news.adoptNode;
    if (typeof adoptNode !== "string" || isUnknown(adoptNode) || Object.keys(olds).length > 0) return {};
    const label = nodeNameFor(news.namespace as string | undefined, String(news.name));
    let client: IronicClient | undefined;
    try {
        const own = news.ironic && !containsUnknown(news.ironic) ? (news.ironic as IronicConnectionInput) : undefined;
        client = await IronicClient.connect(mergeConnection(own, stack));
        const node = await client.findNode(adoptNode);
        if (!node) return { failure: `host ${label}: "${adoptNode}" is not an Ironic node` };
        const owner = news.owner && !containsUnknown(news.owner) ? (news.owner as HostSpec["owner"]) : undefined;
        // A create has no digest key yet: its record verifies only under the stack's ownerKey.
        const keys = ownerKeys(stackOwnerKey(), newDigestKey());
        const decision = adoptionDecision({ nodeName: label, owner, ownerKeys: keys, adoptForce: news.adoptForce === true }, node, await claimOn(client, node));
        if (decision.kind === "fail") return { failure: decision.message };
        const from = decision.takes.length ? `; it takes ${decision.takes.join("; ")} (adoptForce)` : "";
        if (containsUnknown(news)) return { announcement: `adopt node ${nodeText(node)}${from}; what it then changes is known after apply` };
        const spec = hostSpecFromInputs(news as unknown as PlainHostInputs, {
            apiVersion: client.apiVersion,
            digestKey: newDigestKey(),
            ownerKey: stackOwnerKey(),
        });
        const ports = await client.listPorts({ node: node.uuid });
        const { steps, end, refusal } = predictSteps(spec, { node, ports });
        const deployed = node.extra?.[EXTRA.deployment] !== undefined || node.provision_state === "active";
        const wipes = deployed && steps.some((s) => s.kind === "undeploy" || (s.kind === "deploy" && s.rebuild));
        const wipe = wipes ? (end.provision_state === "active" ? "REPROVISION (wipe)" : "DEPROVISION (wipe)") : undefined;
        const parts = patchedParts(spec, steps);
        const plan = describePlan({ steps, ends: { provisionState: end.provision_state, powerState: end.power_state } });
        const then = refusal
            ? `then the create fails: ${refusal}`
            : wipe
              ? `WILL ${wipe} it: ${plan}`
              : plan.startsWith("ends ")
                ? `then it ${plan}`
                : `WILL ${plan}`;
        return { announcement: `adopt node ${nodeText(node)}${from}; WILL rewrite ${parts.length ? parts.join(", ") : "nothing"}; ${then}` };
    } catch (e) {
        return {
            announcement: `adoptNode ${adoptNode}: the node could not be looked at now (${e instanceof Error ? e.message : String(e)}); the create decides when it runs`,
        };
    } finally {
        await client?.close();
    }
}
