// The one wording of a lifecycle step (lifecycle.ts HostAction), for every place that names one:
// the preview's plan line (plan.ts describePlan), a refusal that names the step it will not take
// (lifecycle.ts nextAction) and the "not making progress" error (converge.ts). Pure; decides nothing.
import type { HostAction } from "./lifecycle";

/**
 * What `a` does, in a few words ("rebuild", "power off (soft, hard if it does not go off in
 * time)"). `reason: true` adds why the lifecycle takes the step, for messages that stand alone.
 */
export function stepText(a: HostAction, opts: { reason?: boolean } = {}): string {
    const text = words(a);
    const why = opts.reason && "reason" in a && a.reason && a.reason !== text ? a.reason : undefined;
    return why ? `${text}: ${why}` : text;
}

function words(a: HostAction): string {
    switch (a.kind) {
        case "provision":
            return a.target;
        case "deploy":
            return a.rebuild ? "rebuild" : "deploy";
        case "undeploy":
            return `undeploy (${a.reason})`;
        case "power":
            return a.mode ? `${a.target} (${a.mode}, hard if it does not go off in time)` : a.target;
        case "reboot":
            return `reboot (${a.mode}${a.mode === "soft" ? ", hard if it does not go off in time" : ""})`;
        case "delete-node":
            return "delete the Ironic node";
        case "configure-firmware":
            return a.via === "service" ? "service (firmware settings, reboot)" : "manual cleaning (firmware settings, reboot)";
        case "attach-data-image":
            return `attach data image ${a.url} (virtual CD)`;
        case "detach-data-image":
            return `eject data image ${a.url}`;
        case "patch":
            return a.inMaintenance ? "patch in maintenance" : "patch";
        default:
            return a.kind;
    }
}

/** Steps the preview line leaves out: bookkeeping on the node, never the disk or the power. */
const QUIET = new Set<HostAction["kind"]>(["patch", "set-traits", "create-port"]);

/** One line for the operator: the steps that touch the disk or the power, and where the host ends. */
export function describePlan(plan: { steps: HostAction[]; ends: { provisionState: string; powerState: string | null } }): string {
    const shown = plan.steps.filter((s) => !QUIET.has(s.kind));
    const end = `ends ${plan.ends.provisionState}${plan.ends.powerState ? `, ${plan.ends.powerState}` : ""}`;
    return shown.length ? `${shown.map((s) => stepText(s)).join(" → ")}; ${end}` : end;
}
