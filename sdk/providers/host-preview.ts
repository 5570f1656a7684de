// The preview's words for what provider/host/plan.ts predicted of a BareMetalHost update: the
// WILL lines `pulumi preview` shows (a wipe as a warning, day-two costs) and the diff's
// `reprovision` field. Decides nothing: every fact comes from the prediction.
import type { ChangePlan, UpdatePrediction, WipeKind, WipeReason } from "../../provider/host/plan";
import type { DayTwoCost } from "../../provider/host/day-two";
import { describePlan } from "../../provider/host/words";

const WIPE_WORDS: Record<WipeKind, string> = { reprovision: "REPROVISION (wipe)", deprovision: "DEPROVISION (wipe)" };

function reasonText(r: WipeReason): string {
    switch (r.kind) {
        case "inputs":
            return `${r.inputs.join(", ")} ${r.known ? "changed" : "not known until apply"}`;
        case "image-removed":
            return "image removed";
        case "deploy-pending":
            return "the last deploy never reached Ironic";
        case "unpredicted":
            return `the update could not be predicted at preview (${r.error})`;
    }
}

/**
 * A wipe in words: `what` ("REPROVISION (wipe)", "POSSIBLY DEPROVISION (wipe)") and `why` (the
 * first reason, the others in parentheses, then the plan's steps when it was predicted).
 */
export function wipeWords(p: UpdatePrediction): { what: string; why: string } | undefined {
    if (!p.wipe) return undefined;
    const [first, ...rest] = p.wipe.why.map(reasonText);
    const reasons = `${first ?? ""}${rest.map((r) => ` (${r})`).join("")}`;
    return { what: `${p.wipe.possibly ? "POSSIBLY " : ""}${WIPE_WORDS[p.wipe.kind]}`, why: p.plan ? `${reasons}: ${describePlan(p.plan)}` : reasons };
}

function costText(c: DayTwoCost, label: string): string {
    switch (c.kind) {
        case "reboot":
            return `WILL REBOOT (${c.mode}) host ${label}: rebootRequest changed`;
        case "reinspect":
            return `WILL RE-INSPECT host ${label}: inspectRequest changed`;
        case "detach":
            return `WILL DETACH host ${label} (no server change)`;
        case "reattach":
            return `WILL RE-ATTACH host ${label} (no reprovision)`;
        case "firmware":
            return c.via === "service"
                ? `WILL SERVICE (no wipe; reboots the host) host ${label}: firmware settings changed`
                : `WILL CLEAN (manual cleaning for firmware settings, no agent; reboots the host) host ${label}: firmware settings changed`;
        case "attach-data-image":
            return `WILL ATTACH DATA IMAGE ${c.url} to host ${label} (virtual CD; no reboot, no wipe)`;
        case "detach-data-image":
            return `WILL DETACH DATA IMAGE ${c.url} from host ${label} (ejected; no reboot, no wipe)`;
        case "data-image-waits":
            return `DATA IMAGE ${c.url} WAITS on host ${label}: the host is not provisioned (it ends ${c.ends}); it is attached once the host is provisioned, as Metal³ attaches data images only to provisioned hosts`;
    }
}

/**
 * The day-two costs of a change that wipes nothing, in the preview's words (undefined: nothing
 * worth a line): `WILL DETACH (no server change)`, `WILL RE-ATTACH (no reprovision)`, `WILL REBOOT
 * (soft|hard)`, `WILL RE-INSPECT`, `WILL SERVICE` / `WILL CLEAN` (firmware), each followed by the plan.
 */
export function dayTwoWords(plan: ChangePlan, label: string): string | undefined {
    const costs = plan.costs;
    if (!costs.length) return undefined;
    const line = describePlan(plan);
    if (costs[0].kind === "detach") return `${costText(costs[0], label)}: its Ironic node is removed (${line}); the server is left as it is`;
    if (costs[0].kind === "reattach") return `${costText(costs[0], label)}: its node is enrolled again under the same UUID: ${line}`;
    return `${costs.map((c) => costText(c, label)).join("; ")}: ${line}`;
}
