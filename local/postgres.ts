// Debian's PostgreSQL as the shared database of a distributed local Ironic (local/ironic-cluster.ts;
// Ironic's driver for it, psycopg2, is in the Ironic environment: local/ironic-requirements.txt):
// a private cluster made with initdb/pg_ctl from the postgresql package, under the state dir,
// listening on a unix socket only (no TCP at all), reachable by its owner (and root) alone.
// PostgreSQL refuses to run as root, so as root it runs as the package's `postgres` user.

import { spawnSync, SpawnSyncOptions } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ensureDebianPackages, Logger } from "./apt";
import { isProcessAlive } from "./proc";

const PG_LIB = "/usr/lib/postgresql";
/** Only names the socket file (`.s.PGSQL.5432`): there is no TCP listener, and the socket directory is private. */
const SOCKET_PORT = 5432;
const SUPERUSER = "ironic";
const DATABASE = "ironic";
// Where the cluster goes when the postgres user cannot reach the state dir (root's ~/.cache is mode 700).
const ROOT_FALLBACK_DIR = "/var/lib/postgresql/pulumi-metal3";
// sockaddr_un.sun_path holds 108 bytes including the file name and the terminating NUL.
const MAX_SOCKET_DIR = 107 - `/.s.PGSQL.${SOCKET_PORT}`.length;

export interface LocalPostgres {
    /** SQLAlchemy URL over the unix socket, for Ironic's `[database] connection`. */
    url: string;
    pid: number;
    dataDir: string;
    socketDir: string;
    logFile: string;
}

/** The newest Debian PostgreSQL bin directory that has initdb and pg_ctl (they are not on PATH in Debian). */
export function postgresBinDir(): string | undefined {
    let versions: string[];
    try {
        versions = fs.readdirSync(PG_LIB).filter((v) => /^\d+$/.test(v));
    } catch {
        return undefined;
    }
    for (const v of versions.sort((a, b) => Number(b) - Number(a))) {
        const bin = path.join(PG_LIB, v, "bin");
        if (["initdb", "pg_ctl", "psql"].every((c) => fs.existsSync(path.join(bin, c)))) return bin;
    }
    return undefined;
}

/** apt-get install PostgreSQL when missing. */
export function ensurePostgresInstalled(log: Logger): void {
    ensureDebianPackages(
        {
            packages: ["postgresql"],
            commands: [],
            extraCheck: () => postgresBinDir() !== undefined,
            what: "PostgreSQL for Ironic",
        },
        log,
    );
}

interface RunAs {
    uid: number;
    gid: number;
    name: string;
    home: string;
}

/** Who runs the server: ourselves, or the `postgres` system user when we are root. */
function serverUser(): RunAs | undefined {
    if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
    const line = fs
        .readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .find((l) => l.startsWith("postgres:"));
    if (!line) throw new Error("PostgreSQL refuses to run as root and there is no `postgres` user (is Debian's postgresql package installed?)");
    const f = line.split(":");
    return { name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
}

function runOptions(user: RunAs | undefined): SpawnSyncOptions {
    const env = { ...process.env, LC_ALL: "C.UTF-8", LANG: "C.UTF-8" };
    if (!user) return { env, encoding: "utf8" };
    return { env: { ...env, HOME: user.home, USER: user.name, LOGNAME: user.name }, uid: user.uid, gid: user.gid, encoding: "utf8", cwd: "/" };
}

function run(bin: string, command: string, args: string[], user: RunAs | undefined): { status: number | null; output: string } {
    const r = spawnSync(path.join(bin, command), args, { ...runOptions(user), timeout: 120_000 });
    return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

function mustRun(bin: string, command: string, args: string[], user: RunAs | undefined, logFile?: string): string {
    const r = run(bin, command, args, user);
    if (r.status !== 0) {
        const tail = logFile && fs.existsSync(logFile) ? `\n--- ${logFile} ---\n${fs.readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n")}` : "";
        throw new Error(`${command} ${args.join(" ")} failed (exit ${r.status}):\n${r.output}${tail}`);
    }
    return r.output;
}

/**
 * The directory that holds the cluster: `<stateDir>/postgresql`, or, when the server's user cannot
 * reach that (root's home is private), a directory under /var/lib/postgresql that the state dir
 * links to — so the state dir still leads to everything it runs.
 */
function clusterRoot(stateDir: string, user: RunAs | undefined): string {
    const link = path.join(stateDir, "postgresql");
    if (!user) return link;
    const existing = fs.lstatSync(link, { throwIfNoEntry: false });
    if (existing?.isSymbolicLink()) return fs.readlinkSync(link);
    fs.mkdirSync(link, { recursive: true, mode: 0o700 });
    fs.chownSync(link, user.uid, user.gid);
    const reachable = spawnSync("test", ["-w", link], { ...runOptions(user), stdio: "ignore" }).status === 0;
    if (reachable && link.length <= MAX_SOCKET_DIR - "/socket".length) return link;
    fs.rmdirSync(link);
    const hash = crypto.createHash("sha256").update(path.resolve(stateDir)).digest("hex").slice(0, 12);
    const root = path.join(ROOT_FALLBACK_DIR, hash);
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    fs.chownSync(ROOT_FALLBACK_DIR, user.uid, user.gid);
    fs.chownSync(root, user.uid, user.gid);
    fs.symlinkSync(root, link);
    return root;
}

function layout(root: string) {
    return { dataDir: path.join(root, "data"), socketDir: path.join(root, "socket"), logFile: path.join(root, "postgresql.log") };
}

function postmasterPid(dataDir: string): number | undefined {
    try {
        const pid = Number.parseInt(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0], 10);
        return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) ? pid : undefined;
    } catch {
        return undefined;
    }
}

