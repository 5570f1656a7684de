// Small process helpers for the local services (Ironic today): free ports, pid files,
// "is this pid really ours", waiting for an HTTP endpoint, and the tail of a log.
// Nothing here knows about Ironic.

import * as fs from "fs";
import * as net from "net";

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when nothing listens on 127.0.0.1:port (we can bind it ourselves). */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.once("error", () => resolve(false));
        server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
    });
}

/** `preferred` when it is free, otherwise a port the kernel picks for us on loopback. */
export async function findFreePort(preferred?: number, host = "127.0.0.1"): Promise<number> {
    if (preferred !== undefined && (await isPortFree(preferred, host))) return preferred;
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen({ port: 0, host, exclusive: true }, () => {
            const address = server.address();
            const port = typeof address === "object" && address ? address.port : 0;
            server.close(() => (port ? resolve(port) : reject(new Error("could not obtain a free port"))));
        });
    });
}

export function readPidFile(pidFile: string): number | undefined {
    let text: string;
    try {
        text = fs.readFileSync(pidFile, "utf8").trim();
    } catch {
        return undefined;
    }
    const pid = Number.parseInt(text, 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function writePidFile(pidFile: string, pid: number): void {
    fs.writeFileSync(pidFile, `${pid}\n`);
}

export function removeFile(path: string): void {
    fs.rmSync(path, { force: true });
}

export function isProcessAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch (err) {
        // EPERM: it exists but belongs to someone else.
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
    // A zombie (exited, not yet reaped by its parent) still answers kill(0).
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
        return state !== "Z" && state !== "X";
    } catch {
        return true; // no /proc: trust kill(0)
    }
}

/** The command line of a live process, or undefined (no /proc, or it is gone). Guards against pid reuse. */
export function processCommandLine(pid: number): string | undefined {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    } catch {
        return undefined;
    }
}

/**
 * Stop a process started detached (it leads its own process group): SIGTERM the group, wait up
 * to `graceMs`, then SIGKILL the group. Resolves true when it is gone.
 */
export async function stopProcessGroup(pid: number, graceMs = 8000): Promise<boolean> {
    const signalGroup = (signal: NodeJS.Signals) => {
        try {
            process.kill(-pid, signal);
        } catch {
            try {
                process.kill(pid, signal);
            } catch {
                /* already gone */
            }
        }
    };
    if (!isProcessAlive(pid)) return true;
    signalGroup("SIGTERM");
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
        if (!isProcessAlive(pid)) return true;
        await sleep(100);
    }
    signalGroup("SIGKILL");
    const killDeadline = Date.now() + 3000;
    while (Date.now() < killDeadline) {
        if (!isProcessAlive(pid)) return true;
        await sleep(100);
    }
    return !isProcessAlive(pid);
}

export interface HttpProbeResult {
    status: number;
    body: string;
}

/** One GET with a short timeout; undefined when nothing answers. */
export async function httpGet(url: string, headers: Record<string, string> = {}, timeoutMs = 3000): Promise<HttpProbeResult | undefined> {
    try {
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
        return { status: res.status, body: await res.text() };
    } catch {
        return undefined;
    }
}

export interface WaitForHttpOptions {
    /** Accepts the answer; polling continues until it returns true. */
    ready: (answer: HttpProbeResult) => boolean;
    timeoutMs: number;
    headers?: Record<string, string>;
    /** Checked between polls; when it returns a message, waiting stops with that error (e.g. the process died). */
    abortIf?: () => string | undefined;
    intervalMs?: number;
}

/** Poll `url` until `ready` accepts the answer; throws on timeout or when `abortIf` says so. */
export async function waitForHttp(url: string, opts: WaitForHttpOptions): Promise<HttpProbeResult> {
    const deadline = Date.now() + opts.timeoutMs;
    let last: HttpProbeResult | undefined;
    for (;;) {
        const abortReason = opts.abortIf?.();
        if (abortReason) throw new Error(abortReason);
        last = await httpGet(url, opts.headers);
        if (last && opts.ready(last)) return last;
        if (Date.now() >= deadline) {
            const seen = last ? `last answer HTTP ${last.status}: ${last.body.slice(0, 200)}` : "nothing answered";
            throw new Error(`${url} was not ready after ${Math.round(opts.timeoutMs / 1000)} s (${seen})`);
        }
        await sleep(opts.intervalMs ?? 500);
    }
}

/** The last `lines` lines of a (possibly large) text file; "" when it does not exist. */
export function tailFile(path: string, lines = 40): string {
    let fd: number;
    try {
        fd = fs.openSync(path, "r");
    } catch {
        return "";
    }
    try {
        const size = fs.fstatSync(fd).size;
        const chunk = Math.min(size, 256 * 1024);
        const buf = Buffer.alloc(chunk);
        fs.readSync(fd, buf, 0, chunk, size - chunk);
        const all = buf.toString("utf8").split("\n");
        if (all.length && all[all.length - 1] === "") all.pop();
        return all.slice(-lines).join("\n");
    } finally {
        fs.closeSync(fd);
    }
}
