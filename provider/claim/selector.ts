// Kubernetes label-selector semantics over host labels, exactly as CAPM3 applies a
// Metal3Machine's hostSelector to BareMetalHost labels (matchLabels AND every matchExpression).
// Pure functions: no Ironic here.

export type SelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

export interface SelectorRequirement {
    key: string;
    operator: SelectorOperator;
    values?: string[];
}

export interface HostSelector {
    matchLabels?: Record<string, string>;
    matchExpressions?: SelectorRequirement[];
}

export type Labels = Record<string, string>;

/** True when every matchLabels pair and every requirement holds. An empty selector matches everything. */
export function matchesSelector(labels: Labels, selector: HostSelector | undefined): boolean {
    return firstMismatch(labels, selector) === undefined;
}

/**
 * The first part of the selector the labels fail, in words ("label role=worker required, host has
 * role=control-plane"), or undefined when they match. Used to explain why a host was not a candidate.
 */
export function firstMismatch(labels: Labels, selector: HostSelector | undefined): string | undefined {
    if (!selector) return undefined;
    for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
        if (!(key in labels)) return `label ${key}=${value} required, host has no ${key} label`;
        if (labels[key] !== value) return `label ${key}=${value} required, host has ${key}=${labels[key]}`;
    }
    for (const req of selector.matchExpressions ?? []) {
        const has = Object.prototype.hasOwnProperty.call(labels, req.key);
        const values = req.values ?? [];
        switch (req.operator) {
            case "In":
                if (!has || !values.includes(labels[req.key]))
                    return `label ${req.key} in (${values.join(",")}) required, host has ${describeLabel(labels, req.key)}`;
                break;
            case "NotIn":
                // Kubernetes: NotIn also matches when the label is absent.
                if (has && values.includes(labels[req.key]))
                    return `label ${req.key} notin (${values.join(",")}) required, host has ${req.key}=${labels[req.key]}`;
                break;
            case "Exists":
                if (!has) return `label ${req.key} must exist, host has none`;
                break;
            case "DoesNotExist":
                if (has) return `label ${req.key} must not exist, host has ${req.key}=${labels[req.key]}`;
                break;
            default:
                return `unknown selector operator ${(req as SelectorRequirement).operator}`;
        }
    }
    return undefined;
}

function describeLabel(labels: Labels, key: string): string {
    return key in labels ? `${key}=${labels[key]}` : `no ${key} label`;
}

/** The selector in kubectl's `-l` syntax, e.g. `role=worker,zone in (a,b),!gpu`; "(everything)" when empty. */
export function formatSelector(selector: HostSelector | undefined): string {
    const parts: string[] = [];
    for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) parts.push(`${key}=${value}`);
    for (const req of selector?.matchExpressions ?? []) {
        const values = (req.values ?? []).join(",");
        if (req.operator === "In") parts.push(`${req.key} in (${values})`);
        else if (req.operator === "NotIn") parts.push(`${req.key} notin (${values})`);
        else if (req.operator === "Exists") parts.push(req.key);
        else parts.push(`!${req.key}`);
    }
    return parts.length ? parts.join(",") : "(everything)";
}
