// The web server behind the local Ironic's `[deploy] http_url`: serves `[deploy] http_root` on
// loopback, where Ironic writes iPXE scripts, boot ISOs and cached images for the machines it
// boots. Ironic itself only writes the files (a production Ironic has nginx/httpd next to it);
// here it is Python's own http.server (run by the Ironic environment's interpreter), without
// directory listings (the tree holds every node's iPXE script and config drive: a file is served
// to whoever knows its name, as from Metal³'s httpd, but the names are not listed), one detached
// process per state dir that outlives the CLI, like Ironic does.

import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    findFreePort,
    httpGet,
    isPortFree,
    isProcessAlive,
    processCommandLine,
    readPidFile,
    removeFile,
    stopProcessGroup,
    tailFile,
    waitForHttp,
    writePidFile,
} from "./proc";

const DEFAULT_PYTHON = "python3";
// http.server's handler with listings refused (404); files are served as before.
const SERVER_SCRIPT = [
    "import functools, http.server, sys",
    "class Handler(http.server.SimpleHTTPRequestHandler):",
    "    def list_directory(self, path):",
    "        self.send_error(404, 'Not Found')",
    "        return None",
    "root, port = sys.argv[1], int(sys.argv[2])",
    "server = http.server.ThreadingHTTPServer(('127.0.0.1', port), functools.partial(Handler, directory=root))",
    "print('serving %s on 127.0.0.1:%d' % (root, port), flush=True)",
    "server.serve_forever()",
].join("\n");
/** Tried first, as in Metal³'s ironic-image (httpd on 6180); any free port otherwise. */
export const HTTP_ROOT_DEFAULT_PORT = 6180;

export type Logger = (line: string) => void;

function files(stateDir: string) {
    return {
        pid: path.join(stateDir, "httpboot-server.pid"),
        record: path.join(stateDir, "httpboot-server.json"),
        log: path.join(stateDir, "httpboot-server.log"),
    };
}

function livePid(f: ReturnType<typeof files>, root: string): number | undefined {
    const pid = readPidFile(f.pid);
    if (pid === undefined || !isProcessAlive(pid)) return undefined;
    const cmdline = processCommandLine(pid);
    if (cmdline !== undefined && !(cmdline.includes("http.server") && cmdline.includes(root))) return undefined;
    return pid;
}

function recordedPort(f: ReturnType<typeof files>): number | undefined {
    try {
        return (JSON.parse(fs.readFileSync(f.record, "utf8")) as { port: number }).port;
    } catch {
        return undefined;
    }
}

/**
 * Serve `root` on 127.0.0.1 (idempotent: a live server of this state dir is kept). Prefers the
 * port it had before, so an Ironic config naming it stays right. Resolves to its URL.
 */
export async function ensureHttpRootServer(root: string, stateDir: string, log: Logger, python = DEFAULT_PYTHON): Promise<string> {
    const f = files(stateDir);
    const before = recordedPort(f);
    const running = livePid(f, root);
    if (running !== undefined && before !== undefined) return `http://127.0.0.1:${before}`;
    removeFile(f.pid);
    const port = before !== undefined && (await isPortFree(before)) ? before : await findFreePort(HTTP_ROOT_DEFAULT_PORT);
    fs.mkdirSync(root, { recursive: true });
    const out = fs.openSync(f.log, "a");
    const child = spawn(python, ["-u", "-c", SERVER_SCRIPT, root, String(port)], { detached: true, stdio: ["ignore", out, out] });
    fs.closeSync(out);
    const pid = await new Promise<number>((resolve, reject) => {
        child.once("error", (err) => reject(new Error(`could not run ${python} (http.server): ${err.message}`)));
        child.once("spawn", () => resolve(child.pid as number));
    });
    child.unref();
    writePidFile(f.pid, pid);
    fs.writeFileSync(f.record, `${JSON.stringify({ port, root })}\n`);
    const url = `http://127.0.0.1:${port}`;
    try {
        // `/` is a directory: 404, as every listing (any answer means it serves).
        await waitForHttp(`${url}/`, {
            timeoutMs: 15_000,
            ready: (a) => a.status === 404 || a.status === 200,
            abortIf: () => (isProcessAlive(pid) ? undefined : "it exited"),
        });
    } catch (err) {
        await stopProcessGroup(pid, 2000);
        removeFile(f.pid);
        throw new Error(`the HTTP server for ${root} did not start: ${(err as Error).message}\n${tailFile(f.log, 20)}`);
    }
    log(`serving ${root} on ${url} (http_url; pid ${pid})`);
    return url;
}

export async function stopHttpRootServer(root: string, stateDir: string, log: Logger): Promise<void> {
    const f = files(stateDir);
    const pid = livePid(f, root);
    removeFile(f.pid);
    if (pid === undefined) return;
    await stopProcessGroup(pid, 3000);
    log(`stopped the HTTP server for ${root} (pid ${pid})`);
}

/** The URL of a live server of this state dir, or undefined. */
export async function httpRootServerUrl(root: string, stateDir: string): Promise<string | undefined> {
    const f = files(stateDir);
    const port = recordedPort(f);
    if (livePid(f, root) === undefined || port === undefined) return undefined;
    return (await httpGet(`http://127.0.0.1:${port}/`)) ? `http://127.0.0.1:${port}` : undefined;
}