function databaseUrl(socketDir: string): string {
    return `postgresql+psycopg2://${SUPERUSER}@/${DATABASE}?host=${encodeURIComponent(socketDir).replace(/%2F/g, "/")}`;
}

/**
 * Start (or find) the PostgreSQL of `stateDir`, creating the cluster and the `ironic` database on
 * first use. `created` says the database is new (Ironic's schema must be created, not upgraded).
 */
export async function startPostgres(stateDir: string, log: Logger): Promise<LocalPostgres & { created: boolean }> {
    const bin = postgresBinDir();
    if (!bin) throw new Error(`PostgreSQL is not installed (no initdb/pg_ctl under ${PG_LIB})`);
    const user = serverUser();
    const root = clusterRoot(stateDir, user);
    const { dataDir, socketDir, logFile } = layout(root);
    if (socketDir.length > MAX_SOCKET_DIR)
        throw new Error(
            `PostgreSQL's socket directory ${socketDir} is too long for a unix socket (max ${MAX_SOCKET_DIR} characters): use a shorter --state-dir`,
        );
    for (const dir of [root, socketDir]) {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        if (user) fs.chownSync(dir, user.uid, user.gid);
    }
    if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) {
        const started = Date.now();
        fs.rmSync(dataDir, { recursive: true, force: true });
        // trust on the socket only: its directory (0700) is the access control; no TCP listener exists.
        mustRun(bin, "initdb", ["-D", dataDir, "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--no-instructions"], user);
        fs.appendFileSync(
            path.join(dataDir, "postgresql.conf"),
            [
                "",
                "# pulumi-metal3 (local/postgres.ts): unix socket only, private directory",
                "listen_addresses = ''",
                `unix_socket_directories = '${socketDir}'`,
                "unix_socket_permissions = 0700",
                `port = ${SOCKET_PORT}`,
                // API + conductors each keep a SQLAlchemy pool (5 + up to 50 overflow).
                "max_connections = 400",
                "",
            ].join("\n"),
        );
        log(`created PostgreSQL cluster ${dataDir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
    let pid = postmasterPid(dataDir);
    if (pid === undefined) {
        mustRun(bin, "pg_ctl", ["-D", dataDir, "-l", logFile, "-w", "-t", "60", "start"], user, logFile);
        pid = postmasterPid(dataDir);
        if (pid === undefined) throw new Error(`pg_ctl start said yes but no postmaster runs for ${dataDir}; see ${logFile}`);
        log(`started PostgreSQL pid ${pid} (socket ${socketDir}, no TCP)`);
    }
    const psql = (sql: string, db = "postgres") =>
        mustRun(bin, "psql", ["-h", socketDir, "-p", String(SOCKET_PORT), "-U", SUPERUSER, "-d", db, "-tAc", sql], user);
    const exists = psql(`SELECT 1 FROM pg_database WHERE datname = '${DATABASE}'`).trim() === "1";
    if (!exists) psql(`CREATE DATABASE ${DATABASE}`);
    return { url: databaseUrl(socketDir), pid, dataDir, socketDir, logFile, created: !exists };
}

/** Stop the PostgreSQL of `stateDir` (fast shutdown: rolls back open transactions). */
export async function stopPostgres(stateDir: string, log: Logger): Promise<boolean> {
    const bin = postgresBinDir();
    const link = path.join(stateDir, "postgresql");
    if (!bin || !fs.existsSync(link)) return false;
    const { dataDir, logFile } = layout(fs.realpathSync(link));
    const pid = postmasterPid(dataDir);
    if (pid === undefined) return false;
    mustRun(bin, "pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "-t", "60", "stop"], serverUser(), logFile);
    log(`stopped PostgreSQL pid ${pid}`);
    return true;
}

/** The live postmaster of `stateDir`, if any. */
export function postgresPid(stateDir: string): number | undefined {
    const link = path.join(stateDir, "postgresql");
    if (!fs.existsSync(link)) return undefined;
    return postmasterPid(layout(fs.realpathSync(link)).dataDir);
}

/**
 * Remove the cluster's data when it lives outside the state dir (the /var/lib/postgresql fallback):
 * for callers that delete a state dir (tests, benchmarks). Call after stopPostgres.
 */
export function removePostgresData(stateDir: string): void {
    const link = path.join(stateDir, "postgresql");
    const stat = fs.lstatSync(link, { throwIfNoEntry: false });
    if (!stat?.isSymbolicLink()) return;
    const target = fs.readlinkSync(link);
    if (path.dirname(target) === ROOT_FALLBACK_DIR) fs.rmSync(target, { recursive: true, force: true });
    fs.rmSync(link, { force: true });
}
