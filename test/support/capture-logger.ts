// A logger (provider/log.ts) that keeps what the handlers tell the user, with its severity, for
// tests that check a message: no swapping of console.error.
import type { Logger } from "../../provider/log";

export interface CapturedLog extends Logger {
    lines: { severity: "info" | "warning"; line: string }[];
    /** Every line, one per line. */
    text(): string;
    warnings(): string[];
}

export function captureLogger(): CapturedLog {
    const lines: CapturedLog["lines"] = [];
    return {
        lines,
        info: (line) => void lines.push({ severity: "info", line }),
        warn: (line) => void lines.push({ severity: "warning", line }),
        text: () => lines.map((l) => l.line + "\n").join(""),
        warnings: () => lines.filter((l) => l.severity === "warning").map((l) => l.line),
    };
}
